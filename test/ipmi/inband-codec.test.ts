// The in-band BMC codecs: the Linux ipmi_req/ipmi_recv layouts and ioctl
// numbers (include/uapi/linux/ipmi.h, LP64), the request bytes of the user and
// LAN commands (IPMI v2.0 §22, §23), the reply decoders against hand-made
// replies, and every decoder fed arbitrary and truncated bytes: a typed
// result, never a throw.

import test from 'ava';
import fc from 'fast-check';
import { parseChannelInfo, CHANNEL_NUMBERS } from '../../agent/ipmi/channels.ts';
import { decodeRecv, encodeRecv, encodeReq, IPMICTL_GET_MY_ADDRESS_CMD, IPMICTL_RECEIVE_MSG_TRUNC, IPMICTL_SEND_COMMAND, RECV_SIZE, systemInterfaceAddr } from '../../agent/ipmi/device-abi.ts';
import {
  encodeCipherPrivileges,
  getLanConfig,
  parseCipherCount,
  parseCipherPrivileges,
  parseCipherSuites,
  parseIpSource,
  parseIpv4,
  parseMac,
  parseParam,
  parseVlan,
  setLanConfig,
} from '../../agent/ipmi/lan-config.ts';
import { parseSelfTest } from '../../agent/ipmi/self-test.ts';
import { getUserAccess, parseUserAccess, parseUserName, setUserAccess, setUserName, setUserPassword } from '../../agent/ipmi/users.ts';

const RUNS = { numRuns: 2000 };
const bytes = fc.uint8Array({ minLength: 0, maxLength: 80 });
const decided = (r: { ok: boolean }): boolean => typeof r.ok === 'boolean';
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

test('ioctl numbers and struct layouts match include/uapi/linux/ipmi.h on LP64', (t) => {
  t.is(IPMICTL_SEND_COMMAND, 0x8028690d); // _IOR('i', 13, struct ipmi_req /* 40 */)
  t.is(IPMICTL_RECEIVE_MSG_TRUNC, 0xc030690b); // _IOWR('i', 11, struct ipmi_recv /* 48 */)
  t.is(IPMICTL_GET_MY_ADDRESS_CMD, 0x80046912); // _IOR('i', 18, unsigned int)
  t.is(hex(systemInterfaceAddr()), '0c0000000f000000'); // addr_type 0x0c, channel 0xf (IPMI_BMC_CHANNEL), lun 0
  const req = encodeReq({ addr: 0x1122334455667788n, addrLen: 8, msgid: 7, netFn: 0x06, cmd: 0x01, dataLen: 2, data: 0xaabbccddn });
  t.is(hex(req), '8877665544332211' + '08000000' + '00000000' + '0700000000000000' + '0601' + '0200' + '00000000' + 'ddccbbaa00000000');
  const recv = encodeRecv(0x10n, 40, 0x20n, 1024);
  t.is(recv.length, RECV_SIZE);
  t.is(recv.readUInt32LE(16), 40);
  t.is(recv.readUInt16LE(34), 1024);
});

test('decodeRecv reads what the driver wrote and refuses a length beyond the buffer', (t) => {
  const recv = Buffer.alloc(RECV_SIZE);
  recv.writeInt32LE(1, 0);
  recv.writeBigInt64LE(42n, 24);
  recv[32] = 0x07;
  recv[33] = 0x01;
  recv.writeUInt16LE(3, 34);
  const r = decodeRecv(recv, Buffer.from([0x00, 0x20, 0x01, 0xff]));
  t.deepEqual(r, { ok: true, value: { recvType: 1, msgid: 42, netFn: 7, cmd: 1, data: Buffer.from([0x00, 0x20, 0x01]) } });
  recv.writeUInt16LE(5, 34);
  t.false(decodeRecv(recv, Buffer.alloc(4)).ok);
  t.false(decodeRecv(recv.subarray(0, 47), Buffer.alloc(64)).ok);
});

test('user command requests', (t) => {
  t.is(hex(getUserAccess(1, 3).data), '0103');
  // Change-bits, IPMI messaging, channel 1; user 3; operator.
  t.is(hex(setUserAccess(1, 3, { privilege: 3, messaging: true, linkAuth: false, callbackOnly: false }).data), '910303');
  t.is(hex(setUserAccess(1, 3, { privilege: 0x0f, messaging: false, linkAuth: false, callbackOnly: false }).data), '81030f');
  t.is(hex(setUserName(4, Buffer.from('ab')).data), '04' + '6162' + '00'.repeat(14));
  t.is(hex(setUserPassword(4, 2, Buffer.from('pw')).data), '0402' + '7077' + '00'.repeat(14));
  const twenty = setUserPassword(4, 2, Buffer.alloc(17, 0x61)).data;
  t.is(twenty.length, 22);
  t.is(twenty[0], 0x84); // bit 7: the 20-byte form
  t.is(hex(setUserPassword(4, 1).data), '0401');
  t.is(getUserAccess(1, 3).cmd, 0x44);
});

test('LAN configuration requests and parameter 24 nibbles per entry', (t) => {
  const g = getLanConfig(1, 24);
  t.is(g.netFn, 0x0c);
  t.is(g.cmd, 0x02);
  t.is(hex(g.data), '01180000');
  t.is(hex(setLanConfig(1, 24, Uint8Array.from([0, 0x40])).data), '01180040');
  // Entry 0 low nibble of byte 1, entry 1 high nibble, entry 2 low nibble of byte 2.
  const enc = encodeCipherPrivileges([0, 4, 3]);
  t.is(hex(enc), '004003000000000000');
  const dec = parseCipherPrivileges(Uint8Array.from([0x11, ...enc]));
  t.deepEqual(dec.ok && dec.value.slice(0, 4), [0, 4, 3, 0]);
});

test('reply decoders on hand-made replies', (t) => {
  t.deepEqual(parseSelfTest(Uint8Array.from([0x55, 0x00])), { ok: true, value: { result: 'passed', code: 0x55, detail: 0, failures: [] } });
  const bad = parseSelfTest(Uint8Array.from([0x57, 0x81]));
  t.deepEqual(bad.ok && bad.value.failures, ['operational firmware corrupted', 'SEL device inaccessible']);
  const ci = parseChannelInfo(Uint8Array.from([0x01, 0x04, 0x01, 0x82, 0xf2, 0x1b, 0x00, 0x00, 0x00]));
  t.like(ci.ok ? ci.value : {}, { channel: 1, medium: '802.3 LAN', lan: true, sessionSupport: 'multi-session', activeSessions: 2 });
  t.deepEqual(CHANNEL_NUMBERS.includes(0x0e), false);
  const ua = parseUserAccess(Uint8Array.from([0x0a, 0x42, 0x01, 0x13]));
  t.like(ua.ok ? ua.value : {}, { maxUsers: 10, enableStatus: 'enabled', enabledUsers: 2, fixedNames: 1, messaging: true, privilege: 3, privilegeName: 'operator' });
  t.deepEqual(parseUserName(Buffer.concat([Buffer.from('admin'), Buffer.alloc(11)])), { ok: true, value: 'admin' });
  t.deepEqual(parseUserName(Buffer.alloc(16, 0xff)), { ok: true, value: '' });
  t.false(parseUserName(Buffer.from('ab\x01cdefghijklmnop')).ok);
  t.deepEqual(parseIpSource(Uint8Array.from([0x11, 0x02])), { ok: true, value: 'dhcp' });
  t.deepEqual(parseIpv4(Uint8Array.from([0x11, 10, 0, 2, 15]), 'ip'), { ok: true, value: '10.0.2.15' });
  t.deepEqual(parseMac(Uint8Array.from([0x11, 0x52, 0x54, 0, 0x12, 0x34, 0x56])), { ok: true, value: '52:54:00:12:34:56' });
  t.deepEqual(parseVlan(Uint8Array.from([0x11, 0x2c, 0x81])), { ok: true, value: { enabled: true, id: 0x12c } });
  t.deepEqual(parseCipherCount(Uint8Array.from([0x11, 0x03])), { ok: true, value: 3 });
  t.deepEqual(parseCipherSuites(Uint8Array.from([0x11, 0x00, 3, 17, 0]), 3), { ok: true, value: [3, 17, 0] });
  t.false(parseCipherSuites(Uint8Array.from([0x11, 0x00, 3]), 3).ok);
  t.false(parseParam(Uint8Array.from([0x11, 1, 2]), 4, 'x').ok);
});

test('fuzz: every in-band decoder returns a typed result for arbitrary and truncated bytes', (t) => {
  fc.assert(
    fc.property(bytes, fc.integer({ min: 0, max: 40 }), (b, n) =>
      [
        parseSelfTest(b),
        parseChannelInfo(b),
        parseUserAccess(b),
        parseUserName(b),
        parseIpSource(b),
        parseIpv4(b, 'ip'),
        parseMac(b),
        parseVlan(b),
        parseCipherCount(b),
        parseCipherSuites(b, n),
        parseCipherPrivileges(b),
        parseParam(b, n, 'p'),
      ].every(decided),
    ),
    RUNS,
  );
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 0, maxLength: 64 }), fc.uint8Array({ minLength: 0, maxLength: 64 }), (recv, data) => {
      const r = decodeRecv(recv, data);
      return decided(r) && (!r.ok || r.value.data.length <= data.length);
    }),
    RUNS,
  );
  // Valid-looking replies truncated at every length.
  const full = Uint8Array.from([0x11, 0x00, 3, 17, 0, 1, 2, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44]);
  for (let i = 0; i <= full.length; i++) {
    const b = full.subarray(0, i);
    t.true([parseCipherSuites(b, 5), parseCipherPrivileges(b), parseVlan(b), parseMac(b), parseUserAccess(b), parseChannelInfo(b)].every(decided));
  }
});
