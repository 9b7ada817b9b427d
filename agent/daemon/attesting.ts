// The daemon's own attestation record, made again before the last one
// expires: the capability report's digest, the channel verdicts and whether
// the agent armed the watchdog, signed by the session key the node gossips
// with. The core announces each new record and peers pull it by push-pull.

import type { Logger } from 'pino';
import type { GossipDriver } from '../gossip/driver.ts';
import type { RecordInput } from '../identity/record.ts';
import { recordInput } from '../probe/record-input.ts';
import { buildReport, type Report } from '../probe/report.ts';
import type { SysRoot } from '../probe/sysroot.ts';

/** Records live five minutes and are renewed at half-life, so a peer never holds an expired one from a healthy node. */
export const RECORD_TTL_MS = 5 * 60_000;

export interface AttestingDeps {
  driver: Pick<GossipDriver, 'attest'>;
  makeRecord(input: RecordInput): Uint8Array;
  sys: SysRoot;
  log: Logger;
  watchdogArmed: boolean;
  ttlMs?: number;
  /** The policy this node applied and its compliance (agent/policy/applied.ts); absent: the record says null. */
  claims?: (report: Report) => Pick<RecordInput, 'policy' | 'compliance'>;
}

export function startAttesting(d: AttestingDeps): { stop(): void } {
  const ttlMs = d.ttlMs ?? RECORD_TTL_MS;
  const once = (): void => {
    try {
      const report = buildReport(d.sys);
      const record = d.makeRecord({ ...recordInput(report, Date.now(), ttlMs, d.watchdogArmed), ...d.claims?.(report) });
      d.driver.attest(record);
      d.log.debug({ bytes: record.length }, 'attestation record announced');
    } catch (e) {
      // A probe that throws is a bug in the probe; the node keeps gossiping without a fresh record.
      d.log.error({ err: (e as Error).message }, 'attestation record failed');
    }
  };
  once();
  const timer = setInterval(once, ttlMs / 2);
  return { stop: () => clearInterval(timer) };
}
