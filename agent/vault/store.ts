// The vault on disk: state.dir/vault/<node>@<id>.cose, one signed record per
// (node, id), this node's own and those gossip brought from its peers. Every
// write is atomic (atomic.ts); only names ending in .cose are read as records,
// so a temp file a kill -9 left behind is never taken for one, and the first
// writer to open the vault afterwards removes it.

import type { KeyObject } from 'node:crypto';
import { closeSync, constants, fstatSync, mkdirSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { loadIdentity, NODE_FILES, readRecoveryPublicKey } from '../identity/store.ts';
import { readPublicKey } from '../identity/keys.ts';
import { removeLeftovers, writeAtomic } from '../state/atomic.ts';
import { decodeVaultRecord, MAX_RECORD, MAX_SECRET, signVaultRecord, verifyVaultRecord, type RecordSigner } from './record.ts';
import { verr, vok } from './result.ts';
import { seal } from './seal.ts';
import type { VaultEntry, VaultError, VaultKind, VaultResult, VaultStore } from './types.ts';

export const VAULT_DIR = 'vault';
export const RECORD_SUFFIX = '.cose';

const io = (what: string, e: unknown): VaultResult<never> => verr('IO', `${what}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);

/** "<node>@<id>.cose" with every byte of the id outside [A-Za-z0-9._-] as %XX: one name per (node, id), reversible, no path separators. */
export function recordFileName(node: string, id: string): string {
  const escaped = id.replace(/[^A-Za-z0-9._-]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
  return `${node}@${escaped}${RECORD_SUFFIX}`;
}

/** Bounded, regular files only, no symlinks followed: the vault directory is not trusted to hold only what we wrote. */
function readRecordFile(path: string): VaultResult<Uint8Array> {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    return io(path, e);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return verr('MALFORMED', `${path}: not a regular file`);
    if (st.size > MAX_RECORD) return verr('MALFORMED', `${path}: ${st.size} bytes, a record is at most ${MAX_RECORD}`);
    const buf = Buffer.alloc(MAX_RECORD + 1);
    let got = 0;
    for (;;) {
      const n = readSync(fd, buf, got, buf.length - got, null);
      if (n === 0) break;
      got += n;
      if (got > MAX_RECORD) return verr('MALFORMED', `${path}: grew past ${MAX_RECORD} bytes while read`);
    }
    return vok(new Uint8Array(buf.subarray(0, got)));
  } catch (e) {
    return io(path, e);
  } finally {
    closeSync(fd);
  }
}

export interface ScannedRecord {
  file: string;
  /** null when the file is not a readable record. */
  entry: VaultEntry | null;
  /** true: chain and signature verify; false: they do not; null: no org key was given to check with. */
  verified: boolean | null;
  error: VaultError | null;
}

/** Every record file under stateDir/vault (none when the directory is absent), each checked against the org key when given. Reads only. */
export function scanVault(stateDir: string, orgPublicKey: KeyObject | null): VaultResult<ScannedRecord[]> {
  const dir = join(stateDir, VAULT_DIR);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return vok([]);
    return io(dir, e);
  }
  const out: ScannedRecord[] = [];
  for (const file of names.filter((n) => n.endsWith(RECORD_SUFFIX) && !n.startsWith('.')).sort()) {
    const bytes = readRecordFile(join(dir, file));
    if (!bytes.ok) {
      out.push({ file, entry: null, verified: orgPublicKey ? false : null, error: bytes.error });
      continue;
    }
    const d = orgPublicKey ? verifyVaultRecord(bytes.value, orgPublicKey) : decodeVaultRecord(bytes.value);
    if (!d.ok) {
      const plain = d.error.code === 'MALFORMED' ? null : decodeVaultRecord(bytes.value);
      out.push({ file, entry: plain?.ok ? plain.value.entry : null, verified: orgPublicKey ? false : null, error: d.error });
      continue;
    }
    const e = d.value.entry;
    // A record renamed onto another (node, id) would shadow that one's seq.
    if (recordFileName(e.node, e.id) !== file) {
      out.push({ file, entry: e, verified: orgPublicKey ? false : null, error: { code: 'MALFORMED', message: `${file} holds the record of ${e.node}/${e.id}` } });
      continue;
    }
    out.push({ file, entry: e, verified: orgPublicKey ? true : null, error: null });
  }
  return vok(out);
}

/** What the vault signs and seals with; recoveryPublicKey null: put answers NO_KEY (an identity enrolled before recovery keys). */
export interface VaultKeys {
  node: RecordSigner & { name: string };
  orgPublicKey: KeyObject;
  recoveryPublicKey: Uint8Array | null;
}

export type OpenVaultOptions = {
  stateDir: string;
  /** Milliseconds since the epoch; tests pass a clock. */
  now?: () => number;
} & ({ identityDir: string } | VaultKeys);

export interface NodeVault extends VaultStore {
  readonly dir: string;
  /** Temp files of killed writers removed when the vault was opened. */
  readonly removedTemps: readonly string[];
  /** Stores a record a peer (gossip) brought, after verifying it against the org key; STALE unless newer than the stored one. */
  accept(bytes: Uint8Array): VaultResult<VaultEntry>;
}

/** The keys of the identity directory `agent enroll` wrote. */
export function loadVaultKeys(identityDir: string): VaultResult<VaultKeys> {
  const id = loadIdentity(identityDir);
  if (!id.ok) return verr(id.error.code === 'IO' ? 'IO' : 'MALFORMED', id.error.message);
  const org = readPublicKey(join(identityDir, NODE_FILES.orgPublicKey));
  if (!org.ok) return verr(org.error.code === 'IO' ? 'IO' : 'MALFORMED', org.error.message);
  const rec = readRecoveryPublicKey(join(identityDir, NODE_FILES.recoveryPublicKey));
  // Absent: enrolled before the vault; put says NO_KEY while list, raw and accept still work.
  if (!rec.ok && rec.error.code !== 'IO') return verr('MALFORMED', rec.error.message);
  return vok({ node: id.value, orgPublicKey: org.value, recoveryPublicKey: rec.ok ? rec.value : null });
}

export function openVault(o: OpenVaultOptions): VaultResult<NodeVault> {
  const keys = 'identityDir' in o ? loadVaultKeys(o.identityDir) : vok<VaultKeys>(o);
  if (!keys.ok) return keys;
  const { node, orgPublicKey, recoveryPublicKey } = keys.value;
  const now = o.now ?? Date.now;
  const dir = join(o.stateDir, VAULT_DIR);
  let removedTemps: string[];
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    removedTemps = removeLeftovers(dir);
  } catch (e) {
    return io(dir, e);
  }

  const stored = (n: string, id: string): VaultResult<Uint8Array> => readRecordFile(join(dir, recordFileName(n, id)));
  const write = (e: VaultEntry, bytes: Uint8Array): VaultResult<VaultEntry> => {
    try {
      writeAtomic(dir, recordFileName(e.node, e.id), bytes, 0o600);
      return vok(e);
    } catch (err) {
      return io(`${dir}/${recordFileName(e.node, e.id)}`, err);
    }
  };
  /** The stored bytes and their seq; a file that does not decode counts as absent (the new record replaces it). */
  const current = (n: string, id: string): { bytes: Uint8Array; seq: number } | null => {
    const b = stored(n, id);
    const d = b.ok ? decodeVaultRecord(b.value) : null;
    return b.ok && d?.ok ? { bytes: b.value, seq: d.value.entry.seq } : null;
  };

  return vok({
    dir,
    removedTemps,
    async put(kind: VaultKind, id: string, secret: Uint8Array, meta: VaultEntry['meta']): Promise<VaultResult<VaultEntry>> {
      if (!recoveryPublicKey) return verr('NO_KEY', `no org recovery key (${NODE_FILES.recoveryPublicKey}) in this node's identity; re-enroll it with an org that has one`);
      if (secret.length === 0 || secret.length > MAX_SECRET) return verr('MALFORMED', `a secret is 1-${MAX_SECRET} bytes`);
      const sealed = await seal(secret, recoveryPublicKey);
      if (!sealed.ok) return sealed;
      // From here on synchronous: no other put can slip between reading the stored seq and writing.
      const created = Math.floor(now() / 1000);
      const prev = current(node.name, id);
      // Never below the clock: a node whose state was wiped would otherwise restart at 1
      // and every peer holding its old record would refuse the new one as stale.
      const seq = Math.max((prev?.seq ?? 0) + 1, created);
      const entry: VaultEntry = { node: node.name, kind, id, seq, created, meta: { ...meta } };
      const bytes = signVaultRecord(entry, sealed.value, node);
      if (!bytes.ok) return bytes;
      // What peers will check, checked before it is kept: an expired certificate or an
      // identity of another org must fail here, not silently on every other node.
      const self = verifyVaultRecord(bytes.value, orgPublicKey);
      if (!self.ok) return self;
      return write(entry, bytes.value);
    },
    list(): VaultResult<VaultEntry[]> {
      const s = scanVault(o.stateDir, orgPublicKey);
      if (!s.ok) return s;
      return vok(s.value.filter((r) => r.verified === true && r.entry !== null).map((r) => r.entry as VaultEntry));
    },
    raw(n: string, id: string): VaultResult<Uint8Array> {
      return stored(n, id);
    },
    accept(bytes: Uint8Array): VaultResult<VaultEntry> {
      const d = decodeVaultRecord(bytes);
      if (!d.ok) return d;
      const e = d.value.entry;
      const prev = current(e.node, e.id);
      const v = verifyVaultRecord(bytes, orgPublicKey, prev ? { storedSeq: prev.seq } : {});
      if (!v.ok) return v;
      if (prev && prev.seq === e.seq) {
        if (Buffer.compare(prev.bytes, bytes) === 0) return vok(e);
        return verr('STALE', `vault record ${e.node}/${e.id}: another record with seq ${e.seq} is already stored; keeping it`);
      }
      return write(e, bytes);
    },
  });
}
