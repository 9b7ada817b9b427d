// The daemon config's gossip section and its `host:port` addresses. Addresses
// are IP literals only: a name would make membership depend on DNS, which is
// one of the things that fails when a node needs out-of-band recovery.

import { isIP } from 'node:net';
import { DEFAULT_CONFIG } from '../gossip/types.ts';

export interface GossipSettings {
  /** Where UDP and TCP listen. */
  bind: string;
  /** The address peers reach this node at; null: the bind address. */
  advertise: string | null;
  seeds: string[];
  /** The org public key (PEM); null: org.pub in node.identityDir (orgKeyPath in config.ts). */
  orgKey: string | null;
  deathQuorum: number;
  probeIntervalMs: number;
  probeTimeoutMs: number;
  suspicionMult: number;
  gossipIntervalMs: number;
  pushPullIntervalMs: number;
  indirectChecks: number;
}

export const MAX_SEEDS = 256;

/** "192.0.2.1:7946" or "[2001:db8::1]:7946"; IPv6 hosts come back without brackets and in their shortest form. */
export function parseHostPort(text: string): { host: string; port: number } | null {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  if (!m) return null;
  const port = Number(m[3]);
  if (port < 1 || port > 65_535) return null;
  if (m[1] !== undefined) {
    // Zone ids (fe80::1%eth0) are refused: their text differs per host, so peers could not compare addresses.
    if (isIP(m[1]) !== 6 || m[1].includes('%')) return null;
    return { host: new URL(`http://[${m[1]}]/`).hostname.slice(1, -1), port };
  }
  const host = m[2] as string;
  return isIP(host) === 4 ? { host, port } : null;
}

export function formatHostPort(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

const isWildcard = (host: string): boolean => host === '0.0.0.0' || host === '::';

type Fail = (message: string) => never;

const KEYS = ['bind', 'advertise', 'seeds', 'orgKey', 'deathQuorum', 'probeIntervalMs', 'probeTimeoutMs', 'suspicionMult', 'gossipIntervalMs', 'pushPullIntervalMs', 'indirectChecks'] as const;

/** `g` is the parsed JSON value of the `gossip` key; `fail` throws the caller's config error. */
export function parseGossip(g: unknown, fail: Fail): GossipSettings {
  if (typeof g !== 'object' || g === null || Array.isArray(g)) return fail('gossip must be an object');
  const o = g as Record<string, unknown>;
  const extra = Object.keys(o).find((k) => !(KEYS as readonly string[]).includes(k));
  if (extra !== undefined) fail(`unknown key gossip.${extra} (known: ${KEYS.map((k) => `gossip.${k}`).join(', ')})`);

  const addr = (key: string, v: unknown, peers: boolean): string => {
    const hp = typeof v === 'string' ? parseHostPort(v) : null;
    if (!hp) return fail(`${key} must be "IPv4:port" or "[IPv6]:port" with a port from 1 to 65535`);
    if (peers && isWildcard(hp.host)) fail(`${key} must be an address peers can reach, not ${hp.host}`);
    return formatHostPort(hp.host, hp.port);
  };
  const int = (key: (typeof KEYS)[number], dflt: number, min: number, max: number): number => {
    const v = o[key] === undefined ? dflt : o[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) return fail(`gossip.${key} must be a whole number from ${min} to ${max}`);
    return v;
  };

  const bind = addr('gossip.bind', o.bind, false);
  const advertise = o.advertise === undefined || o.advertise === null ? null : addr('gossip.advertise', o.advertise, true);
  const bindHost = parseHostPort(bind)?.host ?? '';
  if (advertise === null && isWildcard(bindHost)) fail(`gossip.advertise is required when gossip.bind is the wildcard ${bindHost}`);
  const seedsRaw = o.seeds === undefined ? [] : o.seeds;
  if (!Array.isArray(seedsRaw) || seedsRaw.length > MAX_SEEDS) fail(`gossip.seeds must be a list of at most ${MAX_SEEDS} addresses`);
  const seeds = (seedsRaw as unknown[]).map((s, i) => addr(`gossip.seeds[${i}]`, s, true));
  const orgKey = o.orgKey === undefined ? null : o.orgKey;
  if (orgKey !== null && (typeof orgKey !== 'string' || !orgKey.startsWith('/'))) fail('gossip.orgKey must be an absolute path');
  const probeIntervalMs = int('probeIntervalMs', DEFAULT_CONFIG.probeIntervalMs, 50, 60_000);
  return {
    bind,
    advertise,
    seeds,
    orgKey: orgKey as string | null,
    deathQuorum: int('deathQuorum', DEFAULT_CONFIG.deathQuorum, 1, 1000),
    probeIntervalMs,
    // A probe must time out before the next one starts, or rounds overlap and every miss counts twice.
    probeTimeoutMs: int('probeTimeoutMs', Math.min(DEFAULT_CONFIG.probeTimeoutMs, probeIntervalMs - 1), 10, probeIntervalMs - 1),
    suspicionMult: int('suspicionMult', DEFAULT_CONFIG.suspicionMult, 1, 100),
    gossipIntervalMs: int('gossipIntervalMs', DEFAULT_CONFIG.gossipIntervalMs, 10, 60_000),
    pushPullIntervalMs: int('pushPullIntervalMs', DEFAULT_CONFIG.pushPullIntervalMs, 1000, 86_400_000),
    indirectChecks: int('indirectChecks', DEFAULT_CONFIG.indirectChecks, 0, 32),
  };
}
