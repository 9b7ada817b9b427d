// The policy's two spellings: JSON as an operator writes it (`agent policy
// sign --in FILE`, where absent keys take the defaults below) and the
// deterministic CBOR map the org key signs (every key present, nothing
// defaulted, so a signed policy means the same to every agent version that
// reads it). One strict reader serves both: an unknown key, a wrong type or a
// number out of range is MALFORMED with the path of the field ("amt.sol").
//
// Defaults (JSON only):
//   v 1, oob "ignore", issued = the signing time,
//   amt  { provision true, controlMode "ccm", sol true, ider false, kvm false }
//        (KVM in CCM needs a user-consent code at every session, so it is opt-in)
//   bmc  { provision true, user "fortros-oob", privilege "operator", harden false, lan "keep" }
//        (hardening removes cipher suites other tools may use: opt-in)
//   watchdog { timeoutS 60 }
//   fencing  { quorum "majority", confirmations 2, actorDelayS 10, channels [], unattestedPeers false }
// `serial` has no default: it orders policies, and a guessed one defeats rollback checks.

import { isChannelName, type ChannelName } from '../channels/registry.ts';
import { decodeCbor, isMap, type Cbor } from '../identity/cbor.ts';
import { checkName } from '../ipmi/add-user.ts';
import type { OobMode, Policy, PolicyResult } from './types.ts';

export const POLICY_VERSION = 1;
export const OOB_MODES: readonly OobMode[] = ['use', 'neutralize', 'ignore'];
/** A policy is small; anything larger is not one (and bounds the decoder's work). */
export const MAX_POLICY_PAYLOAD = 8 * 1024;

export const LIMITS = {
  serial: [1, Number.MAX_SAFE_INTEGER],
  issued: [0, 2 ** 40],
  watchdogTimeoutS: [1, 3600],
  confirmations: [1, 64],
  actorDelayS: [0, 3600],
} as const;

export const DEFAULTS = {
  oob: 'ignore',
  amt: { provision: true, controlMode: 'ccm', sol: true, ider: false, kvm: false },
  bmc: { provision: true, user: 'fortros-oob', privilege: 'operator', harden: false, lan: 'keep' },
  watchdog: { timeoutS: 60 },
  fencing: { quorum: 'majority', confirmations: 2, actorDelayS: 10, channels: [] as ChannelName[], unattestedPeers: false },
} as const;

/** A field the reader refused; caught only in this module and turned into MALFORMED. */
class Refused {
  constructor(
    readonly path: string,
    readonly why: string,
  ) {}
}

type Fields = ReadonlyMap<string, unknown>;

interface Reader {
  /** JSON input may leave keys out (defaults); a signed document may not. */
  defaults: boolean;
}

const join = (path: string, key: string): string => (path ? `${path}.${key}` : key);

function fields(v: unknown, path: string, known: readonly string[]): Fields {
  let m: Map<string, unknown>;
  if (v instanceof Map) {
    m = new Map();
    for (const [k, x] of v as Map<unknown, unknown>) {
      if (typeof k !== 'string') throw new Refused(path || '(top)', `key ${String(k)} is not text`);
      m.set(k, x);
    }
  } else if (typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array)) {
    m = new Map(Object.entries(v));
  } else throw new Refused(path || '(top)', 'must be an object');
  for (const k of m.keys()) if (!known.includes(k)) throw new Refused(join(path, k), `unknown key (known: ${known.join(', ')})`);
  return m;
}

function get<T>(r: Reader, m: Fields, path: string, key: string, fallback: T | undefined, read: (v: unknown, p: string) => T): T {
  const p = join(path, key);
  if (!m.has(key)) {
    if (r.defaults && fallback !== undefined) return fallback;
    throw new Refused(p, 'missing');
  }
  return read(m.get(key), p);
}

const bool = (v: unknown, p: string): boolean => {
  if (typeof v !== 'boolean') throw new Refused(p, 'must be true or false');
  return v;
};

const int =
  ([lo, hi]: readonly [number, number]) =>
  (v: unknown, p: string): number => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new Refused(p, 'must be a whole number');
    if (v < lo || v > hi) throw new Refused(p, `${v} is out of range ${lo}-${hi}`);
    return v;
  };

const oneOf =
  <T extends string>(allowed: readonly T[]) =>
  (v: unknown, p: string): T => {
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) throw new Refused(p, `must be one of ${allowed.map((a) => `"${a}"`).join(', ')}`);
    return v as T;
  };

function userName(v: unknown, p: string): string {
  if (typeof v !== 'string') throw new Refused(p, 'must be text');
  // The BMC's own rule for a name, so a policy cannot ask for a user add-user would refuse.
  const why = checkName(v);
  if (why) throw new Refused(p, why);
  return v;
}

function channels(v: unknown, p: string): ChannelName[] {
  if (!Array.isArray(v)) throw new Refused(p, 'must be a list of channel names');
  const out: ChannelName[] = [];
  v.forEach((c: unknown, i) => {
    if (typeof c !== 'string' || !isChannelName(c)) throw new Refused(`${p}[${i}]`, 'is not a channel name (see `agent oob --help`)');
    if (out.includes(c)) throw new Refused(`${p}[${i}]`, `"${c}" is listed twice`);
    out.push(c);
  });
  return out;
}

function readPolicy(r: Reader, v: unknown, now: number): Policy {
  const top = fields(v, '', ['v', 'serial', 'issued', 'oob', 'amt', 'bmc', 'watchdog', 'fencing']);
  const version = get(r, top, '', 'v', POLICY_VERSION, int([POLICY_VERSION, POLICY_VERSION]));
  const section = <T>(key: string, known: readonly string[], read: (m: Fields, p: string) => T): T => get(r, top, '', key, r.defaults ? read(new Map(), key) : undefined, (x, p) => read(fields(x, p, known), p));
  const D = DEFAULTS;
  return {
    v: version as 1,
    serial: get(r, top, '', 'serial', undefined, int(LIMITS.serial)),
    issued: get(r, top, '', 'issued', now, int(LIMITS.issued)),
    oob: get(r, top, '', 'oob', D.oob, oneOf(OOB_MODES)),
    amt: section('amt', ['provision', 'controlMode', 'sol', 'ider', 'kvm'], (m, p) => ({
      provision: get(r, m, p, 'provision', D.amt.provision, bool),
      controlMode: get(r, m, p, 'controlMode', D.amt.controlMode, oneOf(['ccm'] as const)),
      sol: get(r, m, p, 'sol', D.amt.sol, bool),
      ider: get(r, m, p, 'ider', D.amt.ider, bool),
      kvm: get(r, m, p, 'kvm', D.amt.kvm, bool),
    })),
    bmc: section('bmc', ['provision', 'user', 'privilege', 'harden', 'lan'], (m, p) => ({
      provision: get(r, m, p, 'provision', D.bmc.provision, bool),
      user: get(r, m, p, 'user', D.bmc.user, userName),
      privilege: get(r, m, p, 'privilege', D.bmc.privilege, oneOf(['operator', 'admin'] as const)),
      harden: get(r, m, p, 'harden', D.bmc.harden, bool),
      lan: get(r, m, p, 'lan', D.bmc.lan, oneOf(['keep', 'static'] as const)),
    })),
    watchdog: section('watchdog', ['timeoutS'], (m, p) => ({ timeoutS: get(r, m, p, 'timeoutS', D.watchdog.timeoutS, int(LIMITS.watchdogTimeoutS)) })),
    fencing: section('fencing', ['quorum', 'confirmations', 'actorDelayS', 'channels', 'unattestedPeers'], (m, p) => ({
      quorum: get(r, m, p, 'quorum', D.fencing.quorum, oneOf(['majority', 'all'] as const)),
      confirmations: get(r, m, p, 'confirmations', D.fencing.confirmations, int(LIMITS.confirmations)),
      actorDelayS: get(r, m, p, 'actorDelayS', D.fencing.actorDelayS, int(LIMITS.actorDelayS)),
      channels: get(r, m, p, 'channels', [...D.fencing.channels], channels),
      unattestedPeers: get(r, m, p, 'unattestedPeers', D.fencing.unattestedPeers, bool),
    })),
  };
}

function guarded(read: () => Policy): PolicyResult<Policy> {
  try {
    return { ok: true, value: read() };
  } catch (e) {
    if (e instanceof Refused) return { ok: false, error: { code: 'MALFORMED', message: `${e.path}: ${e.why}` } };
    throw e;
  }
}

/** The operator's JSON (already parsed); `nowSec` fills `issued` when absent. */
export const policyFromJson = (v: unknown, nowSec: number): PolicyResult<Policy> => guarded(() => readPolicy({ defaults: true }, v, nowSec));

/** The operator's JSON text; not JSON at all is MALFORMED too. */
export function policyFromJsonText(text: string, nowSec: number): PolicyResult<Policy> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: { code: 'MALFORMED', message: `not JSON: ${(e as Error).message}` } };
  }
  return policyFromJson(v, nowSec);
}

export function policyToCbor(p: Policy): Map<string, Cbor> {
  const m = (o: Record<string, Cbor>): Map<string, Cbor> => new Map(Object.entries(o));
  return m({
    v: p.v,
    serial: p.serial,
    issued: p.issued,
    oob: p.oob,
    amt: m({ ...p.amt }),
    bmc: m({ ...p.bmc }),
    watchdog: m({ ...p.watchdog }),
    fencing: m({ ...p.fencing, channels: [...p.fencing.channels] }),
  });
}

/** The signed payload: deterministic CBOR, every key present. */
export function decodePolicyPayload(bytes: Uint8Array): PolicyResult<Policy> {
  const d = decodeCbor(bytes, MAX_POLICY_PAYLOAD);
  if (!d.ok) return { ok: false, error: { code: 'MALFORMED', message: `policy payload: ${d.error.message}` } };
  if (!isMap(d.value)) return { ok: false, error: { code: 'MALFORMED', message: 'policy payload is not a map' } };
  const value = d.value;
  return guarded(() => readPolicy({ defaults: false }, value, 0));
}
