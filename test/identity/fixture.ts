// A throwaway org and enrolled node in a temp directory, and records built from them.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { buildRecord, type RecordInput } from '../../agent/identity/record.ts';
import { createSession, type Quoter, type Session } from '../../agent/identity/session.ts';
import { enroll, initOrg, loadOrg, type NodeIdentity } from '../../agent/identity/store.ts';

export const BOOT_A = '3d45a11f-fd3b-4123-9c44-596c810b5228';
export const BOOT_B = 'a0e1c2d3-0000-4000-8000-123456789abc';
export const T0 = Date.UTC(2026, 10, 24, 12, 0, 0);
export const YEAR = 365 * 86_400;

export interface Org {
  dir: string;
  keys: { privateKey: KeyObject; publicKey: KeyObject };
}

export function must<T>(r: { ok: true; value: T } | { ok: false; error: { code: string; message: string } }): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

export function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'identity-test-'));
}

export function makeOrg(): Org {
  const dir = join(tmp(), 'org');
  must(initOrg(dir));
  return { dir, keys: must(loadOrg(dir)) };
}

export function makeNode(org: Org, name = 'node-a', issuedSec = Math.floor(T0 / 1000) - 60, validSec = YEAR): NodeIdentity & { dir: string } {
  const dir = join(tmp(), name);
  return { ...must(enroll(org.keys, name, dir, issuedSec, validSec)), dir };
}

export const INPUT: RecordInput = {
  time: T0,
  ttlMs: 300_000,
  reportDigest: new Uint8Array(32).fill(7),
  channels: [
    { kind: 'ipmi', verdict: 'usable' },
    { kind: 'watchdog', verdict: 'usable' },
  ],
  watchdog: { armed: true, lastResetByWatchdog: false },
};

export async function makeRecord(
  id: NodeIdentity,
  opts: { bootId?: string; incarnation?: number; input?: Partial<RecordInput>; quoter?: Quoter | null } = {},
): Promise<{ bytes: Uint8Array; session: Session }> {
  const session = await createSession(id, opts.bootId ?? BOOT_A, opts.incarnation ?? 3, opts.quoter ?? null);
  return { bytes: buildRecord(id, session, { ...INPUT, ...opts.input }), session };
}
