// The attestation record a node gossips about itself: COSE_Sign1 by the
// session key (kid = session key id) over a deterministic CBOR map. It carries
// everything a peer needs to check it offline against the org public key: the
// node certificate, the session binding and, where a TPM exists, the quote.
// The CDDL is in README.md next to this file.

import { createHash } from 'node:crypto';
import { encodeCbor, field, isMap, type Cbor } from './cbor.ts';
import { decodeSign1, sign1, type Sign1 } from './cose.ts';
import { err, okv, type IdResult } from './errors.ts';
import type { Session, TpmQuote } from './session.ts';
import type { NodeIdentity } from './store.ts';
import { need, payloadMap, VERSION, type CborMap } from './schema.ts';

export interface ChannelSummary {
  kind: string;
  verdict: string;
}

export interface WatchdogState {
  armed: boolean;
  /** null: no watchdog could say (no device, or bootstatus unreadable). */
  lastResetByWatchdog: boolean | null;
}

export interface RecordPayload {
  name: string;
  incarnation: number;
  bootId: string;
  /** Milliseconds since the epoch. */
  time: number;
  expires: number;
  /** SHA-256 of the capability report's JSON text. */
  reportDigest: Uint8Array;
  channels: ChannelSummary[];
  /** null: no OOB policy taken (none given, or the one given was refused: the node runs as ignore). */
  policy: PolicyRef | null;
  /** null while policy is null; else how the node stands against that policy. */
  compliance: ComplianceClaim | null;
  watchdog: WatchdogState;
  /** null: no TPM, the node is unattested. */
  tpm: TpmQuote | null;
  sessionKey: Uint8Array;
  certificate: Uint8Array;
  binding: Uint8Array;
}

/** Which signed policy the node runs: its serial and the SHA-256 (hex) of the signed bytes. */
export interface PolicyRef {
  serial: number;
  digest: string;
}

/** Structurally agent/policy/types.ts Compliance, spelled here so identity does not import policy. */
export interface ComplianceClaim {
  mode: 'use' | 'neutralize' | 'ignore';
  serial: number;
  policyDigest: string;
  status: 'compliant' | 'non-compliant' | 'not-applied';
  missing: string[];
  applied: string[];
}

const MODES: readonly ComplianceClaim['mode'][] = ['use', 'neutralize', 'ignore'];
const STATUSES: readonly ComplianceClaim['status'][] = ['compliant', 'non-compliant', 'not-applied'];
/** Bounds on the free text a record carries: even all 3-byte UTF-8, one record stays below MAX_CBOR (64 KiB) and gossip's record limit. */
export const COMPLIANCE_LIMITS = { items: 24, chars: 256 } as const;

export const reportDigest = (reportJson: string): Uint8Array => new Uint8Array(createHash('sha256').update(reportJson, 'utf8').digest());

const KEYS = ['v', 'name', 'inc', 'boot', 'time', 'exp', 'report', 'channels', 'policy', 'compliance', 'watchdog', 'tpm', 'spk', 'cert', 'binding'] as const;

export interface RecordInput {
  time: number;
  ttlMs: number;
  reportDigest: Uint8Array;
  channels: readonly ChannelSummary[];
  watchdog: WatchdogState;
  /** Absent or null: no policy taken. compliance must name the same serial and digest as policy. */
  policy?: PolicyRef | null;
  compliance?: ComplianceClaim | null;
}

const fromHex = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));
const clip = (xs: readonly string[]): string[] => xs.slice(0, COMPLIANCE_LIMITS.items).map((x) => (x.length > COMPLIANCE_LIMITS.chars ? `${x.slice(0, COMPLIANCE_LIMITS.chars - 1)}…` : x));

function policyCbor(p: PolicyRef | null | undefined): Cbor {
  if (!p) return null;
  if (!/^[0-9a-f]{64}$/.test(p.digest)) throw new TypeError('record: policy digest is 64 lower-case hex digits');
  return new Map<string, Cbor>([['serial', p.serial], ['digest', fromHex(p.digest)]]);
}

function complianceCbor(c: ComplianceClaim | null | undefined, p: PolicyRef | null | undefined): Cbor {
  if (!c) return null;
  if (!p || c.serial !== p.serial || c.policyDigest !== p.digest) throw new TypeError('record: compliance must be about the policy the record names');
  return new Map<string, Cbor>([
    ['mode', c.mode],
    ['serial', c.serial],
    ['policyDigest', fromHex(c.policyDigest)],
    ['status', c.status],
    ['missing', clip(c.missing)],
    ['applied', clip(c.applied)],
  ]);
}

export function buildRecord(id: NodeIdentity, session: Session, input: RecordInput): Uint8Array {
  const q = session.quote;
  const payload = new Map<string, Cbor>([
    ['v', VERSION],
    ['name', id.name],
    ['inc', session.binding.incarnation],
    ['boot', session.binding.bootId],
    ['time', input.time],
    ['exp', input.time + input.ttlMs],
    ['report', input.reportDigest],
    ['channels', input.channels.map((c) => new Map<string, Cbor>([['kind', c.kind], ['verdict', c.verdict]]))],
    ['policy', policyCbor(input.policy)],
    ['compliance', complianceCbor(input.compliance, input.policy)],
    ['watchdog', new Map<string, Cbor>([['armed', input.watchdog.armed], ['lastResetByWatchdog', input.watchdog.lastResetByWatchdog]])],
    ['tpm', q ? new Map<string, Cbor>([['msg', q.msg], ['sig', q.sig], ['ak', q.akPem]]) : null],
    ['spk', session.sessionKey],
    ['cert', id.certificate],
    ['binding', session.bindingBytes],
  ]);
  return sign1(encodeCbor(payload), session.kid, session.privateKey);
}

function readChannels(what: string, v: readonly Cbor[]): IdResult<ChannelSummary[]> {
  const out: ChannelSummary[] = [];
  for (const c of v) {
    if (!isMap(c) || c.size !== 2) return err('MALFORMED', `${what}: channel is not {kind, verdict}`);
    const kind = field.text(c, 'kind');
    const verdict = field.text(c, 'verdict');
    if (kind === undefined || verdict === undefined) return err('MALFORMED', `${what}: channel is not {kind, verdict}`);
    out.push({ kind, verdict });
  }
  return okv(out);
}

const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function readPolicyRef(what: string, v: Cbor | undefined): IdResult<PolicyRef | null> {
  if (v === null) return okv(null);
  const bad = err('MALFORMED', `${what}: policy is neither null nor {serial, digest}`);
  if (!isMap(v) || v.size !== 2) return bad;
  const serial = field.uint(v, 'serial');
  const digest = field.bytes(v, 'digest');
  if (serial === undefined || !digest || digest.length !== 32) return bad;
  return okv({ serial, digest: hexOf(digest) });
}

function readTexts(v: Cbor | undefined): string[] | null {
  if (!Array.isArray(v) || v.length > COMPLIANCE_LIMITS.items) return null;
  const out: string[] = [];
  for (const x of v as readonly Cbor[]) {
    if (typeof x !== 'string' || x.length > COMPLIANCE_LIMITS.chars) return null;
    out.push(x);
  }
  return out;
}

function readCompliance(what: string, v: Cbor | undefined): IdResult<ComplianceClaim | null> {
  if (v === null) return okv(null);
  const bad = err('MALFORMED', `${what}: compliance is neither null nor {mode, serial, policyDigest, status, missing, applied}`);
  if (!isMap(v) || v.size !== 6) return bad;
  const mode = field.text(v, 'mode');
  const serial = field.uint(v, 'serial');
  const digest = field.bytes(v, 'policyDigest');
  const status = field.text(v, 'status');
  const missing = readTexts(v.get('missing'));
  const applied = readTexts(v.get('applied'));
  if (serial === undefined || !digest || digest.length !== 32 || !missing || !applied) return bad;
  const m = MODES.find((x) => x === mode);
  const s = STATUSES.find((x) => x === status);
  if (!m || !s) return bad;
  return okv({ mode: m, serial, policyDigest: hexOf(digest), status: s, missing, applied });
}

function readWatchdog(what: string, m: CborMap): IdResult<WatchdogState> {
  const armed = field.bool(m, 'armed');
  const last = m.get('lastResetByWatchdog');
  if (m.size !== 2 || armed === undefined || (last !== null && typeof last !== 'boolean')) return err('MALFORMED', `${what}: watchdog is not {armed, lastResetByWatchdog}`);
  return okv({ armed, lastResetByWatchdog: last });
}

function readTpm(what: string, v: Cbor | undefined): IdResult<TpmQuote | null> {
  if (v === null) return okv(null);
  if (!isMap(v) || v.size !== 3) return err('MALFORMED', `${what}: tpm is neither null nor {msg, sig, ak}`);
  const msg = field.bytes(v, 'msg');
  const sig = field.bytes(v, 'sig');
  const akPem = field.text(v, 'ak');
  if (!msg || !sig || akPem === undefined) return err('MALFORMED', `${what}: tpm is neither null nor {msg, sig, ak}`);
  return okv({ msg, sig, akPem });
}

export function readRecordPayload(bytes: Uint8Array): IdResult<RecordPayload> {
  const what = 'record';
  const p = payloadMap(bytes, what, KEYS);
  if (!p.ok) return p;
  const m = p.value;
  const name = need(what, 'name', field.text(m, 'name'));
  if (!name.ok) return name;
  const inc = need(what, 'inc', field.uint(m, 'inc'));
  if (!inc.ok) return inc;
  const boot = need(what, 'boot', field.text(m, 'boot'));
  if (!boot.ok) return boot;
  const time = need(what, 'time', field.uint(m, 'time'));
  if (!time.ok) return time;
  const exp = need(what, 'exp', field.uint(m, 'exp'));
  if (!exp.ok) return exp;
  const report = need(what, 'report', field.bytes(m, 'report'));
  if (!report.ok) return report;
  if (report.value.length !== 32) return err('MALFORMED', `${what}: report digest is not 32 bytes`);
  const chans = need(what, 'channels', field.array(m, 'channels'));
  if (!chans.ok) return chans;
  const channels = readChannels(what, chans.value);
  if (!channels.ok) return channels;
  if (!m.has('policy') || !m.has('compliance')) return err('MALFORMED', `${what}: "policy" and "compliance" are required`);
  const policy = readPolicyRef(what, m.get('policy'));
  if (!policy.ok) return policy;
  const compliance = readCompliance(what, m.get('compliance'));
  if (!compliance.ok) return compliance;
  if (compliance.value && !policy.value) return err('MALFORMED', `${what}: compliance without a policy`);
  const wd = need(what, 'watchdog', field.map(m, 'watchdog'));
  if (!wd.ok) return wd;
  const watchdog = readWatchdog(what, wd.value);
  if (!watchdog.ok) return watchdog;
  if (!m.has('tpm')) return err('MALFORMED', `${what}: "tpm" is required (null when unattested)`);
  const tpm = readTpm(what, m.get('tpm'));
  if (!tpm.ok) return tpm;
  const spk = need(what, 'spk', field.bytes(m, 'spk'));
  if (!spk.ok) return spk;
  const cert = need(what, 'cert', field.bytes(m, 'cert'));
  if (!cert.ok) return cert;
  const binding = need(what, 'binding', field.bytes(m, 'binding'));
  if (!binding.ok) return binding;
  return okv({
    name: name.value,
    incarnation: inc.value,
    bootId: boot.value,
    time: time.value,
    expires: exp.value,
    reportDigest: report.value,
    channels: channels.value,
    policy: policy.value,
    compliance: compliance.value,
    watchdog: watchdog.value,
    tpm: tpm.value,
    sessionKey: spk.value,
    certificate: cert.value,
    binding: binding.value,
  });
}

/** Structure only, no signature checked: for display and for verify.ts. */
export function decodeRecord(bytes: Uint8Array): IdResult<{ sign1: Sign1; payload: RecordPayload }> {
  const s = decodeSign1(bytes);
  if (!s.ok) return s;
  const p = readRecordPayload(s.value.payload);
  if (!p.ok) return p;
  return okv({ sign1: s.value, payload: p.value });
}
