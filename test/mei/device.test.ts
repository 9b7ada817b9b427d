// The /dev/mei transport without a /dev/mei: error mapping against real files
// (/dev/null and a regular file answer the connect ioctl with ENOTTY), a missing
// path, and read/write/timeout/hang-up over a real SOCK_SEQPACKET socketpair
// (whole messages, like MEI) with only open() and the ioctl step injected.
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import { deadlineIn } from '../../agent/channels/types.ts';
import { monotonicMs } from '../../agent/clock.ts';
import { DeviceBus, IOCTL_MEI_CONNECT_CLIENT, openDeviceBus, type MeiSys } from '../../agent/mei/device.ts';
import { MEI_GUID, guidToUuidLe } from '../../agent/mei/guid.ts';
import { koffi } from '../../agent/native/koffi.ts';
import { libc } from '../../agent/native/libc.ts';

const E = constants.errno;
const AF_UNIX = 1;
const SOCK_SEQPACKET = 5;

function socketpair(): [number, number] {
  const fn = koffi().load('libc.so.6').func('int socketpair(int domain, int type, int protocol, void *sv)');
  const sv = new Int32Array(2);
  if (fn(AF_UNIX, SOCK_SEQPACKET, 0, sv) !== 0) throw new Error('socketpair failed');
  return [sv[0] as number, sv[1] as number];
}

/** Real libc, with open() handing out our socket and the connect ioctl answered by `ioctl`. */
function sysWith(over: Partial<MeiSys> & { errnoOverride?: () => number | null }): MeiSys {
  const real = libc();
  const base: MeiSys = {
    open: real.open,
    close: real.close,
    ioctl: real.ioctl,
    read: real.read,
    write: real.write,
    poll: real.poll,
    errno: real.errno,
  };
  const { errnoOverride, ...rest } = over;
  return { ...base, ...rest, errno: () => errnoOverride?.() ?? real.errno() };
}

const connected = (max: number) => (_fd: number, req: number, arg: Uint8Array): number => {
  if (req !== IOCTL_MEI_CONNECT_CLIENT) return -1;
  new DataView(arg.buffer, arg.byteOffset).setUint32(0, max, true);
  arg[4] = 1;
  return 0;
};

test('no node: NO_DEVICE, both from openDeviceBus and from connect', async (t) => {
  const o = openDeviceBus({ paths: ['/nonexistent/mei0', '/nonexistent/mei1'] });
  t.true(!o.ok && o.error.code === 'NO_DEVICE');
  const r = await new DeviceBus({ paths: ['/nonexistent/mei0'] }).connect(MEI_GUID.PTHI, deadlineIn(500));
  t.true(!r.ok && r.error.code === 'NO_DEVICE');
});

test('/dev/null and a regular file refuse the connect ioctl with ENOTTY: NO_CLIENT', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mei-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'mei0');
  writeFileSync(file, '');
  for (const paths of [['/dev/null'], [file], ['/nonexistent/mei0', '/dev/null']]) {
    const r = await new DeviceBus({ paths }).connect(MEI_GUID.PTHI, deadlineIn(500));
    t.true(!r.ok && r.error.code === 'NO_CLIENT', paths.join(','));
    if (!r.ok) t.regex(r.error.message, /ENOTTY/);
  }
});

test('EACCES on open: PERMISSION', async (t) => {
  const sys = sysWith({ open: () => -1, errnoOverride: () => E.EACCES });
  const r = await new DeviceBus({ paths: ['/dev/mei0'], sys }).connect(MEI_GUID.PTHI, deadlineIn(500));
  t.true(!r.ok && r.error.code === 'PERMISSION');
});

test('EBUSY on connect: retried with growing backoff, bounded by count and by deadline', async (t) => {
  const sleeps: number[] = [];
  let calls = 0;
  let err: number | null = null;
  const sys = sysWith({
    open: () => libc().open('/dev/null', 2),
    ioctl: (fd, req, arg) => {
      calls++;
      if (calls <= 2) {
        err = E.EBUSY;
        return -1;
      }
      err = null;
      return connected(512)(fd, req, arg);
    },
    errnoOverride: () => err,
  });
  const bus = new DeviceBus({ paths: ['/dev/mei0'], sys, sleep: async (ms) => void sleeps.push(ms) });
  const r = await bus.connect(MEI_GUID.PTHI, deadlineIn(60_000));
  t.true(r.ok);
  t.deepEqual(sleeps, [750, 1500]);
  if (r.ok) {
    t.is(r.value.maxMessageLength, 512);
    t.is(r.value.protocolVersion, 1);
    r.value.close();
  }

  calls = -100;
  const counted = await new DeviceBus({ paths: ['/dev/mei0'], sys, busyAttempts: 3, sleep: async () => {} }).connect(MEI_GUID.PTHI, deadlineIn(60_000));
  t.true(!counted.ok && counted.error.code === 'BUSY' && /3 attempts/.test(counted.error.message));
  calls = -100;
  const start = monotonicMs();
  const timed = await new DeviceBus({ paths: ['/dev/mei0'], sys }).connect(MEI_GUID.PTHI, deadlineIn(1000));
  t.true(!timed.ok && timed.error.code === 'BUSY');
  t.true(monotonicMs() - start < 1100, 'stops before the deadline, not after 8 backoffs');
});

test('ENODEV on connect: reopened a bounded number of times, then RESET', async (t) => {
  let opens = 0;
  const sys = sysWith({
    open: () => {
      opens++;
      return libc().open('/dev/null', 2);
    },
    ioctl: () => -1,
    errnoOverride: () => E.ENODEV,
  });
  const r = await new DeviceBus({ paths: ['/dev/mei0'], sys, reopenAttempts: 2, sleep: async () => {} }).connect(MEI_GUID.PTHI, deadlineIn(2000));
  t.true(!r.ok && r.error.code === 'RESET');
  t.is(opens, 3);
});

test('the connect ioctl gets the GUID in uuid_le order in a 16-byte buffer', async (t) => {
  let seen = '';
  const sys = sysWith({
    open: () => libc().open('/dev/null', 2),
    ioctl: (fd, req, arg) => {
      seen = `${req.toString(16)} ${arg.length} ${Buffer.from(arg).toString('hex')}`;
      return connected(64)(fd, req, arg);
    },
  });
  const r = await new DeviceBus({ paths: ['/dev/mei0'], sys }).connect(MEI_GUID.PTHI, deadlineIn(500));
  t.true(r.ok);
  if (r.ok) r.value.close();
  t.is(seen, `c0104801 16 ${Buffer.from(guidToUuidLe(MEI_GUID.PTHI) as Uint8Array).toString('hex')}`);
});

async function pairBus(t: import('ava').ExecutionContext, max = 64) {
  const [mine, peer] = socketpair();
  t.teardown(() => libc().close(peer));
  const sys = sysWith({ open: () => mine, ioctl: connected(max) });
  const r = await new DeviceBus({ paths: ['/dev/mei0'], sys }).connect(MEI_GUID.PTHI, deadlineIn(500));
  if (!r.ok) throw new Error(r.error.message);
  return { conn: r.value, peer };
}

test('whole messages each way over the descriptor', async (t) => {
  const { conn, peer } = await pairBus(t);
  t.true((await conn.send(Uint8Array.of(1, 2, 3), deadlineIn(500))).ok);
  const got = new Uint8Array(64);
  t.is(libc().read(peer, got, 64), 3);
  t.deepEqual([...got.subarray(0, 3)], [1, 2, 3]);
  // Reply after a little while: the receive must wait without blocking the loop.
  let ticks = 0;
  const tick = setInterval(() => ticks++, 5);
  setTimeout(() => libc().write(peer, Uint8Array.of(9, 8, 7, 6), 4), 60);
  const r = await conn.receive(deadlineIn(1000));
  clearInterval(tick);
  t.deepEqual(r.ok ? [...r.value] : null, [9, 8, 7, 6]);
  // The reply itself is written by a timer on this loop, so its arrival already proves the
  // wait did not block; the interval shows other work ran too (loose: CI machines are loaded).
  t.true(ticks >= 1, `event loop ran ${ticks} ticks while waiting`);
  const big = await conn.send(new Uint8Array(65), deadlineIn(500));
  t.true(!big.ok && big.error.code === 'PROTOCOL');
  conn.close();
  conn.close();
});

test('no answer: TIMEOUT at the deadline and the descriptor closed', async (t) => {
  const { conn, peer } = await pairBus(t);
  const start = monotonicMs();
  const r = await conn.receive(deadlineIn(150));
  const took = monotonicMs() - start;
  t.true(!r.ok && r.error.code === 'TIMEOUT');
  t.true(took >= 140 && took < 1000, `took ${took} ms`);
  // Our end is closed: the peer sees the hang-up as end of file.
  const buf = new Uint8Array(8);
  t.is(libc().read(peer, buf, 8), 0);
  const after = await conn.receive(deadlineIn(100));
  t.true(!after.ok && after.error.code === 'RESET');
});

test('the firmware side hangs up: RESET', async (t) => {
  const [mine, peer] = socketpair();
  const sys = sysWith({ open: () => mine, ioctl: connected(64) });
  const c = await new DeviceBus({ paths: ['/dev/mei0'], sys }).connect(MEI_GUID.PTHI, deadlineIn(500));
  if (!c.ok) return t.fail(c.error.message);
  setTimeout(() => libc().close(peer), 30);
  const r = await c.value.receive(deadlineIn(1000));
  t.true(!r.ok && r.error.code === 'RESET');
});

test('ENODEV on write: RESET and the descriptor closed; EFBIG: PROTOCOL', async (t) => {
  for (const [errno, code] of [[E.ENODEV, 'RESET'], [E.EFBIG, 'PROTOCOL']] as const) {
    const [mine, peer] = socketpair();
    t.teardown(() => libc().close(peer));
    let fail = false;
    const sys = sysWith({ open: () => mine, ioctl: connected(64), write: () => ((fail = true), -1), errnoOverride: () => (fail ? errno : null) });
    const c = await new DeviceBus({ paths: ['/dev/mei0'], sys }).connect(MEI_GUID.PTHI, deadlineIn(500));
    if (!c.ok) return t.fail(c.error.message);
    const r = await c.value.send(Uint8Array.of(1), deadlineIn(500));
    t.true(!r.ok && r.error.code === code);
    t.is(libc().read(peer, new Uint8Array(4), 4), 0, 'our end was closed');
  }
});
