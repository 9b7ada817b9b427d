import test from 'ava';
import fc from 'fast-check';
import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, rawPublicKey } from '../../agent/identity/keys.ts';
import { createSession } from '../../agent/identity/session.ts';
import type { NodeIdentity } from '../../agent/identity/store.ts';
import { AUDIT_DIR, AUDIT_FILE, AuditLog, readAudit, verifyAuditBytes } from '../../agent/heal/audit.ts';
import type { AuditEntry } from '../../agent/heal/types.ts';
import { T0 } from './helpers.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'heal-audit-'));
const session = generateKeyPair();
const signer = { privateKey: session.privateKey, publicKey: rawPublicKey(session.publicKey), binding: null };
const entry = (i: number, kind: AuditEntry['kind'] = 'decided'): AuditEntry => ({ at: T0 + i, kind, subject: 'x', incarnation: 3, actor: i % 2 ? 'y' : null, why: `reason ${i}` });

function writeLog(dir: string, n: number): void {
  const log = AuditLog.open(dir, signer, T0);
  if (!log.ok) throw new Error(log.error.message);
  for (let i = 0; i < n; i++) {
    const w = log.value.append(entry(i));
    if (!w.ok) throw new Error(w.error.message);
  }
}

test('entries written are read back verified, in order, after the session key line', (t) => {
  const dir = tmp();
  writeLog(dir, 5);
  const r = readAudit(dir);
  if (!r.ok) return t.fail(r.error.message);
  t.deepEqual(r.value.problems, []);
  t.is(r.value.lines.length, 6);
  t.is(r.value.lines[0]?.type, 'key');
  t.deepEqual(r.value.lines.slice(1).map((l) => (l.type === 'entry' ? l.entry : null)), [0, 1, 2, 3, 4].map((i) => entry(i)));
});

test('a second writer chains on: two key lines, one unbroken chain', (t) => {
  const dir = tmp();
  writeLog(dir, 2);
  writeLog(dir, 2);
  const r = readAudit(dir);
  if (!r.ok) return t.fail(r.error.message);
  t.deepEqual(r.value.problems, []);
  t.deepEqual(r.value.lines.map((l) => l.type), ['key', 'entry', 'entry', 'key', 'entry', 'entry']);
  t.deepEqual(r.value.lines.map((l) => l.seq), [0, 1, 2, 3, 4, 5]);
});

test('a flipped byte is reported with its line, not hidden; a removed line breaks the chain', (t) => {
  const dir = tmp();
  writeLog(dir, 4);
  const path = join(dir, AUDIT_DIR, AUDIT_FILE);
  const lines = readFileSync(path, 'latin1').split('\n');
  const third = lines[2] as string;
  const flipped = third.slice(0, 40) + (third[40] === 'A' ? 'B' : 'A') + third.slice(41);
  writeFileSync(path, [...lines.slice(0, 2), flipped, ...lines.slice(3)].join('\n'));
  const r = readAudit(dir);
  if (!r.ok) return t.fail(r.error.message);
  t.true(r.value.problems.some((p) => p.line === 3), JSON.stringify(r.value.problems));
  t.true(r.value.problems.some((p) => p.line === 4 && p.error.code === 'CHAIN'), 'the next line no longer chains');
  t.is(r.value.lines.length, 4, 'the other lines still read');

  writeFileSync(path, [...lines.slice(0, 2), ...lines.slice(3)].join('\n'));
  const gone = readAudit(dir);
  if (!gone.ok) return t.fail(gone.error.message);
  t.deepEqual(gone.value.problems.map((p) => [p.line, p.error.code]), [[3, 'CHAIN']]);
});

test('a torn last line is reported as TORN and the next writer chains past it', (t) => {
  const dir = tmp();
  writeLog(dir, 2);
  const path = join(dir, AUDIT_DIR, AUDIT_FILE);
  appendFileSync(path, 'hKpYIQ');
  const r = readAudit(dir);
  if (!r.ok) return t.fail(r.error.message);
  t.deepEqual(r.value.problems.map((p) => [p.line, p.error.code]), [[4, 'TORN']]);
  writeLog(dir, 1);
  const again = readAudit(dir);
  if (!again.ok) return t.fail(again.error.message);
  t.deepEqual(again.value.problems.map((p) => [p.line, p.error.code]), [[4, 'MALFORMED']], 'the torn line stays, reported; the rest chains');
  t.is(again.value.lines.length, 5);
});

test('with the node key, each session key line is checked against its binding', async (t) => {
  const node = generateKeyPair();
  const id = { name: 'y', privateKey: node.privateKey, publicKey: node.publicKey } as unknown as NodeIdentity;
  const s = await createSession(id, '00000000-0000-4000-8000-000000000000', 1, null);
  const dir = tmp();
  const log = AuditLog.open(dir, { privateKey: s.privateKey, publicKey: s.sessionKey, binding: s.bindingBytes }, T0);
  if (!log.ok) return t.fail(log.error.message);
  log.value.append(entry(1));
  const good = readAudit(dir, node.publicKey);
  if (!good.ok) return t.fail(good.error.message);
  t.deepEqual(good.value.problems, []);
  t.like(good.value.lines[0], { type: 'key', anchored: true });
  const other = readAudit(dir, generateKeyPair().publicKey);
  if (!other.ok) return t.fail(other.error.message);
  t.deepEqual(other.value.problems.map((p) => p.error.code), ['BAD_SIGNATURE']);
  const unbound = tmp();
  writeLog(unbound, 1);
  const u = readAudit(unbound, node.publicKey);
  if (!u.ok) return t.fail(u.error.message);
  t.deepEqual(u.value.problems.map((p) => [p.line, p.error.code]), [[1, 'BAD_SIGNATURE']]);
});

test('no log yet is an empty log', (t) => {
  t.deepEqual(readAudit(tmp()), { ok: true, value: { lines: [], problems: [] } });
});

test('fuzz: arbitrary, truncated and mutated logs give typed problems, never a throw', (t) => {
  const dir = tmp();
  writeLog(dir, 3);
  const good = new Uint8Array(readFileSync(join(dir, AUDIT_DIR, AUDIT_FILE)));
  const codes = new Set(['MALFORMED', 'NOT_CANONICAL', 'TOO_LARGE', 'UNSUPPORTED', 'BAD_SIGNATURE', 'UNKNOWN_SIGNER', 'CHAIN', 'TORN']);
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 4096 }),
        fc.nat(good.length).map((n) => good.subarray(0, n)),
        fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 })).map(([i, x]) => {
          const b = new Uint8Array(good);
          b[i] = (b[i] as number) ^ x;
          return b;
        }),
      ),
      (b) => {
        const r = verifyAuditBytes(b, null);
        return r.problems.every((p) => codes.has(p.error.code) && p.line >= 1);
      },
    ),
    { numRuns: 1500 },
  );
  const whole = verifyAuditBytes(good, null);
  t.deepEqual(whole.problems, []);
  t.is(whole.lines.length, 4);
});
