// Shared pieces of the policy tests: a throwaway org, policies built from JSON
// with the schema's defaults, and capability reports of the fixture machines,
// optionally with what the simulated ME or a BMC answered in band.

import type { KeyObject } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { initOrg, loadOrg } from '../../agent/identity/store.ts';
import { policyFromJson } from '../../agent/policy/schema.ts';
import type { OobMode, Policy } from '../../agent/policy/types.ts';
import { notAsked, type InBand } from '../../agent/probe/in-band.ts';
import { buildReport, type Report } from '../../agent/probe/report.ts';
import { SysRoot } from '../../agent/probe/sysroot.ts';

export const MACHINES = ['amd-dash', 'me-hap-disabled', 'qemu-q35', 'server-bmc', 'this-machine', 'vpro-desktop', 'vps'] as const;
export type Machine = (typeof MACHINES)[number];
export const MODES: readonly OobMode[] = ['use', 'neutralize', 'ignore'];
export const ISSUED = 1_795_000_000;
export const DIGEST = 'ab'.repeat(32);

export function must<T>(r: { ok: true; value: T } | { ok: false; error: { code: string; message: string } }): T {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

export const tmp = (): string => mkdtempSync(join(tmpdir(), 'policy-test-'));

export function makeOrg(): { dir: string; keys: { privateKey: KeyObject; publicKey: KeyObject } } {
  const dir = join(tmp(), 'org');
  must(initOrg(dir));
  return { dir, keys: must(loadOrg(dir)) };
}

/** A policy as an operator would write it: serial, mode and whatever else the test sets. */
export function policy(oob: OobMode, extra: Record<string, unknown> = {}, serial = 1): Policy {
  return must(policyFromJson({ serial, issued: ISSUED, oob, ...extra }, ISSUED));
}

export function report(machine: Machine, inBand: InBand = notAsked('not asked: fixture tree')): Report {
  return buildReport(new SysRoot(resolve('test/fixtures', machine)), new Date(0), undefined, inBand);
}
