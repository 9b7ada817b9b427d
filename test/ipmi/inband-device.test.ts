// The /dev/ipmi0 driver: error mapping against real files without a BMC
// (absent nodes, /dev/null answering ENOTTY), and the exchange against a fake
// kernel driver (DeviceOps) that misbehaves the ways a BMC or driver can:
// events and stale replies in the queue, a reply for another command, an
// oversized length, silence. Each ends typed, within the deadline, with the
// fd closed (the next command reopens the node; close() ends that). The real
// device is exercised in QEMU (test/vm/bmc-inband.test.ts).

import test from 'ava';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deadlineIn } from '../../agent/channels/types.ts';
import { IPMICTL_GET_MY_ADDRESS_CMD, IPMICTL_RECEIVE_MSG_TRUNC, IPMICTL_SEND_COMMAND } from '../../agent/ipmi/device-abi.ts';
import { IpmiDevice, type DeviceOps, type NativeBlock } from '../../agent/ipmi/device.ts';
import { getDeviceId } from '../../agent/ipmi/messages.ts';

test('no device node: UNSUPPORTED naming every path tried', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ipmi-dev-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const r = IpmiDevice.open([join(dir, 'ipmi0'), join(dir, 'ipmi', '0')]);
  t.false(r.ok);
  if (!r.ok) {
    t.is(r.error.code, 'UNSUPPORTED');
    t.regex(r.error.message, /no BMC device .*ipmi0.*ipmi\/0/);
  }
});

test('a node that is not an IPMI device (/dev/null): UNSUPPORTED, ENOTTY', (t) => {
  const r = IpmiDevice.open(['/dev/null']);
  t.false(r.ok);
  if (!r.ok) {
    t.is(r.error.code, 'UNSUPPORTED');
    t.regex(r.error.message, /\/dev\/null: not an IPMI device \(ENOTTY\)/);
  }
});

test('a directory in place of the node: a typed error, not a throw', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ipmi-dev-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const r = IpmiDevice.open([dir]);
  t.false(r.ok);
  if (!r.ok) t.regex(r.error.message, /EISDIR/);
});

interface Msg {
  recvType: number;
  msgid: number;
  netFn: number;
  cmd: number;
  data: number[];
}
type Sent = { msgid: number; netFn: number; cmd: number; data: Buffer };

/** A fake kernel driver: queues what `answer` returns for each send. */
function fakeDriver(answer: (s: Sent) => Msg[]): { ops: DeviceOps; closed: () => boolean; sent: Sent[] } {
  const mem = new Map<bigint, Buffer>();
  let next = 0x1000n;
  const queue: Msg[] = [];
  const sent: Sent[] = [];
  let open = false;
  const ops: DeviceOps = {
    open: () => {
      open = true;
      return 42;
    },
    close: () => {
      open = false;
      return 0;
    },
    errno: () => 11,
    alloc: (size): NativeBlock => {
      const address = (next += 0x1000n);
      const bytes = Buffer.alloc(size);
      mem.set(address, bytes);
      return { bytes, address, free: () => mem.delete(address) };
    },
    poll: (fds) => {
      Buffer.from(fds.buffer, fds.byteOffset, 8).writeInt16LE(queue.length ? 1 : 0, 6);
      return queue.length ? 1 : 0;
    },
    ioctl: (_fd, req, arg) => {
      const b = Buffer.from(arg.buffer, arg.byteOffset, arg.length);
      if (req === IPMICTL_GET_MY_ADDRESS_CMD) return 0;
      if (req === IPMICTL_SEND_COMMAND) {
        const data = mem.get(b.readBigUInt64LE(32))?.subarray(0, b.readUInt16LE(26)) ?? Buffer.alloc(0);
        const s = { msgid: Number(b.readBigInt64LE(16)), netFn: b[24] ?? 0, cmd: b[25] ?? 0, data: Buffer.from(data) };
        sent.push(s);
        queue.push(...answer(s));
        return 0;
      }
      if (req === IPMICTL_RECEIVE_MSG_TRUNC) {
        const m = queue.shift();
        if (!m) return -1; // errno 11: EAGAIN
        b.writeInt32LE(m.recvType, 0);
        b.writeBigInt64LE(BigInt(m.msgid), 24);
        b[32] = m.netFn;
        b[33] = m.cmd;
        b.writeUInt16LE(m.data.length, 34);
        mem.get(b.readBigUInt64LE(40))?.set(m.data.slice(0, 1024));
        return 0;
      }
      return -1;
    },
  };
  return { ops, closed: () => !open, sent };
}

const DEVICE_ID = [0x00, 0x20, 0x01, 0x01, 0x20, 0x02, 0x9f, 0x7c, 0x2a, 0x00, 0x01, 0x00];

test('events and a stale reply in the queue are skipped; our msgid answers', async (t) => {
  const f = fakeDriver((s) => [
    { recvType: 2, msgid: 0, netFn: 0x07, cmd: 0x01, data: [1, 2, 3] }, // an async event
    { recvType: 1, msgid: s.msgid + 100, netFn: 0x07, cmd: 0x01, data: [0xc3] }, // a late reply to someone's old request
    { recvType: 1, msgid: s.msgid, netFn: s.netFn | 1, cmd: s.cmd, data: DEVICE_ID },
  ]);
  const dev = IpmiDevice.open(['/dev/fake'], f.ops);
  if (!dev.ok) return t.fail(dev.error.message);
  const r = await dev.value.command(getDeviceId(), deadlineIn(1000));
  t.true(r.ok);
  if (r.ok) {
    t.is(r.value.completion, 0);
    t.is(r.value.data[0], 0x20);
  }
  t.is(f.sent[0]?.netFn, 0x06);
  t.false(f.closed());
  dev.value.close();
  t.true(f.closed());
});

test('a reply for another command: PROTOCOL and the fd closed', async (t) => {
  const f = fakeDriver((s) => [{ recvType: 1, msgid: s.msgid, netFn: 0x07, cmd: 0x02, data: [0] }]);
  const dev = IpmiDevice.open(['/dev/fake'], f.ops);
  if (!dev.ok) return t.fail(dev.error.message);
  const r = await dev.value.command(getDeviceId(), deadlineIn(1000));
  t.false(r.ok);
  if (!r.ok) t.is(r.error.code, 'PROTOCOL');
  t.true(f.closed());
  // The next command opens the node afresh (and meets the same fault).
  const again = await dev.value.command(getDeviceId(), deadlineIn(1000));
  t.false(again.ok);
  t.is(f.sent.length, 2);
  t.true(f.closed());
  dev.value.close();
  const after = await dev.value.command(getDeviceId(), deadlineIn(1000));
  t.false(after.ok);
  if (!after.ok) t.regex(after.error.message, /is closed/);
  t.is(f.sent.length, 2);
});

test('an empty reply (no completion code): PROTOCOL, closed', async (t) => {
  const f = fakeDriver((s) => [{ recvType: 1, msgid: s.msgid, netFn: s.netFn | 1, cmd: s.cmd, data: [] }]);
  const dev = IpmiDevice.open(['/dev/fake'], f.ops);
  if (!dev.ok) return t.fail(dev.error.message);
  const r = await dev.value.command(getDeviceId(), deadlineIn(1000));
  t.false(r.ok);
  if (!r.ok) t.is(r.error.code, 'PROTOCOL');
  t.true(f.closed());
});

test('silence: TIMEOUT within the deadline, closed; the event loop kept turning', async (t) => {
  const f = fakeDriver(() => []);
  const dev = IpmiDevice.open(['/dev/fake'], f.ops);
  if (!dev.ok) return t.fail(dev.error.message);
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  const started = Date.now();
  const r = await dev.value.command(getDeviceId(), deadlineIn(300));
  clearInterval(timer);
  const took = Date.now() - started;
  t.false(r.ok);
  if (!r.ok) t.is(r.error.code, 'TIMEOUT');
  t.true(took >= 290 && took < 1300, `${took} ms`);
  t.true(ticks >= 3, `${ticks} timer ticks while waiting`); // a blocked loop gives 0 or 1
  t.true(f.closed());
});

test('a flood of messages that are not ours: PROTOCOL after a bounded number', async (t) => {
  const f = fakeDriver((s) => Array.from({ length: 100 }, (_, i) => ({ recvType: 1, msgid: s.msgid + 1 + i, netFn: 0x07, cmd: 0x01, data: [0] })));
  const dev = IpmiDevice.open(['/dev/fake'], f.ops);
  if (!dev.ok) return t.fail(dev.error.message);
  const r = await dev.value.command(getDeviceId(), deadlineIn(5000));
  t.false(r.ok);
  if (!r.ok) t.regex(r.error.message, /not our reply/);
  t.true(f.closed());
});
