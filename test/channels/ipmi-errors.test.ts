// Every way an IPMI exchange can go wrong ends as one typed error within the
// deadline, never a throw, and never with the password in the message.

import { createSocket, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import test from 'ava';
import fc from 'fast-check';
import { ipmiChannel } from '../../agent/channels/ipmi/index.ts';
import { deadlineIn, type ChannelErrorCode, type ChannelResult } from '../../agent/channels/types.ts';
import { IpmiClient } from '../../agent/ipmi/client.ts';
import { CONTROL, PRIV } from '../../agent/ipmi/messages.ts';
import { startSim } from '../ipmi/sim.ts';

/** Generous: the whole suite runs these beside QEMU and daemons on two cores. */
const SLACK_MS = 600;

/** Runs status() with a deadline and returns the error, checking the time taken and the message. */
async function failure(t: { true: (v: boolean, m?: string) => void; false: (v: boolean, m?: string) => void }, opts: { port: number; user: string; password: string }, deadlineMs: number, op: 'status' | 'on' = 'status'): Promise<{ code: ChannelErrorCode; message: string }> {
  const drv = ipmiChannel.open({ host: '127.0.0.1', port: opts.port, user: opts.user, password: opts.password });
  if (!drv.ok) throw new Error(drv.error.message);
  const t0 = performance.now();
  const r: ChannelResult<unknown> = op === 'status' ? await drv.value.status(deadlineIn(deadlineMs)) : await drv.value.request(op, deadlineIn(deadlineMs));
  const elapsed = performance.now() - t0;
  await drv.value.close(deadlineIn(300));
  t.true(elapsed <= deadlineMs + SLACK_MS, `took ${elapsed.toFixed(0)} ms for a ${deadlineMs} ms deadline`);
  if (r.ok) throw new Error('expected a failure');
  t.false(r.error.message.includes(opts.password), 'the password leaked into the error');
  return r.error;
}

/** A UDP "BMC" on loopback that answers every packet with `answer(packet)`, or drops it when that returns null. */
async function fakeBmc(answer: (b: Buffer) => Buffer | null): Promise<{ port: number; seen: () => number; close: () => void }> {
  const s: Socket = createSocket('udp4');
  let seen = 0;
  s.on('message', (m, r) => {
    seen++;
    const a = answer(m);
    if (a) s.send(a, r.port, r.address);
  });
  await new Promise<void>((res) => s.bind(0, '127.0.0.1', () => res()));
  return { port: s.address().port, seen: () => seen, close: () => s.close() };
}

test.serial('wrong password and wrong user are AUTH at once; too little privilege is AUTH', async (t) => {
  const sim = await startSim();
  t.teardown(() => sim.stop());
  const wrong = `not-${sim.password}`;
  const pw = await failure(t, { port: sim.port, user: 'admin', password: wrong }, 3000);
  t.is(pw.code, 'AUTH');
  t.regex(pw.message, /wrong password/);
  const user = await failure(t, { port: sim.port, user: 'mallory', password: sim.password }, 3000);
  t.is(user.code, 'AUTH');
  t.regex(user.message, /unauthorized name/);
  t.false(user.message.includes(sim.password));

  // ipmi_sim 2.0.33 enforces the session's privilege but not a user's or channel's limit when the
  // session asks for more (ipmitool -U <user-level user> -L OPERATOR powers off too), so the
  // refusal is produced with a User-level session: Chassis Control answers 0xD4.
  const low = new IpmiClient({ host: sim.host, port: sim.port, user: 'admin', password: sim.password, allowWeakCiphers: false, privilege: PRIV.user });
  const t0 = performance.now();
  const priv = await low.control(CONTROL.on, deadlineIn(3000));
  await low.close(deadlineIn(500));
  t.true(performance.now() - t0 <= 3000 + SLACK_MS);
  t.false(priv.ok);
  if (!priv.ok) {
    t.is(priv.error.code, 'AUTH');
    t.regex(priv.error.message, /insufficient privilege/);
  }
  t.is(sim.power(), 'off');
});

test.serial('a BMC that never answers is TIMEOUT within the deadline, after bounded retransmissions', async (t) => {
  const bmc = await fakeBmc(() => null);
  t.teardown(() => bmc.close());
  const e = await failure(t, { port: bmc.port, user: 'admin', password: 'secret-pw-1' }, 1500);
  t.is(e.code, 'TIMEOUT');
  // 1 s between retransmissions: the first packet and one retransmission fit in 1.5 s (a loaded machine may fire the second late, after the deadline).
  t.true(bmc.seen() >= 1 && bmc.seen() <= 2, `${bmc.seen()} packets`);
});

test.serial('a BMC that answers random bytes is PROTOCOL within the deadline', async (t) => {
  const bmc = await fakeBmc(() => randomBytes(1 + Math.floor(Math.random() * 80)));
  t.teardown(() => bmc.close());
  const e = await failure(t, { port: bmc.port, user: 'admin', password: 'secret-pw-2' }, 1200);
  t.is(e.code, 'PROTOCOL');
});

test.serial('a BMC that answers garbage shaped like RMCP never makes the driver throw', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 64 }), async (tail) => {
      // A valid RMCP/RMCP+ prefix makes the garbage reach the deeper decoders.
      const bmc = await fakeBmc((m) => Buffer.concat([m.subarray(0, Math.min(m.length, 16)), tail]));
      try {
        const drv = ipmiChannel.open({ host: '127.0.0.1', port: bmc.port, user: 'admin', password: 'pw' });
        if (!drv.ok) return false;
        const r = await drv.value.status(deadlineIn(150));
        await drv.value.close(deadlineIn(50));
        return !r.ok && ['PROTOCOL', 'TIMEOUT', 'AUTH', 'CONFIG', 'UNSUPPORTED', 'BUSY'].includes(r.error.code);
      } finally {
        bmc.close();
      }
    }),
    { numRuns: 25 },
  );
  t.pass();
});

test('options are checked before any I/O', (t) => {
  const noUser = ipmiChannel.open({ host: '127.0.0.1', password: 'x' });
  t.false(noUser.ok);
  if (!noUser.ok) t.is(noUser.error.code, 'CONFIG');
  const longPw = ipmiChannel.open({ host: '127.0.0.1', user: 'admin', password: 'p'.repeat(21) });
  t.false(longPw.ok);
  if (!longPw.ok) t.false(longPw.error.message.includes('ppp'));
  t.is(ipmiChannel.defaultPort({ host: 'h', password: 'x' }), 623);
  const ok = ipmiChannel.open({ host: '::1', user: 'admin', password: 'x' });
  t.true(ok.ok);
  if (ok.ok) t.deepEqual(ok.value.describe(), { channel: 'ipmi', target: '[::1]:623', actions: ['on', 'off', 'cycle', 'reset'], verifiable: true });
});
