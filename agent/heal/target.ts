// What a healer knows of a dead node's channels, read from the node's vault
// records (every member holds every node's records through gossip): a
// channel-ref:<channel> record gives where the channel is (the reference
// enrollment gave: host, port, VM or server id), and the node's own sealed
// credentials make it usable (bmc-user:* for the BMC channels, amt-admin for
// AMT). Pure: the daemon lists the records, opens the sealed parts with the
// org recovery key, and hands both here.

import { isChannelName, type ChannelName } from '../channels/registry.ts';
import type { ChannelOptions } from '../channels/types.ts';
import type { VaultEntry } from '../vault/types.ts';
import type { LadderChannel, LadderTarget } from './ladder-types.ts';

/** Channels that speak to the BMC with the BMC user `use` created. */
const BMC_CHANNELS: ReadonlySet<ChannelName> = new Set<ChannelName>(['ipmi', 'redfish']);
/** Channels that cannot read power state: their success is the node rejoining (ladder-order.ts puts them last). */
const UNVERIFIABLE: ReadonlySet<ChannelName> = new Set<ChannelName>(['wol', 'hetzner-robot']);
/** Reference keys that are ChannelOptions fields, not channel params. */
const COMMON = new Set(['channel', 'host', 'port', 'user']);

export interface OpenedRecord {
  entry: VaultEntry;
  /** The unsealed secret; null when the record was listed but not opened. */
  secret: Uint8Array | null;
}

/** The newest record of each id of `node`. */
export function latest(node: string, entries: readonly VaultEntry[]): VaultEntry[] {
  const by = new Map<string, VaultEntry>();
  for (const e of entries) {
    if (e.node !== node) continue;
    const held = by.get(e.id);
    if (!held || e.seq > held.seq) by.set(e.id, e);
  }
  return [...by.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
}

interface Planned {
  name: ChannelName;
  ref: VaultEntry;
  /** The record whose secret the channel needs, if any. */
  creds: VaultEntry | null;
}

function plan(node: string, entries: readonly VaultEntry[]): Planned[] {
  const recs = latest(node, entries);
  const bmcUser = recs.find((e) => e.kind === 'bmc-user') ?? null;
  const amtAdmin = recs.find((e) => e.kind === 'amt-admin') ?? null;
  const out: Planned[] = [];
  for (const r of recs) {
    if (r.kind !== 'channel-ref') continue;
    const name = r.id.slice('channel-ref:'.length);
    if (!isChannelName(name)) continue;
    const creds = BMC_CHANNELS.has(name) ? bmcUser : name === 'amt' ? amtAdmin : null;
    // A BMC or AMT reference without the credentials to log in is no way in.
    if ((BMC_CHANNELS.has(name) || name === 'amt') && creds === null) continue;
    out.push({ name, ref: r, creds });
  }
  return out;
}

/** The channels `node`'s records make usable, without opening anything: what rank.ts's Means.channel asks. */
export function channelsOf(node: string, entries: readonly VaultEntry[]): ChannelName[] {
  return plan(node, entries).map((p) => p.name);
}

/** The records whose sealed part the ladder needs (the credentials), to open with the recovery key. */
export function recordsToOpen(node: string, entries: readonly VaultEntry[]): VaultEntry[] {
  const seen = new Set<string>();
  return plan(node, entries).flatMap((p) => (p.creds && !seen.has(p.creds.id) && seen.add(p.creds.id) ? [p.creds] : []));
}

const str = (v: string | number | boolean | undefined): string | undefined => (v === undefined ? undefined : String(v));

/**
 * The ladder's target: each usable channel with its options, in the order the
 * records sort (the policy's fencing.channels reorders and filters in the ladder).
 * A channel whose credentials did not open is left out and named in `missing`.
 */
export function buildTarget(node: string, opened: readonly OpenedRecord[], allowed: readonly ChannelName[]): { target: LadderTarget; missing: string[] } {
  const secrets = new Map(opened.filter((o) => o.secret !== null).map((o) => [`${o.entry.id}#${o.entry.seq}`, o.secret as Uint8Array]));
  const channels: LadderChannel[] = [];
  const missing: string[] = [];
  for (const p of plan(node, opened.map((o) => o.entry))) {
    const m = p.ref.meta;
    const options: ChannelOptions = {};
    const host = str(m.host);
    const port = Number(m.port);
    if (host) options.host = host;
    if (m.port !== undefined && Number.isInteger(port) && port > 0 && port < 65536) options.port = port;
    const params: Record<string, string> = {};
    for (const [k, v] of Object.entries(m)) if (!COMMON.has(k)) params[k] = String(v);
    if (Object.keys(params).length) options.params = params;
    if (p.creds) {
      const secret = secrets.get(`${p.creds.id}#${p.creds.seq}`);
      if (!secret) {
        missing.push(`${p.name}: ${p.creds.id} not opened`);
        continue;
      }
      options.user = str(p.creds.meta.user) ?? (p.name === 'amt' ? 'admin' : '');
      options.password = Buffer.from(secret).toString('utf8');
    } else if (m.user !== undefined) {
      options.user = String(m.user);
    }
    channels.push({ name: p.name, options, verifiable: !UNVERIFIABLE.has(p.name) });
  }
  return { target: { node, channels, allowed }, missing };
}
