// TPML_PCR_SELECTION (Part 2 section 10.9.7) and the "sha256:0,1,2" text form tpm2-tools uses.

import { HASH_ALG, algName, hashByAlg } from './constants.ts';
import type { Reader, Writer } from './codec.ts';
import { terr, tok, type HashName, type PcrSelection, type TpmResult } from './types.ts';

/** PC Client TPMs have 24 PCRs; sizeofSelect is 3 for them. */
export const PCR_COUNT = 24;
const SELECT_BYTES = PCR_COUNT / 8;

/** "sha256:0,1,2,3,4,7" or several banks joined by '+', as tpm2-tools writes them. */
export function parsePcrSelection(text: string): TpmResult<PcrSelection> {
  const out: PcrSelection = [];
  for (const part of text.split('+')) {
    const m = /^(sha1|sha256|sha384|sha512):(\d{1,2}(?:,\d{1,2})*)$/.exec(part.trim());
    if (!m) return terr('USAGE', `PCR selection '${part}' is not BANK:N[,N...] (e.g. sha256:0,1,2,3,4,7)`);
    const hash = m[1] as HashName;
    if (out.some((b) => b.hash === hash)) return terr('USAGE', `PCR bank ${hash} given twice`);
    const pcrs = [...new Set((m[2] as string).split(',').map(Number))].sort((a, b) => a - b);
    const bad = pcrs.find((p) => p >= PCR_COUNT);
    if (bad !== undefined) return terr('USAGE', `PCR ${bad} out of range 0-${PCR_COUNT - 1}`);
    out.push({ hash, pcrs });
  }
  return tok(out);
}

export const pcrSelectionText = (sel: PcrSelection): string => sel.map((b) => `${b.hash}:${b.pcrs.join(',')}`).join('+');

export function writePcrSelection(w: Writer, sel: PcrSelection): void {
  w.u32(sel.length);
  for (const bank of sel) {
    const bits = Buffer.alloc(SELECT_BYTES);
    for (const p of bank.pcrs) bits[p >> 3] = (bits[p >> 3] as number) | (1 << (p & 7));
    w.u16(HASH_ALG[bank.hash]).u8(SELECT_BYTES).bytes(bits);
  }
}

/** A bank the codec cannot name still parses, by its algorithm id, so callers can report it. */
export interface RawBankSelection {
  alg: number;
  hash: HashName | undefined;
  pcrs: number[];
}

/** Cap on banks in one list: a TPM has at most a handful (TPM_PT_PCR_COUNT banks, HASH_COUNT). */
const MAX_BANKS = 16;

export function readPcrSelection(r: Reader): RawBankSelection[] {
  const count = r.u32('TPML_PCR_SELECTION count');
  if (count > MAX_BANKS) r.fail('MALFORMED', `TPML_PCR_SELECTION count ${count} > ${MAX_BANKS}`);
  const out: RawBankSelection[] = [];
  for (let i = 0; i < count; i++) {
    const alg = r.u16('pcr bank hash');
    const size = r.u8('sizeofSelect');
    // PCR_SELECT_MAX is 4 bytes in the reference implementation (up to 32 PCRs).
    if (size > 4) r.fail('MALFORMED', `sizeofSelect ${size} > 4`);
    const bits = r.bytes(size, 'pcrSelect');
    const pcrs: number[] = [];
    for (let p = 0; p < size * 8; p++) if (((bits[p >> 3] as number) >> (p & 7)) & 1) pcrs.push(p);
    out.push({ alg, hash: hashByAlg(alg), pcrs });
  }
  return out;
}

export const bankText = (b: RawBankSelection): string => `${b.hash ?? algName(b.alg)}:${b.pcrs.join(',')}`;
