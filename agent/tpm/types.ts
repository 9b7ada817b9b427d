// Shared shapes of the TPM 2.0 layer: typed errors (never raw throws from decoders) and the
// handle a caller holds on an open TPM.

export type TpmErrorCode =
  | 'TRUNCATED' // fewer bytes than a size field promises
  | 'MALFORMED' // bytes of the wrong form (bad tag, magic, selector, trailing bytes)
  | 'TOO_LARGE' // a size beyond what any TPM sends
  | 'UNSUPPORTED' // an algorithm or structure this codec does not decode
  | 'TPM_RC' // the TPM answered with a non-zero response code
  | 'TIMEOUT' // no complete response within the deadline
  | 'IO' // the transport failed (open, connect, read, write)
  | 'USAGE' // a bad argument from the caller (URI, PCR list)
  | 'BAD_NONCE' // the quote's extraData is not the expected nonce
  | 'BAD_SIGNATURE' // the signature does not verify with the given AK
  | 'NOT_A_QUOTE'; // the attestation is not a TPM-generated quote

export interface TpmError {
  code: TpmErrorCode;
  message: string;
  offset?: number;
  /** The raw TPM_RC when code is TPM_RC. */
  rc?: number;
}

export type TpmResult<T> = { ok: true; value: T } | { ok: false; error: TpmError };

export const tok = <T>(value: T): TpmResult<T> => ({ ok: true, value });
export const terr = (code: TpmErrorCode, message: string, extra: { offset?: number; rc?: number } = {}): TpmResult<never> => ({
  ok: false,
  error: { code, message, ...extra },
});

/** The rejection of an async TPM operation: carries the typed error, so callers switch on `.error.code`. */
export class TpmFailure extends Error {
  constructor(readonly error: TpmError) {
    super(error.message);
    this.name = 'TpmFailure';
  }
}

/** Unwraps a result inside async TPM operations, turning a failure into a TpmFailure rejection. */
export function must<T>(r: TpmResult<T>): T {
  if (!r.ok) throw new TpmFailure(r.error);
  return r.value;
}

export type HashName = 'sha1' | 'sha256' | 'sha384' | 'sha512';

/** One bank and the PCR indices selected in it, ascending. */
export interface PcrBankSelection {
  hash: HashName;
  pcrs: number[];
}
export type PcrSelection = PcrBankSelection[];

/** An open TPM: one command in flight at a time, each bounded in time. */
export interface Tpm {
  readonly uri: string;
  /** Sends one marshalled command, resolves with the whole response (any response code). */
  transmit(command: Uint8Array): Promise<TpmResult<Buffer>>;
  close(): Promise<void>;
}
