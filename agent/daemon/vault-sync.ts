// The vault on gossip: every record in state.dir/vault (this node's own, and
// those peers brought before a restart) is published through record
// anti-entropy (gossip/records.ts) at start and whenever a file there
// changes; every record a peer brings, verified by the core against the org
// key, is stored through the vault store, so `agent vault list` on any node
// shows every node's records. The secrets stay sealed to the org recovery key
// all the way: nothing here opens them, and log lines name records only by
// node, id and seq.
//
// Changes are found by polling: the directory's mtime first (one stat), and
// only when it moved, each record file's size and mtime. A record is read
// again only when those changed, and published only when its bytes did, so a
// quiet vault of thousands of records costs one stat per poll and no
// signature checks.

import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, statSync } from 'node:fs';
import type { Logger } from 'pino';
import type { GossipDriver } from '../gossip/driver.ts';
import type { RecordBlob, RecordOptions } from '../gossip/records.ts';
import { gerr, gok, type GossipErrorCode } from '../gossip/types.ts';
import { isTempName } from '../state/atomic.ts';
import { verifyVaultRecord } from '../vault/record.ts';
import { loadVaultKeys, openVault, RECORD_SUFFIX, recordFileName, type NodeVault } from '../vault/store.ts';
import type { VaultErrorCode } from '../vault/types.ts';
import type { AgentConfig } from './config.ts';

export const VAULT_POLL_MS = 2000;

/** Vault refusals as gossip codes, for the core's rejection log. */
const CODES: Record<VaultErrorCode, GossipErrorCode> = {
  MALFORMED: 'MALFORMED',
  BAD_SIGNATURE: 'BAD_SIGNATURE',
  FOREIGN: 'UNTRUSTED',
  STALE: 'STALE',
  IO: 'MALFORMED',
  NO_KEY: 'UNTRUSTED',
  DECRYPT: 'MALFORMED',
};

export interface VaultSync {
  /** The store itself, for the heal loop to read peers' records from. */
  store: NodeVault;
  /** What the gossip core is built with: the vault's own verifier. */
  records: RecordOptions;
  /** A record a peer brought: stored through the vault. */
  onRecord(r: RecordBlob): void;
  /** Publishes what the vault holds now and keeps watching it. */
  start(driver: Pick<GossipDriver, 'publishRecord'>): void;
  stop(): void;
}

/** "<node>@<escaped id>.cose" back to (node, id); null for any other name. */
function parseFileName(name: string): { node: string; id: string } | null {
  if (!name.endsWith(RECORD_SUFFIX) || isTempName(name)) return null;
  const base = name.slice(0, -RECORD_SUFFIX.length);
  const at = base.indexOf('@');
  if (at <= 0 || at === base.length - 1) return null;
  const id = base.slice(at + 1).replace(/%([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
  return { node: base.slice(0, at), id };
}

const digestOf = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/**
 * The vault this node gossips, or null when it keeps none (no state.dir, or
 * an identity without the vault's keys): gossip runs without records then,
 * and the reason is logged once.
 */
export function vaultSync(config: Pick<AgentConfig, 'node' | 'state'>, log: Logger, pollMs = VAULT_POLL_MS): VaultSync | null {
  const stateDir = config.state.dir;
  const identityDir = config.node.identityDir;
  if (stateDir === null || identityDir === null) {
    log.info('vault not gossiped: no state.dir');
    return null;
  }
  const keys = loadVaultKeys(identityDir);
  if (!keys.ok) {
    log.warn({ code: keys.error.code, err: keys.error.message }, 'vault not gossiped: identity keys');
    return null;
  }
  const opened = openVault({ stateDir, ...keys.value });
  if (!opened.ok) {
    log.warn({ code: opened.error.code, err: opened.error.message }, 'vault not gossiped: vault directory');
    return null;
  }
  const vault: NodeVault = opened.value;
  const org = keys.value.orgPublicKey;
  /** Per file: what its stat said when last read. */
  const seen = new Map<string, string>();
  /** Per file: the digest of the bytes gossip already holds (published, or brought by a peer and stored). */
  const known = new Map<string, string>();
  let dirStamp = '';
  let timer: NodeJS.Timeout | null = null;

  const stamp = (path: string, follow: boolean): string | null => {
    try {
      const st = (follow ? statSync : lstatSync)(path, { bigint: true });
      return `${st.mtimeNs}/${st.size}/${st.ino}`;
    } catch {
      return null;
    }
  };

  const scan = (driver: Pick<GossipDriver, 'publishRecord'>): void => {
    const ds = stamp(vault.dir, true);
    if (ds === null || ds === dirStamp) return;
    dirStamp = ds;
    let names: string[];
    try {
      names = readdirSync(vault.dir);
    } catch (e) {
      log.warn({ dir: vault.dir, err: (e as Error).message }, 'vault directory unreadable');
      return;
    }
    const present = new Set<string>();
    for (const name of names) {
      const key = parseFileName(name);
      if (!key) continue;
      present.add(name);
      const st = stamp(`${vault.dir}/${name}`, false);
      if (st === null || seen.get(name) === st) continue;
      const raw = vault.raw(key.node, key.id);
      if (!raw.ok) {
        log.warn({ file: name, code: raw.error.code, err: raw.error.message }, 'vault record unreadable');
        continue;
      }
      const digest = digestOf(raw.value);
      seen.set(name, st);
      if (known.get(name) === digest) continue;
      known.set(name, digest);
      const r = driver.publishRecord(raw.value);
      if (r.ok) log.info({ node: r.value.node, id: r.value.id, seq: r.value.seq }, 'vault record published');
      else log.warn({ file: name, code: r.error.code, err: r.error.message }, 'vault record not published');
    }
    for (const name of seen.keys()) if (!present.has(name)) seen.delete(name);
    for (const name of known.keys()) if (!present.has(name)) known.delete(name);
  };

  return {
    store: vault,
    records: {
      verify(bytes) {
        const v = verifyVaultRecord(bytes, org);
        if (!v.ok) return gerr(CODES[v.error.code], v.error.message);
        const e = v.value.entry;
        return gok({ node: e.node, id: e.id, seq: e.seq });
      },
    },
    onRecord(r) {
      const a = vault.accept(r.bytes);
      if (!a.ok) {
        // STALE: the store holds this seq or a newer one already (a record it wrote itself, say).
        log[a.error.code === 'STALE' ? 'debug' : 'warn']({ node: r.node, id: r.id, seq: r.seq, code: a.error.code, err: a.error.message }, 'vault record from gossip not stored');
        return;
      }
      known.set(recordFileName(r.node, r.id), digestOf(r.bytes));
      log.info({ node: a.value.node, id: a.value.id, seq: a.value.seq, kind: a.value.kind }, 'vault record received');
    },
    start(driver) {
      // A scan that throws is a bug here; the daemon and its gossip go on, the next poll tries again.
      const safeScan = (): void => {
        try {
          scan(driver);
        } catch (e) {
          log.error({ err: (e as Error).message }, 'vault scan failed');
        }
      };
      safeScan();
      timer = setInterval(safeScan, pollMs);
      timer.unref();
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}
