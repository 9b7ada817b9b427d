// Takes away what the fleet's policy forbids on the BMC's LAN channels: any
// enabled user without a name (the null user in slot 1, "anonymous" login, and
// nameless users in other slots), and every RMCP+ cipher suite but 3 and 17
// (suite 0 logs in without a password; the others lack integrity or
// confidentiality, or use MD5). A suite is disabled by setting its parameter-24
// privilege to 0 (unused), entry by entry; the entries' order is parameter 23's.
// Each change is read back: a BMC that answers success but keeps the old value
// is reported as such.

import type { Deadline } from '../channels/types.ts';
import { readChannels } from './bmc-info.ts';
import { STRONG_ORDER } from './crypto.ts';
import { getLanConfig, LAN_PARAM, MAX_CIPHER_ENTRIES, parseCipherCount, parseCipherPrivileges, parseCipherSuites, parseParam, setLanConfig } from './lan-config.ts';
import { stepFromError, type Step } from './steps.ts';
import { call, type IpmiTransport } from './transport.ts';
import { getUserAccess, NO_ACCESS, parseUserAccess, PASSWORD_OP, readUsers, setUserAccess, setUserPassword, type UserSlot } from './users.ts';

export const KEPT_SUITES: ReadonlySet<number> = new Set(STRONG_ORDER);

export interface HardenResult {
  /** Every step done or not applicable. */
  ok: boolean;
  channels: number[];
  steps: Step[];
}

const nameless = (u: UserSlot): boolean => u.name === '' || (u.id === 1 && u.name === null);

export async function harden(t: IpmiTransport, d: Deadline): Promise<HardenResult> {
  const steps: Step[] = [];
  const end = (channels: number[]): HardenResult => ({ ok: steps.every((s) => s.outcome === 'done' || s.outcome === 'not-applicable'), channels, steps });
  const ch = await readChannels(t, d);
  if (!ch.ok) {
    steps.push(stepFromError('read channels', ch.error));
    return end([]);
  }
  const channels = ch.value.filter((c) => c.lan).map((c) => c.channel);
  if (channels.length === 0) {
    steps.push({ step: 'LAN channels', outcome: 'not-applicable', detail: 'the BMC reports no LAN channel' });
    return end([]);
  }
  const table = await readUsers(t, channels, d);
  if (!table.ok) steps.push(stepFromError('read users', table.error));
  else {
    const targets = table.value.users.filter((u) => nameless(u) && u.enabled);
    if (targets.length === 0) steps.push({ step: 'nameless users', outcome: 'not-applicable', detail: 'no enabled user without a name' });
    for (const u of targets) await disableUser(t, u, steps, d);
  }
  for (const c of channels) await restrictSuites(t, c, steps, d);
  return end(channels);
}

async function disableUser(t: IpmiTransport, u: UserSlot, steps: Step[], d: Deadline): Promise<void> {
  const who = u.id === 1 ? 'user 1 (null user)' : `user ${u.id} (no name)`;
  for (const a of u.access.filter((x) => x.messaging || x.enableStatus === 'enabled')) {
    const step = `${who}: no access on channel ${a.channel}`;
    const r = await call(t, setUserAccess(a.channel, u.id, { privilege: NO_ACCESS, messaging: false, linkAuth: false, callbackOnly: false }), d, 'Set User Access');
    if (!r.ok) {
      steps.push(stepFromError(step, r.error));
      continue;
    }
    const back = await call(t, getUserAccess(a.channel, u.id), d, 'Get User Access');
    const p = back.ok ? parseUserAccess(back.value) : null;
    if (p?.ok && !p.value.messaging) steps.push({ step, outcome: 'done' });
    else steps.push({ step, outcome: 'failed', detail: back.ok ? 'the BMC still reports IPMI messaging on' : `read back: ${back.error.message}` });
  }
  const step = `${who}: disable`;
  const r = await call(t, setUserPassword(u.id, PASSWORD_OP.disable), d, 'Set User Password (disable)');
  steps.push(r.ok ? { step, outcome: 'done' } : stepFromError(step, r.error));
}

async function restrictSuites(t: IpmiTransport, channel: number, steps: Step[], d: Deadline): Promise<void> {
  const step = `channel ${channel}: cipher suites other than ${[...KEPT_SUITES].join(', ')} unused`;
  const count = await call(t, getLanConfig(channel, LAN_PARAM.cipherSuiteCount), d, 'Get LAN Configuration Parameters 22');
  const n = count.ok ? parseCipherCount(count.value) : null;
  const ids = n?.ok ? await call(t, getLanConfig(channel, LAN_PARAM.cipherSuites), d, 'Get LAN Configuration Parameters 23') : null;
  const suites = ids?.ok && n?.ok ? parseCipherSuites(ids.value, n.value) : null;
  const before = suites?.ok ? await call(t, getLanConfig(channel, LAN_PARAM.cipherPrivileges), d, 'Get LAN Configuration Parameters 24') : null;
  const raw = before?.ok ? parseParam(before.value, 9, 'cipher suite privilege levels') : null;
  const privs = before?.ok ? parseCipherPrivileges(before.value) : null;
  if (!count.ok) return void steps.push(stepFromError(`${step} (read entry count)`, count.error));
  if (!n?.ok) return void steps.push({ step, outcome: 'failed', detail: n?.reason ?? 'no entry count' });
  if (ids && !ids.ok) return void steps.push(stepFromError(`${step} (read entries)`, ids.error));
  if (!suites?.ok) return void steps.push({ step, outcome: 'failed', detail: suites?.reason ?? 'no entries' });
  if (before && !before.ok) return void steps.push(stepFromError(`${step} (read privileges)`, before.error));
  if (!raw?.ok || !privs?.ok) return void steps.push({ step, outcome: 'failed', detail: 'unreadable parameter 24' });

  const weak = suites.value.map((suite, entry) => ({ suite, entry })).filter(({ suite, entry }) => entry < MAX_CIPHER_ENTRIES && !KEPT_SUITES.has(suite) && (privs.value[entry] ?? 0) !== 0);
  const zero = suites.value.includes(0) ? undefined : 'suite 0 is not offered';
  if (weak.length === 0) return void steps.push({ step, outcome: 'not-applicable', detail: `already so${zero ? `; ${zero}` : ''}` });
  // Only the weak entries' nibbles change; the reserved byte and the rest go back as read.
  const want = Uint8Array.from(raw.value);
  for (const { entry } of weak) {
    const at = 1 + (entry >> 1);
    want[at] = (want[at] ?? 0) & (entry & 1 ? 0x0f : 0xf0);
  }
  const list = weak.map((w) => w.suite).join(', ');
  const set = await call(t, setLanConfig(channel, LAN_PARAM.cipherPrivileges, want), d, 'Set LAN Configuration Parameters 24');
  if (!set.ok) return void steps.push(stepFromError(`${step}: suites ${list}`, set.error));
  const after = await call(t, getLanConfig(channel, LAN_PARAM.cipherPrivileges), d, 'Get LAN Configuration Parameters 24');
  const now = after.ok ? parseParam(after.value, 9, 'cipher suite privilege levels') : null;
  if (now?.ok && Buffer.from(now.value).equals(Buffer.from(want))) steps.push({ step: `${step}: suites ${list}`, outcome: 'done', ...(zero ? { detail: zero } : {}) });
  else steps.push({ step: `${step}: suites ${list}`, outcome: 'failed', detail: after.ok ? 'the BMC answered success but reads back other privileges' : `read back: ${after.error.message}` });
}
