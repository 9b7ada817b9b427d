// The heal audit log: every decision and action, one signed entry per line,
// at state.dir/heal/audit.log. A line is base64 of a COSE_Sign1 over a
// deterministic CBOR map that carries the SHA-256 of the line before it, so an
// edited, removed or reordered line shows as a broken signature or chain, and
// the reader reports it instead of skipping it.
//
// Appended with O_APPEND and fsync per entry, not with state/atomic.ts: that
// rewrites the whole file per write, quadratic in the log, while an append of
// one short line either lands or leaves a torn last line, which the reader
// reports as TORN and the next writer chains past.
//
// Each writer starts with a key line: its session public key and the session
// binding its node key signed (identity/session.ts). Entries after it verify
// with that key; a reader given the node public key also checks the binding,
// so a log rewritten with a stranger's key is told apart from ours.

import { createHash, type KeyObject } from 'node:crypto';
import { closeSync, constants, fstatSync, fsyncSync, mkdirSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { encodeCbor, type Cbor } from '../identity/cbor.ts';
import { decodeSign1, sign1, verifySign1 } from '../identity/cose.ts';
import { keyId, publicKeyFromRaw } from '../identity/keys.ts';
import { field, payloadMap, VERSION } from '../identity/schema.ts';
import { decodeBinding } from '../identity/session.ts';
import { herr, hok, type AuditEntry, type AuditKind, type HealError, type HealResult } from './types.ts';

export const AUDIT_DIR = 'heal';
export const AUDIT_FILE = 'audit.log';
/** One entry is a few hundred bytes; a line longer than this is not ours. */
export const MAX_LINE = 8192;
/** What `agent heal log` reads at most; the log is not rotated yet. */
export const MAX_LOG = 64 * 1024 * 1024;
const MAX_WHY = 1024;
const KIND_ENTRY = 'heal-audit';
const KIND_KEY = 'heal-audit-key';
const ENTRY_KEYS = ['v', 'kind', 'seq', 'prev', 'at', 'ev', 'sub', 'inc', 'act', 'why'] as const;
const KEY_KEYS = ['v', 'kind', 'seq', 'prev', 'at', 'spk', 'bind'] as const;
const AUDIT_KINDS: readonly AuditKind[] = [
  'confirmed', 'decided', 'not-eligible', 'no-quorum', 'stood-down', 'self-check-failed', 'act',
  'action-done', 'action-failed', 'cancelled', 'rejoined', 'lease-expired', 'lease-ignored', 'give-up',
];
const ZERO: Uint8Array = new Uint8Array(32);

const sha256 = (b: Uint8Array): Uint8Array => new Uint8Array(createHash('sha256').update(b).digest());
const same = (a: Uint8Array, b: Uint8Array): boolean => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

export interface AuditSigner {
  privateKey: KeyObject;
  /** The raw 32-byte session public key. */
  publicKey: Uint8Array;
  /** The session binding (COSE_Sign1 by the node key), or null in tests without an identity. */
  binding: Uint8Array | null;
}

/** One decoded line. */
export type AuditLine =
  | { line: number; type: 'key'; seq: number; at: number; keyId: string; anchored: boolean | null }
  | { line: number; type: 'entry'; seq: number; entry: AuditEntry };

export interface AuditProblem {
  line: number;
  error: HealError;
}

type Decoded =
  | { type: 'key'; seq: number; prev: Uint8Array; at: number; spk: Uint8Array; bind: Uint8Array | null }
  | { type: 'entry'; seq: number; prev: Uint8Array; entry: AuditEntry };

/** Decodes one line's bytes (after base64) without checking the signature. Never throws. */
export function decodeAuditLine(bytes: Uint8Array): HealResult<{ decoded: Decoded; kid: Uint8Array; verify: (k: KeyObject) => boolean }> {
  if (bytes.length > MAX_LINE) return herr('TOO_LARGE', `audit line of ${bytes.length} bytes, limit ${MAX_LINE}`);
  const s = decodeSign1(bytes, MAX_LINE);
  if (!s.ok) return herr(s.error.code === 'NOT_CANONICAL' || s.error.code === 'UNSUPPORTED' ? s.error.code : 'MALFORMED', `audit line: ${s.error.message}`);
  const sig = s.value;
  const verify = (k: KeyObject): boolean => verifySign1(sig, k);
  const kind = peekKind(sig.payload);
  const m = payloadMap(sig.payload, 'audit line', kind === KIND_KEY ? KEY_KEYS : ENTRY_KEYS);
  if (!m.ok) return herr(m.error.code === 'UNSUPPORTED' || m.error.code === 'NOT_CANONICAL' ? m.error.code : 'MALFORMED', m.error.message);
  const seq = field.uint(m.value, 'seq');
  const prev = field.bytes(m.value, 'prev');
  if (seq === undefined || !Number.isSafeInteger(seq) || prev === undefined || prev.length !== 32) return herr('MALFORMED', 'audit line: seq and a 32-byte prev are required');
  if (kind === KIND_KEY) {
    const at = field.uint(m.value, 'at');
    const spk = field.bytes(m.value, 'spk');
    const bindV = m.value.get('bind');
    const bind = bindV === null ? null : bindV instanceof Uint8Array ? bindV : undefined;
    if (at === undefined || spk === undefined || spk.length !== 32 || bind === undefined) return herr('MALFORMED', 'audit key line: at, a 32-byte spk and bind (bytes or null) are required');
    return hok({ decoded: { type: 'key', seq, prev, at, spk, bind }, kid: sig.kid, verify });
  }
  if (kind !== KIND_ENTRY) return herr('MALFORMED', 'audit line: kind is neither heal-audit nor heal-audit-key');
  const at = field.uint(m.value, 'at');
  const ev = field.text(m.value, 'ev');
  const subject = field.text(m.value, 'sub');
  const incarnation = field.uint(m.value, 'inc');
  const actV = m.value.get('act');
  const actor = actV === null ? null : typeof actV === 'string' ? actV : undefined;
  const why = field.text(m.value, 'why');
  if (at === undefined || ev === undefined || !(AUDIT_KINDS as readonly string[]).includes(ev) || subject === undefined || incarnation === undefined || actor === undefined || why === undefined) {
    return herr('MALFORMED', 'audit entry: at, ev (a known kind), sub, inc, act and why are required');
  }
  return hok({ decoded: { type: 'entry', seq, prev, entry: { at, kind: ev as AuditKind, subject, incarnation, actor, why } }, kid: sig.kid, verify });
}

function peekKind(payload: Uint8Array): string | undefined {
  const m = payloadMap(payload, 'audit line', [...new Set([...ENTRY_KEYS, ...KEY_KEYS])]);
  return m.ok ? field.text(m.value, 'kind') : undefined;
}

function readFileBounded(path: string): HealResult<Uint8Array | null> {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' ? hok(null) : herr('IO', `${path}: ${code ?? (e as Error).message}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return herr('IO', `${path}: not a regular file`);
    if (st.size > MAX_LOG) return herr('TOO_LARGE', `${path}: ${st.size} bytes, limit ${MAX_LOG}`);
    const buf = new Uint8Array(st.size);
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, off);
      if (n === 0) break;
      off += n;
    }
    return hok(buf.subarray(0, off));
  } catch (e) {
    return herr('IO', `${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  } finally {
    closeSync(fd);
  }
}

export interface AuditRead {
  lines: AuditLine[];
  problems: AuditProblem[];
}

/** Splits the file into lines; the last, if it lacks its newline, was torn by a crash mid-write. */
function splitLines(buf: Uint8Array): { text: string; torn: boolean }[] {
  const text = Buffer.from(buf).toString('latin1');
  const parts = text.split('\n');
  const last = parts.pop() as string;
  const out = parts.map((p) => ({ text: p, torn: false }));
  if (last.length > 0) out.push({ text: last, torn: true });
  return out;
}

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Reads and verifies every line of state.dir/heal/audit.log. Nothing is skipped in
 * silence: a line that fails to decode, verify or chain is a problem with its
 * line number. `nodeKey`: the node's public key, to check each key line's binding.
 */
export function readAudit(stateDir: string, nodeKey: KeyObject | null = null): HealResult<AuditRead> {
  const f = readFileBounded(join(stateDir, AUDIT_DIR, AUDIT_FILE));
  if (!f.ok) return f;
  if (f.value === null) return hok({ lines: [], problems: [] });
  return hok(verifyAuditBytes(f.value, nodeKey));
}

/** The verifier over the log's bytes; what the fuzz test drives. Never throws. */
export function verifyAuditBytes(buf: Uint8Array, nodeKey: KeyObject | null): AuditRead {
  const lines: AuditLine[] = [];
  const problems: AuditProblem[] = [];
  let key: KeyObject | null = null;
  let kid: Uint8Array | null = null;
  let prevHash: Uint8Array = ZERO;
  let nextSeq = 0;
  const parts = splitLines(buf);
  parts.forEach((p, i) => {
    const line = i + 1;
    const bad = (code: HealError['code'], message: string): void => void problems.push({ line, error: { code, message } });
    if (p.torn) return bad('TORN', 'the last line has no newline: a write cut short');
    if (p.text.length === 0 || p.text.length > Math.ceil(MAX_LINE / 3) * 4 || !B64.test(p.text)) return bad('MALFORMED', 'not a base64 line of bounded length');
    const bytes = new Uint8Array(Buffer.from(p.text, 'base64'));
    const d = decodeAuditLine(bytes);
    if (!d.ok) return bad(d.error.code, d.error.message);
    const dec = d.value.decoded;
    if (dec.type === 'key') {
      const k = publicKeyFromRaw(dec.spk);
      if (!k.ok) return bad('MALFORMED', `key line: ${k.error.message}`);
      if (!same(d.value.kid, keyId(dec.spk)) || !d.value.verify(k.value)) return bad('BAD_SIGNATURE', 'key line is not signed by the key it introduces');
      let anchored: boolean | null = null;
      if (nodeKey !== null) {
        const b = dec.bind === null ? null : decodeBinding(dec.bind);
        anchored = b !== null && b.ok && same(b.value.binding.sessionKey, dec.spk) && same(b.value.sign1.kid, keyId(nodeKey)) && verifySign1(b.value.sign1, nodeKey);
        if (!anchored) bad('BAD_SIGNATURE', 'key line: its session binding is not signed by this node key for this session key');
      }
      if (!same(dec.prev, prevHash)) bad('CHAIN', 'key line does not follow the line before it (a line was removed, reordered or altered)');
      key = k.value;
      kid = d.value.kid;
      prevHash = sha256(bytes);
      nextSeq = dec.seq + 1;
      lines.push({ line, type: 'key', seq: dec.seq, at: dec.at, keyId: Buffer.from(d.value.kid).toString('hex'), anchored });
      return;
    }
    if (key === null || kid === null) return bad('UNKNOWN_SIGNER', 'an entry before any key line');
    if (!same(d.value.kid, kid) || !d.value.verify(key)) return bad('BAD_SIGNATURE', 'entry does not verify with the session key of its key line');
    if (!same(dec.prev, prevHash) || dec.seq !== nextSeq) bad('CHAIN', `entry ${dec.seq} does not follow the line before it (expected seq ${nextSeq})`);
    prevHash = sha256(bytes);
    nextSeq = dec.seq + 1;
    lines.push({ line, type: 'entry', seq: dec.seq, entry: dec.entry });
  });
  return { lines, problems };
}

/** The writer: opened once per process, it appends a key line and then one line per entry. */
export class AuditLog {
  private constructor(
    private readonly path: string,
    private readonly signer: AuditSigner,
    private prev: Uint8Array,
    private seq: number,
  ) {}

  /** Opens (creating) state.dir/heal/audit.log and appends this session's key line. */
  static open(stateDir: string, signer: AuditSigner, now: number): HealResult<AuditLog> {
    const dir = join(stateDir, AUDIT_DIR);
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
    } catch (e) {
      return herr('IO', `${dir}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const path = join(dir, AUDIT_FILE);
    const f = readFileBounded(path);
    if (!f.ok) return f;
    let prev: Uint8Array = ZERO;
    let seq = 0;
    let tornTail = false;
    if (f.value !== null) {
      // Chain from the last line that decodes: a torn or damaged tail stays in the file, reported by the reader.
      const parts = splitLines(f.value);
      tornTail = parts.length > 0 && (parts[parts.length - 1] as { torn: boolean }).torn;
      for (let i = parts.length - 1; i >= 0; i--) {
        const p = parts[i] as { text: string; torn: boolean };
        if (p.torn || !B64.test(p.text)) continue;
        const bytes = new Uint8Array(Buffer.from(p.text, 'base64'));
        const d = decodeAuditLine(bytes);
        if (!d.ok) continue;
        prev = sha256(bytes);
        seq = d.value.decoded.seq + 1;
        break;
      }
    }
    const log = new AuditLog(path, signer, prev, seq);
    const payload = new Map<string, Cbor>([
      ['v', VERSION], ['kind', KIND_KEY], ['seq', seq], ['prev', prev], ['at', now], ['spk', signer.publicKey], ['bind', signer.binding],
    ]);
    const w = log.appendLine(payload, tornTail);
    return w.ok ? hok(log) : w;
  }

  append(e: AuditEntry): HealResult<void> {
    const why = e.why.length > MAX_WHY ? `${e.why.slice(0, MAX_WHY - 1)}…` : e.why;
    const payload = new Map<string, Cbor>([
      ['v', VERSION], ['kind', KIND_ENTRY], ['seq', this.seq], ['prev', this.prev], ['at', e.at], ['ev', e.kind],
      ['sub', e.subject], ['inc', e.incarnation], ['act', e.actor], ['why', why],
    ]);
    return this.appendLine(payload, false);
  }

  private appendLine(payload: Map<string, Cbor>, newlineFirst: boolean): HealResult<void> {
    const bytes = sign1(encodeCbor(payload), keyId(this.signer.publicKey), this.signer.privateKey);
    const text = `${newlineFirst ? '\n' : ''}${Buffer.from(bytes).toString('base64')}\n`;
    let fd: number;
    try {
      fd = openSync(this.path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
    } catch (e) {
      return herr('IO', `${this.path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    try {
      const buf = Buffer.from(text, 'latin1');
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
      fsyncSync(fd);
    } catch (e) {
      return herr('IO', `${this.path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    } finally {
      closeSync(fd);
    }
    this.prev = sha256(bytes);
    this.seq++;
    return hok(undefined);
  }
}
