// TPMS_ATTEST (Part 2 section 10.12.12) for quotes and TPMT_SIGNATURE (section 11.3.4): the
// two files `tpm2_quote -m/-s` writes and `agent tpm quote` writes the same way.

import { ALG, ST, TPM_GENERATED_VALUE, algName } from './constants.ts';
import { decode, type Reader } from './codec.ts';
import { readPcrSelection, type RawBankSelection } from './pcr-selection.ts';
import type { TpmResult } from './types.ts';

export interface ClockInfo {
  clock: bigint;
  resetCount: number;
  restartCount: number;
  safe: boolean;
}

export interface QuoteAttest {
  magic: number;
  type: number;
  qualifiedSigner: Buffer;
  extraData: Buffer;
  clockInfo: ClockInfo;
  firmwareVersion: bigint;
  pcrSelect: RawBankSelection[];
  pcrDigest: Buffer;
}

/** A TPM2B_ATTEST holds at most sizeof(TPMS_ATTEST), under 1 KiB on any real part. */
export const MAX_ATTEST = 2048;

function readQuoteAttest(r: Reader): QuoteAttest {
  const magic = r.u32('magic');
  if (magic !== TPM_GENERATED_VALUE) r.fail('MALFORMED', `magic 0x${magic.toString(16)} is not TPM_GENERATED_VALUE: not produced by a TPM`);
  const type = r.u16('attest type');
  if (type !== ST.ATTEST_QUOTE) r.fail('MALFORMED', `attestation type 0x${type.toString(16)} is not TPM_ST_ATTEST_QUOTE`);
  const qualifiedSigner = r.tpm2b('qualifiedSigner', 68);
  const extraData = r.tpm2b('extraData', 64);
  const clockInfo: ClockInfo = { clock: r.u64('clock'), resetCount: r.u32('resetCount'), restartCount: r.u32('restartCount'), safe: false };
  const safe = r.u8('safe');
  if (safe > 1) r.fail('MALFORMED', `clockInfo.safe is ${safe}, not a TPMI_YES_NO`);
  clockInfo.safe = safe === 1;
  const firmwareVersion = r.u64('firmwareVersion');
  const pcrSelect = readPcrSelection(r);
  const pcrDigest = r.tpm2b('pcrDigest', 64);
  r.done('TPMS_ATTEST');
  return { magic, type, qualifiedSigner, extraData, clockInfo, firmwareVersion, pcrSelect, pcrDigest };
}

export function parseQuoteAttest(bytes: Uint8Array): TpmResult<QuoteAttest> {
  if (bytes.length > MAX_ATTEST) return { ok: false, error: { code: 'TOO_LARGE', message: `attestation of ${bytes.length} bytes > ${MAX_ATTEST}` } };
  return decode(bytes, readQuoteAttest);
}

export type Signature =
  | { alg: 'ecdsa'; hash: number; r: Buffer; s: Buffer }
  | { alg: 'rsassa' | 'rsapss'; hash: number; sig: Buffer };

export function readSignature(r: Reader): Signature {
  const alg = r.u16('sigAlg');
  if (alg === ALG.ECDSA) {
    const hash = r.u16('ecdsa hash');
    return { alg: 'ecdsa', hash, r: r.tpm2b('signatureR', 66), s: r.tpm2b('signatureS', 66) };
  }
  if (alg === ALG.RSASSA || alg === ALG.RSAPSS) {
    const hash = r.u16('rsa hash');
    return { alg: alg === ALG.RSASSA ? 'rsassa' : 'rsapss', hash, sig: r.tpm2b('rsa signature', 512) };
  }
  return r.fail('UNSUPPORTED', `signature algorithm ${algName(alg)} (only ecdsa, rsassa, rsapss)`);
}

export function parseSignature(bytes: Uint8Array): TpmResult<Signature> {
  return decode(bytes, (r) => {
    const s = readSignature(r);
    r.done('TPMT_SIGNATURE');
    return s;
  });
}
