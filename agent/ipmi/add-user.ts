// A dedicated BMC user for the fleet, made in band: a FREE slot only (no name,
// not enabled on any LAN channel; never slot 1, the null user), then Set User
// Name, Set User Password, Set User Access on every LAN channel, enable, and
// Test Password. A name that already exists is refused, whoever made it:
// rotating a password is a different decision than creating an account. If a
// write fails, the steps already done are undone (disable, no access, name
// cleared) and every step, undo included, is reported.

import { deadlineIn, type Deadline } from '../channels/types.ts';
import { readChannels } from './bmc-info.ts';
import { stepFromError, type Step } from './steps.ts';
import { call, type CallError, type IpmiTransport } from './transport.ts';
import { getUserName, NAME_BYTES, NO_ACCESS, parseUserName, PASSWORD_OP, readUsers, setUserAccess, setUserName, setUserPassword, type UserSlot } from './users.ts';

/** Invalid command, parameter out of range, invalid data field: the BMC lacks the operation. */
const UNSUPPORTED_CC: ReadonlySet<number> = new Set([0xc1, 0xc9, 0xcc]);
/** The undo gets its own time: the failure it cleans up after may have used up the action's. */
const UNDO_MS = 10_000;

export interface AddUserOptions {
  name: string;
  /** At most 20 bytes; sent in the 16-byte form when it fits. Never logged or reported. */
  password: Uint8Array;
  /** 3 operator (enough for chassis control) or 4 admin. */
  privilege: 3 | 4;
}

export type AddUserErrorCode = 'NO_LAN_CHANNEL' | 'EXISTS' | 'NO_FREE_SLOT' | 'BMC' | 'INPUT';

export interface AddUserResult {
  ok: boolean;
  slot: number | null;
  channels: number[];
  steps: Step[];
  error?: { code: AddUserErrorCode; message: string };
}

/** A slot we may take: not the null user, no name, and not enabled anywhere. */
export function isFree(u: UserSlot): boolean {
  return u.id >= 2 && u.name === '' && !u.enabled && u.access.every((a) => !a.messaging && a.enableStatus !== 'enabled');
}

export function checkName(name: string): string | null {
  if (name.length === 0 || Buffer.byteLength(name) > NAME_BYTES) return `the name must be 1-${NAME_BYTES} bytes`;
  if (!/^[\x21-\x7e]+$/.test(name)) return 'the name must be printable ASCII without spaces';
  return null;
}

export async function addUser(t: IpmiTransport, o: AddUserOptions, d: Deadline): Promise<AddUserResult> {
  const steps: Step[] = [];
  const res = (slot: number | null, channels: number[], error?: AddUserResult['error']): AddUserResult => ({ ok: !error, slot, channels, steps, ...(error ? { error } : {}) });
  const bad = checkName(o.name);
  if (bad) return res(null, [], { code: 'INPUT', message: bad });
  if (o.password.length < 1 || o.password.length > 20 || o.password.includes(0)) return res(null, [], { code: 'INPUT', message: 'the password must be 1-20 bytes without NUL' });

  const ch = await readChannels(t, d);
  if (!ch.ok) return bmcError(steps, 'read channels', ch.error, res(null, []));
  const channels = ch.value.filter((c) => c.lan).map((c) => c.channel);
  if (channels.length === 0) return res(null, [], { code: 'NO_LAN_CHANNEL', message: 'the BMC reports no LAN channel: a user could not log in over the network' });

  const table = await readUsers(t, channels, d);
  if (!table.ok) return bmcError(steps, 'read users', table.error, res(null, channels));
  const taken = table.value.users.find((u) => u.name === o.name);
  if (taken) return res(null, channels, { code: 'EXISTS', message: `user ${o.name} already exists in slot ${taken.id}; it is left as it is` });
  const free = table.value.users.find(isFree);
  if (!free) return res(null, channels, { code: 'NO_FREE_SLOT', message: `no free slot among ${table.value.maxUsers} (free: no name and not enabled)` });
  const slot = free.id;

  // Each write with the undo that takes it back; run in order, undone in reverse on failure.
  const nameBytes = Buffer.from(o.name, 'latin1');
  const disable = { privilege: NO_ACCESS, messaging: false, linkAuth: false, callbackOnly: false };
  const writes: { step: string; run: () => ReturnType<typeof call>; undo?: { step: string; run: (d: Deadline) => ReturnType<typeof call> }; unsupportedOk?: boolean }[] = [
    { step: `set name (slot ${slot})`, run: () => call(t, setUserName(slot, nameBytes), d, 'Set User Name'), undo: { step: `clear name (slot ${slot})`, run: (u) => call(t, setUserName(slot, new Uint8Array(NAME_BYTES)), u, 'Set User Name') } },
    { step: `verify name (slot ${slot})`, run: () => verifyName(t, slot, o.name, d) },
    { step: `set password (slot ${slot}, ${o.password.length <= 16 ? 16 : 20}-byte form)`, run: () => call(t, setUserPassword(slot, PASSWORD_OP.set, o.password), d, 'Set User Password') },
    ...channels.map((c) => ({
      step: `set access (slot ${slot}, channel ${c}, ${o.privilege === 4 ? 'admin' : 'operator'}, IPMI messaging on)`,
      run: () => call(t, setUserAccess(c, slot, { privilege: o.privilege, messaging: true, linkAuth: false, callbackOnly: false }), d, 'Set User Access'),
      undo: { step: `remove access (slot ${slot}, channel ${c})`, run: (u: Deadline) => call(t, setUserAccess(c, slot, disable), u, 'Set User Access') },
    })),
    { step: `enable user (slot ${slot})`, run: () => call(t, setUserPassword(slot, PASSWORD_OP.enable), d, 'Set User Password (enable)'), undo: { step: `disable user (slot ${slot})`, run: (u) => call(t, setUserPassword(slot, PASSWORD_OP.disable), u, 'Set User Password (disable)') } },
    // 80h/81h: the password did not take. A BMC without the test operation leaves it unverified, said so.
    { step: `test password (slot ${slot})`, run: () => call(t, setUserPassword(slot, PASSWORD_OP.test, o.password), d, 'Set User Password (test)'), unsupportedOk: true },
  ];
  const done: typeof writes = [];
  for (const w of writes) {
    const r = await w.run();
    if (r.ok) {
      steps.push({ step: w.step, outcome: 'done' });
      done.push(w);
      continue;
    }
    steps.push(stepFromError(w.step, r.error));
    if (w.unsupportedOk && r.error.code === 'REFUSED' && UNSUPPORTED_CC.has(r.error.completion)) continue;
    // A failed write may have taken effect: undo it too.
    if (r.error.code !== 'REFUSED') done.push(w);
    for (const rest of writes.slice(writes.indexOf(w) + 1)) steps.push({ step: rest.step, outcome: 'skipped' });
    const ud = deadlineIn(UNDO_MS);
    for (const u of [...done].reverse()) {
      if (!u.undo) continue;
      const ur = await u.undo.run(ud);
      steps.push(ur.ok ? { step: u.undo.step, outcome: 'done' } : stepFromError(u.undo.step, ur.error));
    }
    return res(slot, channels, { code: 'BMC', message: `${w.step}: ${r.error.message}` });
  }
  return res(slot, channels);
}

async function verifyName(t: IpmiTransport, slot: number, name: string, d: Deadline): ReturnType<typeof call> {
  const r = await call(t, getUserName(slot), d, 'Get User Name');
  if (!r.ok) return r;
  const p = parseUserName(r.value);
  if (!p.ok) return { ok: false, error: { code: 'PROTOCOL', message: p.reason } };
  if (p.value !== name) return { ok: false, error: { code: 'STATE', message: `slot ${slot} reads back as "${p.value}"` } };
  return r;
}

function bmcError(steps: Step[], step: string, e: CallError, r: AddUserResult): AddUserResult {
  steps.push(stepFromError(step, e));
  return { ...r, ok: false, error: { code: 'BMC', message: `${step}: ${e.code}: ${e.message}` } };
}
