// Typed outcomes of decoding and verifying identity material. Everything that
// reads bytes from a peer or a file returns one of these instead of throwing.

export type IdentityErrorCode =
  | 'MALFORMED' // not CBOR, or not the shape this schema requires
  | 'NOT_CANONICAL' // valid CBOR but not the deterministic encoding (RFC 8949 section 4.2)
  | 'TOO_LARGE'
  | 'UNSUPPORTED' // algorithm or version this agent does not speak
  | 'BAD_SIGNATURE'
  | 'FOREIGN_ORG' // certificate signed by a key other than the trusted org key
  | 'EXPIRED'
  | 'NOT_YET_VALID'
  | 'REPLAYED' // older than what was already seen from this node
  | 'MISMATCH' // parts of the record disagree (binding, certificate, quote)
  | 'BAD_QUOTE'
  | 'IO';

export interface IdentityError {
  code: IdentityErrorCode;
  message: string;
}

export type IdResult<T> = { ok: true; value: T } | { ok: false; error: IdentityError };

export const okv = <T>(value: T): IdResult<T> => ({ ok: true, value });
export const err = (code: IdentityErrorCode, message: string): IdResult<never> => ({ ok: false, error: { code, message } });
