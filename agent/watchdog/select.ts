// Which watchdog the daemon arms. A hardware timer resets a machine whose
// kernel hung; softdog is a kernel timer and dies with the kernel, so it is
// only taken when nothing better exists; an alarm-only device (iamt_wdt)
// never resets anything and is never taken. Within a kind the lowest number
// wins: watchdog0 is also the legacy /dev/watchdog every other tool uses.

import type { Watchdog, WatchdogKind } from '../probe/watchdog.ts';

export interface WatchdogChoice {
  /** The device node to open. */
  path: string;
  name: string;
  identity: string | null;
  kind: WatchdogKind;
  /** Why this one, as a sentence for the log. */
  reason: string;
}

export type SelectErrorCode = 'NO_WATCHDOG' | 'NOT_A_WATCHDOG' | 'ALARM_ONLY' | 'NO_DEVICE_NODE';

export interface SelectError {
  code: SelectErrorCode;
  message: string;
}

export type Selection = { ok: true; value: WatchdogChoice } | { ok: false; error: SelectError };

const RANK: Record<WatchdogKind, number> = { hardware: 0, software: 1, 'alarm-only': 2 };
const number = (name: string): number => Number(/\d+$/.exec(name)?.[0] ?? Number.MAX_SAFE_INTEGER);
const label = (w: Watchdog): string => w.identity ?? w.name;
/** Passed-over devices by the name people know them by (softdog rather than "Software Watchdog"). */
const short = (w: Watchdog): string => w.module ?? w.identity ?? w.name;
const fail = (code: SelectErrorCode, message: string): Selection => ({ ok: false, error: { code, message } });

function choice(w: Watchdog, path: string, reason: string): Selection {
  return { ok: true, value: { path, name: w.name, identity: w.identity, kind: w.kind, reason } };
}

export function selectWatchdog(watchdogs: readonly Watchdog[], configured: 'auto' | string): Selection {
  return configured === 'auto' ? auto(watchdogs) : explicit(watchdogs, configured);
}

const byNumber = (ws: readonly Watchdog[]): Watchdog[] => ws.slice().sort((a, b) => number(a.name) - number(b.name));

function auto(all: readonly Watchdog[]): Selection {
  // Messages list devices by number so the same machine always reads the same.
  const watchdogs = byNumber(all);
  if (watchdogs.length === 0) return fail('NO_WATCHDOG', 'no watchdog device: /sys/class/watchdog is empty');
  const usable = watchdogs.filter((w) => w.kind !== 'alarm-only' && w.devNode !== null).sort((a, b) => RANK[a.kind] - RANK[b.kind]);
  const best = usable[0];
  if (!best) {
    const why = watchdogs.map((w) => `${w.name} (${label(w)}): ${w.kind === 'alarm-only' ? 'alarm-only, never resets' : `no device node /dev/${w.name}`}`);
    const onlyAlarms = watchdogs.every((w) => w.kind === 'alarm-only');
    return fail(onlyAlarms ? 'ALARM_ONLY' : 'NO_DEVICE_NODE', `no usable watchdog: ${why.join('; ')}`);
  }
  const others = usable.slice(1);
  const software = others.filter((w) => w.kind === 'software');
  const sameKind = others.filter((w) => w.kind === best.kind);
  const alarms = watchdogs.filter((w) => w.kind === 'alarm-only');
  let reason: string;
  if (best.kind === 'software') {
    reason = `software ${label(best)} only: no hardware watchdog, and it cannot reset a hung kernel`;
  } else if (software.length > 0) {
    reason = `hardware ${label(best)} preferred over ${software.map(short).join(', ')}`;
  } else {
    reason = `hardware ${label(best)}`;
  }
  if (sameKind.length > 0) reason += `; lowest-numbered of ${sameKind.length + 1} ${best.kind} watchdogs (also ${sameKind.map((w) => `${w.name} ${short(w)}`).join(', ')})`;
  if (alarms.length > 0) reason += `; ${alarms.map(short).join(', ')} ignored: alarm-only`;
  return choice(best, best.devNode as string, reason);
}

function explicit(watchdogs: readonly Watchdog[], path: string): Selection {
  // /dev/watchdog is the legacy node of watchdog0 (the kernel registers it for id 0 only).
  const m = /^\/dev\/watchdog(\d*)$/.exec(path);
  if (!m) return fail('NOT_A_WATCHDOG', `configured ${path} is not a watchdog device node (/dev/watchdog or /dev/watchdogN)`);
  const name = `watchdog${m[1] === '' ? '0' : m[1]}`;
  const w = watchdogs.find((x) => x.name === name);
  if (!w) {
    const present = watchdogs.length === 0 ? 'there is none' : `present: ${byNumber(watchdogs).map((x) => x.name).join(', ')}`;
    return fail('NOT_A_WATCHDOG', `configured ${path} is not a watchdog: no /sys/class/watchdog/${name} (${present})`);
  }
  if (w.kind === 'alarm-only') return fail('ALARM_ONLY', `configured ${path} is ${label(w)}, alarm-only: it never resets the machine`);
  if (m[1] !== '' && w.devNode === null) return fail('NO_DEVICE_NODE', `configured ${path}: ${name} exists in sysfs but the device node does not`);
  const note = w.kind === 'software' ? ' (software: cannot reset a hung kernel)' : '';
  return choice(w, path, `configured ${path}: ${w.kind} ${label(w)}${note}`);
}
