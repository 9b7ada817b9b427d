// Constructors for VaultResult, so every module of the vault reports failures one way.
import type { VaultErrorCode, VaultResult } from './types.ts';

export const vok = <T>(value: T): VaultResult<T> => ({ ok: true, value });
export const verr = (code: VaultErrorCode, message: string): VaultResult<never> => ({ ok: false, error: { code, message } });
