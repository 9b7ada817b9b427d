// The daemon's configuration (JSON; every key is in the README). Parsed
// strictly: an unknown key is an error, so a typo fails at start instead of
// silently turning a feature off.

import { join } from 'node:path';
import type { CheckSpec } from '../watchdog/checks.ts';
import { parseGossip, type GossipSettings } from './config-gossip.ts';
import { HEAL_KEYS, parseHeal, type HealSettings } from './config-heal.ts';

export { formatHostPort, parseHostPort, type GossipSettings } from './config-gossip.ts';

export class ConfigError extends Error {
  readonly code = 'E_CONFIG';
  constructor(
    readonly source: string,
    message: string,
  ) {
    super(`${source}: ${message}`);
    this.name = 'ConfigError';
  }
}

export interface WatchdogConfig {
  enabled: boolean;
  /** 'auto' picks a hardware device over softdog; or a path such as /dev/watchdog1. */
  device: string;
  timeoutSec: number;
  /** 0: none. Must be below the timeout. */
  pretimeoutSec: number;
  /** The timeout left armed when the agent hands over (switch_root, kexec, shutdown without close). */
  handoverSec: number;
  /** Magic-close on a clean stop; off by default, so a node that stops its agent still gets reset. */
  closeOnShutdown: boolean;
  maxLoopLagMs: number;
  checkIntervalSec: number;
  checks: CheckSpec[];
  /** Preboot stage deadlines, seconds, by stage name (probe, policy, unlock, kexec). */
  stageDeadlinesSec: Record<string, number>;
}

export interface AgentConfig {
  node: {
    /** The node's name in the fleet: a DNS label. */
    name: string;
    /** The directory `agent enroll` wrote (node key, certificate, org.pub); required with gossip. */
    identityDir: string | null;
  };
  /** Absent: no hardware watchdog. */
  watchdog: WatchdogConfig | null;
  /** Absent: no gossip. */
  gossip: GossipSettings | null;
  control: {
    /** null: see controlSocketPath. */
    socket: string | null;
  };
  state: {
    /** Where the daemon keeps what must survive a restart; null: nothing is kept. */
    dir: string | null;
  };
  heal: HealSettings;
}

/** Where `agent members` and `agent status` look when given no --socket. */
export const DEFAULT_CONTROL_SOCKET = '/run/fortros/agent.sock';
export const CONTROL_SOCKET_NAME = 'control.sock';

/** The configured socket, else one in the state directory (so agents on one machine do not collide), else the default. */
export function controlSocketPath(config: Pick<AgentConfig, 'control' | 'state'>): string {
  return config.control.socket ?? (config.state.dir === null ? DEFAULT_CONTROL_SOCKET : join(config.state.dir, CONTROL_SOCKET_NAME));
}

/**
 * The org public key peers are checked against; null without gossip. The file
 * name is identity/store.ts's NODE_FILES.orgPublicKey, spelled out so that
 * reading a config (and `agent members`) does not load the crypto modules.
 */
export function orgKeyPath(config: Pick<AgentConfig, 'node' | 'gossip'>): string | null {
  if (config.gossip === null) return null;
  if (config.gossip.orgKey !== null) return config.gossip.orgKey;
  return config.node.identityDir === null ? null : join(config.node.identityDir, 'org.pub');
}

/** Config files are small; anything larger is a mistake or an attack. */
export const CONFIG_CAP = 256 * 1024;

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
const isObject = (v: Json | undefined): v is { [k: string]: Json } => typeof v === 'object' && v !== null && !Array.isArray(v);

function onlyKeys(source: string, where: string, obj: { [k: string]: Json }, allowed: readonly string[]): void {
  const extra = Object.keys(obj).filter((k) => !allowed.includes(k));
  if (extra.length) throw new ConfigError(source, `unknown key ${where}${extra[0]} (known: ${allowed.map((k) => where + k).join(', ')})`);
}

/** Throws ConfigError with the source and what is wrong. */
export function parseConfig(text: string, source: string): AgentConfig {
  if (text.length > CONFIG_CAP) throw new ConfigError(source, `larger than ${CONFIG_CAP} bytes`);
  let doc: Json;
  try {
    doc = JSON.parse(text) as Json;
  } catch (e) {
    throw new ConfigError(source, `not JSON: ${(e as Error).message}`);
  }
  if (!isObject(doc)) throw new ConfigError(source, 'the top level must be an object');
  onlyKeys(source, '', doc, ['node', 'watchdog', 'gossip', 'control', 'state', 'heal']);
  const node = doc.node;
  if (!isObject(node)) throw new ConfigError(source, 'node must be an object with node.name');
  onlyKeys(source, 'node.', node, ['name', 'identityDir']);
  if (typeof node.name !== 'string' || !LABEL.test(node.name)) {
    throw new ConfigError(source, 'node.name must be a DNS label (letters, digits, hyphens; at most 63)');
  }
  const identityDir = absPath(source, 'node.identityDir', node.identityDir);
  const fail = (message: string): never => {
    throw new ConfigError(source, message);
  };
  const gossip = doc.gossip === undefined ? null : parseGossip(doc.gossip, fail);
  if (gossip && identityDir === null) throw new ConfigError(source, 'gossip needs node.identityDir (the directory `agent enroll` wrote)');
  const control = section(source, 'control', doc.control, ['socket']);
  const state = section(source, 'state', doc.state, ['dir']);
  const heal = parseHeal(section(source, 'heal', doc.heal, HEAL_KEYS), fail);
  if (heal.enabled && gossip === null) throw new ConfigError(source, 'heal.enabled needs a gossip section: deaths are learned through gossip');
  const socket = absPath(source, 'control.socket', control.socket);
  const dir = absPath(source, 'state.dir', state.dir);
  const config: AgentConfig = {
    node: { name: node.name, identityDir },
    watchdog: doc.watchdog === undefined ? null : parseWatchdog(source, doc.watchdog),
    gossip,
    control: { socket },
    state: { dir },
    heal,
  };
  // sun_path holds 108 bytes with the terminating NUL; a longer path fails only at bind time, far from the config.
  const sock = controlSocketPath(config);
  if (Buffer.byteLength(sock) > 107) throw new ConfigError(source, `control socket path ${sock} is longer than 107 bytes`);
  return config;
}

function section(source: string, name: string, v: Json | undefined, keys: readonly string[]): { [k: string]: Json } {
  if (v === undefined) return {};
  if (!isObject(v)) throw new ConfigError(source, `${name} must be an object`);
  onlyKeys(source, `${name}.`, v, keys);
  return v;
}

function absPath(source: string, key: string, v: Json | undefined): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || !v.startsWith('/') || v.includes('\0')) throw new ConfigError(source, `${key} must be an absolute path`);
  return v;
}

export const STAGES = ['probe', 'policy', 'unlock', 'kexec'] as const;

function num(source: string, key: string, v: Json | undefined, dflt: number, min: number, max: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) throw new ConfigError(source, `${key} must be a number from ${min} to ${max}`);
  return v;
}

function bool(source: string, key: string, v: Json | undefined, dflt: boolean): boolean {
  if (v === undefined) return dflt;
  if (typeof v !== 'boolean') throw new ConfigError(source, `${key} must be true or false`);
  return v;
}

function parseWatchdog(source: string, w: Json): WatchdogConfig {
  if (!isObject(w)) throw new ConfigError(source, 'watchdog must be an object');
  onlyKeys(source, 'watchdog.', w, ['enabled', 'device', 'timeoutSec', 'pretimeoutSec', 'handoverSec', 'closeOnShutdown', 'maxLoopLagMs', 'checkIntervalSec', 'checks', 'stageDeadlinesSec']);
  const device = w.device === undefined ? 'auto' : w.device;
  if (typeof device !== 'string' || (device !== 'auto' && !/^\/dev\/watchdog\d*$/.test(device))) throw new ConfigError(source, 'watchdog.device must be "auto" or /dev/watchdogN');
  // Integers: the driver takes whole seconds, and silently rounding a config value hides a mistake.
  const int = (key: string, dflt: number, min: number, max: number): number => {
    const v = num(source, `watchdog.${key}`, w[key], dflt, min, max);
    if (!Number.isInteger(v)) throw new ConfigError(source, `watchdog.${key} must be a whole number`);
    return v;
  };
  const timeoutSec = int('timeoutSec', 60, 1, 3600);
  const pretimeoutSec = int('pretimeoutSec', 0, 0, timeoutSec - 1);
  const stages = w.stageDeadlinesSec === undefined ? {} : w.stageDeadlinesSec;
  if (!isObject(stages)) throw new ConfigError(source, 'watchdog.stageDeadlinesSec must be an object');
  onlyKeys(source, 'watchdog.stageDeadlinesSec.', stages, STAGES);
  const stageDeadlinesSec: Record<string, number> = {};
  for (const [k, v] of Object.entries(stages)) stageDeadlinesSec[k] = num(source, `watchdog.stageDeadlinesSec.${k}`, v, 0, 0.001, 86_400);
  const checks = w.checks === undefined ? [] : w.checks;
  if (!Array.isArray(checks)) throw new ConfigError(source, 'watchdog.checks must be a list');
  return {
    enabled: bool(source, 'watchdog.enabled', w.enabled, true),
    device,
    timeoutSec,
    pretimeoutSec,
    handoverSec: int('handoverSec', 300, 1, 3600),
    closeOnShutdown: bool(source, 'watchdog.closeOnShutdown', w.closeOnShutdown, false),
    maxLoopLagMs: num(source, 'watchdog.maxLoopLagMs', w.maxLoopLagMs, 2000, 10, 600_000),
    checkIntervalSec: num(source, 'watchdog.checkIntervalSec', w.checkIntervalSec, 10, 0.1, 3600),
    checks: checks.map((c, i) => parseCheck(source, `watchdog.checks[${i}]`, c)),
    stageDeadlinesSec,
  };
}

function parseCheck(source: string, at: string, c: Json): CheckSpec {
  if (!isObject(c)) throw new ConfigError(source, `${at} must be an object`);
  const path = (key: string): string => {
    const v = c[key];
    if (typeof v !== 'string' || !v.startsWith('/')) throw new ConfigError(source, `${at}.${key} must be an absolute path`);
    return v;
  };
  const timeoutSec = num(source, `${at}.timeoutSec`, c.timeoutSec, 5, 0.1, 600);
  switch (c.kind) {
    case 'file':
      onlyKeys(source, `${at}.`, c, ['kind', 'path']);
      return { kind: 'file', path: path('path') };
    case 'command': {
      onlyKeys(source, `${at}.`, c, ['kind', 'argv', 'timeoutSec']);
      const argv = c.argv;
      if (!Array.isArray(argv) || argv.length === 0 || !argv.every((a): a is string => typeof a === 'string') || !(argv[0] as string).startsWith('/')) {
        throw new ConfigError(source, `${at}.argv must be a list of strings starting with an absolute path`);
      }
      return { kind: 'command', argv, timeoutSec };
    }
    case 'socket':
      onlyKeys(source, `${at}.`, c, ['kind', 'path', 'timeoutSec']);
      return { kind: 'socket', path: path('path'), timeoutSec };
    default:
      throw new ConfigError(source, `${at}.kind must be file, command or socket`);
  }
}
