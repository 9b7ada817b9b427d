// What an attestation record says about this machine, taken from its
// capability report: the report's digest, each channel's verdict and the
// watchdog's state. `agent attest` and the daemon's periodic record share it.

import { reportDigest, type RecordInput, type WatchdogState } from '../identity/record.ts';
import type { Report } from './report.ts';

function watchdogState(r: Report, armedByAgent: boolean | null): WatchdogState {
  const resets = r.watchdogs.map((w) => w.lastResetByWatchdog).filter((x): x is boolean => x !== null);
  return {
    // The daemon knows whether it armed one; a one-shot `agent attest` goes by what the devices say.
    armed: armedByAgent ?? r.watchdogs.some((w) => w.state === 'active'),
    lastResetByWatchdog: resets.length ? resets.includes(true) : null,
  };
}

export function recordInput(report: Report, time: number, ttlMs: number, armedByAgent: boolean | null = null): RecordInput {
  return {
    time,
    ttlMs,
    reportDigest: reportDigest(JSON.stringify(report)),
    channels: report.channels.map((c) => ({ kind: c.kind, verdict: c.verdict })),
    watchdog: watchdogState(report, armedByAgent),
  };
}
