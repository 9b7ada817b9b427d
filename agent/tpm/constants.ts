// Numeric constants from TCG "TPM 2.0 Library Part 2: Structures" (rev 1.59), sections 6 and 7;
// the same values appear in tpm2-tss include/tss2/tss2_tpm2_types.h.

import type { HashName } from './types.ts';

export const ST = {
  NO_SESSIONS: 0x8001,
  SESSIONS: 0x8002,
  ATTEST_QUOTE: 0x8018,
} as const;

export const CC = {
  CreatePrimary: 0x131,
  Startup: 0x144,
  Quote: 0x158,
  FlushContext: 0x165,
  ReadPublic: 0x173,
  GetCapability: 0x17a,
  GetRandom: 0x17b,
  PCR_Read: 0x17e,
} as const;

export const RH = {
  NULL: 0x40000007,
  RS_PW: 0x40000009,
  ENDORSEMENT: 0x4000000b,
} as const;

export const ALG = {
  RSA: 0x0001,
  SHA1: 0x0004,
  HMAC: 0x0005,
  AES: 0x0006,
  KEYEDHASH: 0x0008,
  XOR: 0x000a,
  SHA256: 0x000b,
  SHA384: 0x000c,
  SHA512: 0x000d,
  NULL: 0x0010,
  SM3_256: 0x0012,
  RSASSA: 0x0014,
  RSAPSS: 0x0016,
  ECDSA: 0x0018,
  ECDH: 0x0019,
  ECDAA: 0x001a,
  SM2: 0x001b,
  ECSCHNORR: 0x001c,
  ECC: 0x0023,
  SYMCIPHER: 0x0025,
  CFB: 0x0043,
} as const;

/** Names of the other TPM_ALG_ID values (Part 2 section 6.3), for `agent tpm info` only. */
const OTHER_ALGS: [number, string][] = [
  [0x0003, 'tdes'], [0x0007, 'mgf1'], [0x0013, 'sm4'], [0x0015, 'rsaes'], [0x0017, 'oaep'], [0x001d, 'ecmqv'],
  [0x0020, 'kdf1_sp800_56a'], [0x0021, 'kdf2'], [0x0022, 'kdf1_sp800_108'], [0x0026, 'camellia'],
  [0x003f, 'cmac'], [0x0040, 'ctr'], [0x0041, 'ofb'], [0x0042, 'cbc'], [0x0044, 'ecb'],
];
export const ALG_NAMES: ReadonlyMap<number, string> = new Map([...Object.entries(ALG).map(([k, v]): [number, string] => [v, k.toLowerCase()]), ...OTHER_ALGS]);
export const algName = (id: number): string => ALG_NAMES.get(id) ?? `0x${id.toString(16).padStart(4, '0')}`;

export const HASH_ALG: Record<HashName, number> = { sha1: ALG.SHA1, sha256: ALG.SHA256, sha384: ALG.SHA384, sha512: ALG.SHA512 };
export const HASH_SIZE: Record<HashName, number> = { sha1: 20, sha256: 32, sha384: 48, sha512: 64 };
export function hashByAlg(alg: number): HashName | undefined {
  for (const [name, id] of Object.entries(HASH_ALG)) if (id === alg) return name as HashName;
  return undefined;
}

export const ECC_CURVE = { NIST_P256: 0x0003, NIST_P384: 0x0004, NIST_P521: 0x0005 } as const;
/** JWK curve names for the NIST curves node:crypto imports. */
export const JWK_CURVE: ReadonlyMap<number, { crv: string; size: number }> = new Map([
  [ECC_CURVE.NIST_P256, { crv: 'P-256', size: 32 }],
  [ECC_CURVE.NIST_P384, { crv: 'P-384', size: 48 }],
  [ECC_CURVE.NIST_P521, { crv: 'P-521', size: 66 }],
]);

export const CAP = { ALGS: 0x0, PCRS: 0x5, TPM_PROPERTIES: 0x6 } as const;
/** PT_FIXED (0x100) + offset, Part 2 section 6.13. */
export const PT = { MANUFACTURER: 0x105, FIRMWARE_VERSION_1: 0x10b, FIRMWARE_VERSION_2: 0x10c } as const;

export const SU_CLEAR = 0x0000;

/** TPMA_OBJECT bits, Part 2 section 8.3. */
export const OBJ = {
  fixedTPM: 1 << 1,
  fixedParent: 1 << 4,
  sensitiveDataOrigin: 1 << 5,
  userWithAuth: 1 << 6,
  restricted: 1 << 16,
  decrypt: 1 << 17,
  sign: 1 << 18,
} as const;

/** TPM_GENERATED_VALUE: every TPMS_ATTEST the TPM signs starts with it (Part 2 section 6.2). */
export const TPM_GENERATED_VALUE = 0xff544347;

/** No TPM response exceeds a few KiB (TPM_PT_MAX_RESPONSE_SIZE is 4096 on common parts); 64 KiB bounds hostile sizes. */
export const MAX_RESPONSE = 0x10000;
