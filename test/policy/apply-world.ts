// What the executor tests share: an in-memory VaultStore that keeps the
// secrets so a test can check what was sealed (the real store seals them to
// the org; vault/store.ts has its own tests), a plan builder, and a copy of a
// fixture machine with a fake kernel that acts on sysfs unbind writes as the
// real one does (the device's driver link goes away).

import { cpSync, existsSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import type { ApplyDeps, SysfsWrite } from '../../agent/policy/apply-types.ts';
import type { Plan, PlanStep, StepAction } from '../../agent/policy/types.ts';
import type { VaultEntry, VaultKind, VaultResult, VaultStore } from '../../agent/vault/types.ts';
import { cerr } from '../../agent/channels/types.ts';
import { merr } from '../../agent/mei/types.ts';

export class MemoryVault implements VaultStore {
  readonly entries: { entry: VaultEntry; secret: Buffer }[] = [];
  failPuts = false;
  constructor(readonly node: string) {}

  async put(kind: VaultKind, id: string, secret: Uint8Array, meta: VaultEntry['meta']): Promise<VaultResult<VaultEntry>> {
    if (this.failPuts) return { ok: false, error: { code: 'IO', message: 'disk full (test)' } };
    const seq = Math.max(0, ...this.entries.filter((e) => e.entry.id === id).map((e) => e.entry.seq)) + 1;
    const entry: VaultEntry = { node: this.node, kind, id, seq, created: 1_700_000_000, meta: { ...meta } };
    this.entries.push({ entry, secret: Buffer.from(secret) });
    return { ok: true, value: entry };
  }

  list(): VaultResult<VaultEntry[]> {
    return { ok: true, value: this.entries.map((e) => e.entry) };
  }

  raw(_node: string, _id: string): VaultResult<Uint8Array> {
    return { ok: false, error: { code: 'IO', message: 'not kept by the memory vault' } };
  }

  /** The newest secret under `id`, as text. */
  secret(id: string): string | null {
    const e = this.entries.filter((x) => x.entry.id === id).at(-1);
    return e ? e.secret.toString('latin1') : null;
  }
}

export function planOf(mode: Plan['mode'], steps: [StepAction, PlanStep['params']?, string?][]): Plan {
  return { mode, serial: 7, policyDigest: 'ab'.repeat(32), notes: [], steps: steps.map(([action, params, id]) => ({ id: id ?? action, action, why: 'test', params: params ?? {} })) };
}

export function baseDeps(over: Partial<ApplyDeps> & { vault: VaultStore }): ApplyDeps {
  return {
    openMei: () => merr('NO_DEVICE', 'no ME in this test'),
    openBmc: async () => cerr('UNSUPPORTED', 'no BMC in this test'),
    node: 'node-a',
    randomPassword: () => {
      throw new Error('this test expects no password to be made');
    },
    root: '/nonexistent',
    now: () => 1_700_000_000,
    settle: { attempts: 3, gapMs: 20 },
    ...over,
  };
}

/** A writable copy of test/fixtures/NAME; removed by the returned function. */
export function fixtureCopy(name: string): { root: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `policy-${name}-`));
  const root = join(dir, 'root');
  cpSync(join(import.meta.dirname, '..', 'fixtures', name), root, { recursive: true, verbatimSymlinks: true });
  return { root, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The kernel's answer to `echo ADDR > /sys/bus/pci/drivers/DRV/unbind`: the driver lets go of the device. */
export function fakeKernel(root: string, writes: string[] = []): SysfsWrite {
  return (p, data) => {
    writes.push(`${p.slice(root.length)} <- ${data}`);
    if (basename(p) !== 'unbind') throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
    const drv = basename(dirname(p));
    const link = join(root, 'sys/bus/pci/devices', data, 'driver');
    if (!existsSync(link)) throw Object.assign(new Error('ENODEV'), { code: 'ENODEV' });
    unlinkSync(link);
    const back = join(root, 'sys/bus/pci/drivers', drv, data);
    if (existsSync(back)) unlinkSync(back);
    writeFileSync(join(dirname(p), '.last-unbind'), data);
  };
}
