// Adapters between the TPM layer and identity: quoting the session key at
// record time, checking a peer's quote at verify time.

import { quote, verifyQuote } from '../tpm/index.ts';
import type { PcrSelection, Tpm } from '../tpm/index.ts';
import type { Quoter } from './session.ts';
import type { QuoteCheck } from './verify.ts';

export const tpmQuoter =
  (tpm: Tpm, pcrs: PcrSelection): Quoter =>
  async (qualifyingData) => {
    const q = await quote(tpm, qualifyingData, pcrs);
    return { msg: new Uint8Array(q.msg), sig: new Uint8Array(q.sig), akPem: q.akPem };
  };

/**
 * Checks the quote's signature with the AK it carries and its nonce. Which AK
 * and which PCR values a node may present is policy, not decided here.
 */
export const tpmQuoteCheck: QuoteCheck = (q, nonce) => {
  const r = verifyQuote({ akPem: q.akPem, msg: q.msg, sig: q.sig, nonce });
  return r.ok ? { ok: true } : { ok: false, message: `${r.error.code}: ${r.error.message}` };
};
