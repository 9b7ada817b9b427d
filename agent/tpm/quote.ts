// Quoting PCRs with the fixed-template AK, and verifying a quote (ours or tpm2_quote's)
// against an AK public key, a nonce and the signed TPMS_ATTEST bytes.

import { constants, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { parseQuoteAttest, parseSignature, type ClockInfo } from './attest.ts';
import { createAk, exec, flush } from './client.ts';
import * as cmd from './commands.ts';
import { algName, hashByAlg } from './constants.ts';
import { bankText, type RawBankSelection } from './pcr-selection.ts';
import { publicToPem } from './public.ts';
import { terr, tok, TpmFailure, type PcrSelection, type Tpm, type TpmResult } from './types.ts';

export { parsePcrSelection } from './pcr-selection.ts';
export { openTpm } from './client.ts';

/** qualifyingData is a TPM2B_DATA: at most the size of the largest digest (64 bytes). */
export const MAX_NONCE = 64;

export async function quote(tpm: Tpm, qualifyingData: Uint8Array, pcrs: PcrSelection): Promise<{ msg: Buffer; sig: Buffer; akPem: string }> {
  if (qualifyingData.length > MAX_NONCE) throw new TpmFailure({ code: 'USAGE', message: `nonce of ${qualifyingData.length} bytes > ${MAX_NONCE}` });
  const ak = await createAk(tpm);
  try {
    const pem = publicToPem(ak.pub);
    if ('error' in pem) throw new TpmFailure({ code: 'UNSUPPORTED', message: pem.error });
    const q = await exec(tpm, cmd.quoteCmd(ak.handle, qualifyingData, pcrs), cmd.parseQuote);
    return { msg: q.attest, sig: q.sigBytes, akPem: pem.pem };
  } finally {
    // Transient slots are few (3 on many parts); never leave the AK loaded.
    await flush(tpm, ak.handle).catch(() => undefined);
  }
}

export interface VerifiedQuote {
  pcrDigest: Buffer;
  pcrSelect: RawBankSelection[];
  /** "sha256:0,1,2" form of pcrSelect. */
  pcrs: string;
  clockInfo: ClockInfo;
  firmwareVersion: bigint;
  qualifiedSigner: Buffer;
  sigAlg: string;
}

function importKey(pem: string): TpmResult<KeyObject> {
  try {
    return tok(createPublicKey(pem));
  } catch (e) {
    return terr('MALFORMED', `AK is not a PEM public key: ${(e as Error).message}`);
  }
}

/** Fixed-width big-endian: TPMs may strip leading zero bytes of r and s. */
function fixed(b: Buffer, size: number): Buffer | undefined {
  let v = b;
  while (v.length > size && v[0] === 0) v = v.subarray(1);
  if (v.length > size) return undefined;
  return Buffer.concat([Buffer.alloc(size - v.length), v]);
}

const CURVE_SIZE: Record<string, number> = { prime256v1: 32, secp384r1: 48, secp521r1: 66 };

/**
 * Checks, in order: the signature parses, the attestation is a TPM-generated quote, its
 * extraData is the nonce, and the signature verifies over msg with the AK. A signature made
 * by another key and one over altered bytes fail the same way (BAD_SIGNATURE): from the
 * signature alone the two cannot be told apart.
 */
export function verifyQuote(input: { akPem: string; msg: Uint8Array; sig: Uint8Array; nonce: Uint8Array }): TpmResult<VerifiedQuote> {
  const key = importKey(input.akPem);
  if (!key.ok) return key;
  const sig = parseSignature(input.sig);
  if (!sig.ok) return terr(sig.error.code, `signature: ${sig.error.message}`, sig.error.offset === undefined ? {} : { offset: sig.error.offset });
  const att = parseQuoteAttest(input.msg);
  if (!att.ok) return terr('NOT_A_QUOTE', `not a TPM quote: ${att.error.message}`, att.error.offset === undefined ? {} : { offset: att.error.offset });
  const a = att.value;
  if (!Buffer.from(input.nonce).equals(a.extraData)) {
    return terr('BAD_NONCE', `quote nonce ${a.extraData.toString('hex') || '(empty)'} is not the expected ${Buffer.from(input.nonce).toString('hex') || '(empty)'}`);
  }
  const s = sig.value;
  const hash = hashByAlg(s.hash);
  if (!hash) return terr('UNSUPPORTED', `signature hash ${algName(s.hash)}`);
  const k = key.value;
  const kt = k.asymmetricKeyType;
  let good: boolean;
  try {
    if (s.alg === 'ecdsa') {
      if (kt !== 'ec') return terr('BAD_SIGNATURE', `ECDSA signature but the AK is a ${kt ?? 'unknown'} key: wrong key`);
      const size = CURVE_SIZE[k.asymmetricKeyDetails?.namedCurve ?? ''];
      if (!size) return terr('UNSUPPORTED', `AK curve ${k.asymmetricKeyDetails?.namedCurve ?? 'unknown'}`);
      const r = fixed(s.r, size);
      const sv = fixed(s.s, size);
      if (!r || !sv) return terr('BAD_SIGNATURE', 'ECDSA r or s longer than the AK curve: wrong key or tampered signature');
      good = verify(hash, input.msg, { key: k, dsaEncoding: 'ieee-p1363' }, Buffer.concat([r, sv]));
    } else {
      if (kt !== 'rsa') return terr('BAD_SIGNATURE', `RSA signature but the AK is a ${kt ?? 'unknown'} key: wrong key`);
      const padding = s.alg === 'rsapss' ? constants.RSA_PKCS1_PSS_PADDING : constants.RSA_PKCS1_PADDING;
      good = verify(hash, input.msg, { key: k, padding, saltLength: constants.RSA_PSS_SALTLEN_AUTO }, s.sig);
    }
  } catch (e) {
    // OpenSSL rejects some malformed signatures (wrong length) by throwing instead of returning false.
    return terr('BAD_SIGNATURE', `signature rejected: ${(e as Error).message}`);
  }
  if (!good) return terr('BAD_SIGNATURE', `${s.alg} signature does not verify with this AK: wrong key, or msg/sig altered`);
  return tok({
    pcrDigest: a.pcrDigest,
    pcrSelect: a.pcrSelect,
    pcrs: a.pcrSelect.map(bankText).join('+'),
    clockInfo: a.clockInfo,
    firmwareVersion: a.firmwareVersion,
    qualifiedSigner: a.qualifiedSigner,
    sigAlg: `${s.alg}-${hash}`,
  });
}
