// Whether the node is healthy enough to feed the hardware watchdog. Pure: it
// is given what the drivers measured (event-loop lag, subsystem heartbeats,
// check results, stage deadlines) and the time, and says yes or why not. A
// check that stopped reporting counts as failing: a hung check must not keep
// a hung node alive.

export interface CheckResult {
  ok: boolean;
  /** When the check last finished, ms on the same clock as `now`. */
  at: number;
  detail: string;
}

export interface HealthInputs {
  now: number;
  /** The largest event-loop lag measured since the last evaluation, ms. */
  loopLagMs: number;
  maxLoopLagMs: number;
  /** Subsystems that must beat: name -> last heartbeat and how old it may get. */
  subsystems: ReadonlyMap<string, { lastBeat: number; maxAgeMs: number }>;
  /** Configured checks by name; a result older than `maxCheckAgeMs` is stale. */
  checks: ReadonlyMap<string, CheckResult | undefined>;
  maxCheckAgeMs: number;
  /** Boot stages running now: name -> when their deadline passes. */
  stages: ReadonlyMap<string, { deadline: number; deadlineMs: number }>;
}

export interface Verdict {
  healthy: boolean;
  reasons: string[];
}

export function evaluateHealth(h: HealthInputs): Verdict {
  const reasons: string[] = [];
  if (h.loopLagMs > h.maxLoopLagMs) reasons.push(`event loop stalled ${Math.round(h.loopLagMs)} ms (limit ${h.maxLoopLagMs} ms)`);
  for (const [name, s] of h.subsystems) {
    const age = h.now - s.lastBeat;
    if (age > s.maxAgeMs) reasons.push(`subsystem ${name} silent for ${Math.round(age)} ms (limit ${s.maxAgeMs} ms)`);
  }
  for (const [name, r] of h.checks) {
    if (r === undefined) reasons.push(`check ${name} has not reported yet`);
    else if (h.now - r.at > h.maxCheckAgeMs) reasons.push(`check ${name} stale: last result ${Math.round(h.now - r.at)} ms ago`);
    else if (!r.ok) reasons.push(`check ${name} failed: ${r.detail}`);
  }
  for (const [name, s] of h.stages) {
    if (h.now > s.deadline) reasons.push(`boot stage ${name} overran its ${s.deadlineMs} ms deadline`);
  }
  return { healthy: reasons.length === 0, reasons };
}
