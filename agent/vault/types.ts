// The contract of the credential vault: a secret a node created (an AMT admin
// password, a BMC user's password) or a reference given at enrollment (PDU outlet,
// VM id, VPS server id) becomes a record sealed to the org's recovery key
// (libsodium crypto_box_seal), signed by the node (COSE_Sign1), stored under
// state.dir with atomic writes and published through gossip anti-entropy.

export type VaultKind = 'amt-admin' | 'bmc-user' | 'channel-ref';

/** What anyone may read: no secret in here. */
export interface VaultEntry {
  node: string;
  kind: VaultKind;
  /** Unique per node and kind ("bmc-user:fortros-oob", "amt-admin", "channel-ref:pdu"). */
  id: string;
  /** Monotonic per (node, id): a newer record replaces an older one, never the reverse. */
  seq: number;
  /** Unix seconds. */
  created: number;
  /** Non-secret facts: user name, slot, channel name, host. */
  meta: Record<string, string | number | boolean>;
}

export type VaultErrorCode = 'MALFORMED' | 'BAD_SIGNATURE' | 'FOREIGN' | 'STALE' | 'IO' | 'NO_KEY' | 'DECRYPT';

export interface VaultError {
  code: VaultErrorCode;
  message: string;
}

export type VaultResult<T> = { ok: true; value: T } | { ok: false; error: VaultError };

/** The store the policy executor writes to; vault/store.ts implements it. */
export interface VaultStore {
  /** Seals `secret` to the org recovery key, signs, writes atomically; returns the entry. */
  put(kind: VaultKind, id: string, secret: Uint8Array, meta: VaultEntry['meta']): Promise<VaultResult<VaultEntry>>;
  list(): VaultResult<VaultEntry[]>;
  /** The signed record bytes as stored and gossiped (for anti-entropy). */
  raw(node: string, id: string): VaultResult<Uint8Array>;
}
