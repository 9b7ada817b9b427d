// libsodium sealed boxes (crypto_box_seal): an ephemeral X25519 key per box, so
// the node that seals cannot open what it sealed, and only the holder of the
// org's recovery secret key can. libsodium loads asynchronously (its wasm is
// instantiated once, on first use), hence the promises.

import sodium from 'libsodium-wrappers';
import type { RecoveryKeyPair } from '../identity/store.ts';
import { verr, vok } from './result.ts';
import type { VaultResult } from './types.ts';

/** crypto_box_SEALBYTES: the ephemeral public key and the MAC. */
export const SEAL_OVERHEAD = 48;

export async function seal(secret: Uint8Array, recoveryPublicKey: Uint8Array): Promise<VaultResult<Uint8Array>> {
  if (recoveryPublicKey.length !== 32) return verr('NO_KEY', `recovery public key is ${recoveryPublicKey.length} bytes, X25519 needs 32`);
  await sodium.ready;
  return vok(sodium.crypto_box_seal(secret, recoveryPublicKey));
}

/** DECRYPT when the box was sealed to another key or was altered; the message never holds box bytes. */
export async function unseal(sealed: Uint8Array, key: RecoveryKeyPair): Promise<VaultResult<Uint8Array>> {
  if (sealed.length < SEAL_OVERHEAD) return verr('DECRYPT', `sealed box of ${sealed.length} bytes is shorter than its ${SEAL_OVERHEAD}-byte overhead`);
  await sodium.ready;
  try {
    return vok(sodium.crypto_box_seal_open(sealed, key.publicKey, key.secretKey));
  } catch {
    return verr('DECRYPT', 'the sealed box does not open with this recovery key (sealed to another org key, or altered)');
  }
}
