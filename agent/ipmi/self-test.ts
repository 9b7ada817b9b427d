// Get Self Test Results (IPMI v2.0 §20.4): the BMC's own verdict on itself.

import { NETFN, type IpmiRequest } from './messages.ts';
import type { Decoded } from './rmcp.ts';

export const getSelfTestResults = (): IpmiRequest => ({ netFn: NETFN.app, cmd: 0x04, data: new Uint8Array(0) });

export interface SelfTest {
  /** 'passed' (55h), 'not-implemented' (56h), 'corrupted' (57h: see `failures`), 'fatal' (58h), or 'device-specific'. */
  result: 'passed' | 'not-implemented' | 'corrupted' | 'fatal' | 'device-specific';
  code: number;
  detail: number;
  /** For 57h, what the BMC found inaccessible or corrupted. */
  failures: string[];
}

const CORRUPTED_BITS = [
  'operational firmware corrupted',
  'boot firmware corrupted',
  'internal use area of FRU corrupted',
  'SDR repository empty',
  'IPMB signal lines do not respond',
  'FRU device inaccessible',
  'SDR repository inaccessible',
  'SEL device inaccessible',
] as const;

export function parseSelfTest(data: Uint8Array): Decoded<SelfTest> {
  if (data.length < 2) return { ok: false, reason: 'short Get Self Test Results reply' };
  const code = data[0] ?? 0;
  const detail = data[1] ?? 0;
  const result: SelfTest['result'] = code === 0x55 ? 'passed' : code === 0x56 ? 'not-implemented' : code === 0x57 ? 'corrupted' : code === 0x58 ? 'fatal' : 'device-specific';
  const failures = code === 0x57 ? CORRUPTED_BITS.filter((_, i) => (detail & (1 << i)) !== 0) : [];
  return { ok: true, value: { result, code, detail, failures } };
}
