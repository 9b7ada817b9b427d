// The operator's side: a record is opened only after its chain verifies, so a
// secret an outsider sealed to the org's (public) recovery key and signed with
// some other key is never presented as a node's credential.

import type { KeyObject } from 'node:crypto';
import type { RecoveryKeyPair } from '../identity/store.ts';
import { verifyVaultRecord } from './record.ts';
import { vok } from './result.ts';
import { unseal } from './seal.ts';
import type { VaultEntry, VaultResult } from './types.ts';

export async function openRecord(bytes: Uint8Array, orgPublicKey: KeyObject, recovery: RecoveryKeyPair): Promise<VaultResult<{ entry: VaultEntry; secret: Uint8Array }>> {
  const v = verifyVaultRecord(bytes, orgPublicKey);
  if (!v.ok) return v;
  const s = await unseal(v.value.sealed, recovery);
  if (!s.ok) return s;
  return vok({ entry: v.value.entry, secret: s.value });
}
