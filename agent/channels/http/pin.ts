// The certificate pin every HTTPS channel takes from its credential record or
// --tls-fingerprint, in the form openssl prints.

import { cerr, cok, type ChannelResult } from '../types.ts';

/** `sha256:` and 64 hex digits, colons between bytes allowed (as openssl prints them). */
export function parseFingerprint(s: string): ChannelResult<Buffer> {
  const m = /^sha256:([0-9a-f:]+)$/i.exec(s.trim());
  const hex = m?.[1]?.replace(/:/g, '') ?? '';
  if (!/^[0-9a-f]{64}$/i.test(hex)) return cerr('CONFIG', 'the TLS fingerprint must be sha256: followed by 64 hex digits');
  return cok(Buffer.from(hex, 'hex'));
}
