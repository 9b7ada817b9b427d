// The response header every TPM command returns (Part 1 section 18, Part 3 section 4):
// tag, size, responseCode; then handles, a parameterSize when sessions are present,
// parameters and the session area.

import { MAX_RESPONSE, ST } from './constants.ts';
import { decode, type Reader } from './codec.ts';
import { rcText } from './rc.ts';
import { terr, type TpmResult } from './types.ts';

export const HEADER_SIZE = 10;

/**
 * Parses a whole response: checks the header against the bytes, decodes a non-zero code into a
 * TPM_RC error, and hands the parameter area (handles first, session area cut off) to `body`.
 */
export function parseResponse<T>(bytes: Uint8Array, handles: number, body: (r: Reader, handleValues: number[]) => T): TpmResult<T> {
  if (bytes.length > MAX_RESPONSE) return terr('TOO_LARGE', `response of ${bytes.length} bytes > ${MAX_RESPONSE}`);
  const head = decode(bytes, (r) => ({ tag: r.u16('tag'), size: r.u32('size'), rc: r.u32('responseCode') }));
  if (!head.ok) return head;
  const { tag, size, rc } = head.value;
  if (tag !== ST.NO_SESSIONS && tag !== ST.SESSIONS) return terr('MALFORMED', `response tag 0x${tag.toString(16)} is not a TPM_ST`, { offset: 0 });
  if (size !== bytes.length) return terr(size > bytes.length ? 'TRUNCATED' : 'MALFORMED', `response size field ${size}, got ${bytes.length} bytes`, { offset: 2 });
  if (rc !== 0) {
    if (size !== HEADER_SIZE) return terr('MALFORMED', `error response ${rcText(rc)} carries ${size - HEADER_SIZE} extra bytes`);
    return terr('TPM_RC', rcText(rc), { rc });
  }
  return decode(bytes, (r) => {
    r.bytes(HEADER_SIZE, 'header');
    const hv: number[] = [];
    for (let i = 0; i < handles; i++) hv.push(r.u32('response handle'));
    if (tag === ST.SESSIONS) {
      const paramSize = r.u32('parameterSize');
      const params = r.sub(paramSize, 'parameters');
      // The session area after the parameters carries only our empty password auth; skip it.
      const out = body(params, hv);
      params.done('response parameters');
      return out;
    }
    const out = body(r, hv);
    r.done('response');
    return out;
  });
}
