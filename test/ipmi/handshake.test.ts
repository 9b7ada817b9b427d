// The session-activation machine fed the BMC side of the recorded suite-3
// exchange (ipmi_sim's bytes): with the recorded console randoms it must
// produce ipmitool's RAKP 1 and RAKP 3 byte for byte, and it must turn
// tampered or refusing replies into the right errors.

import { readFileSync } from 'node:fs';
import test from 'ava';
import { SUITES, type CipherSuite } from '../../agent/ipmi/crypto.ts';
import { Handshake } from '../../agent/ipmi/handshake.ts';
import type { Reaction, Session } from '../../agent/ipmi/session.ts';

const cap = JSON.parse(readFileSync(new URL('./fixtures/rakp-capture.json', import.meta.url), 'utf8')) as { user: string; password: string; suite3: { packets: { from: string; hex: string }[] } };
const pk = cap.suite3.packets.map((p) => ({ from: p.from, b: Buffer.from(p.hex, 'hex') }));
const find = (from: string, type: number): Buffer => {
  const p = pk.find((x) => x.from === from && x.b[4] === 0x06 && ((x.b[5] ?? 0) & 0x3f) === type);
  if (!p) throw new Error('missing packet');
  return p.b;
};
const caps = pk[1]?.b ?? Buffer.alloc(0);
const openReq = find('console', 0x10);
const rakp1 = find('console', 0x12);
const rakp3 = find('console', 0x14);
const s3 = SUITES[3] as CipherSuite;
const s17 = SUITES[17] as CipherSuite;

/** The console random values ipmitool used, so our packets can be compared with its. */
function recordedRandom(): (n: number) => Buffer {
  const queue = [openReq.subarray(16 + 4, 16 + 8), rakp1.subarray(16 + 8, 16 + 24)];
  return (n) => {
    const next = queue.shift();
    return next && next.length === n ? Buffer.from(next) : Buffer.alloc(n, 0x5a);
  };
}

const machine = (suites: CipherSuite[] = [s3], password = cap.password): Handshake =>
  new Handshake({ user: cap.user, password, privilege: 4, suites, allowWeak: false, random: recordedRandom() });

const sent = (r: Reaction<Session>): Buffer => {
  if (r.kind !== 'send') throw new Error(`expected a packet, got ${r.kind}: ${JSON.stringify(r)}`);
  return r.bytes;
};
const errCode = (r: Reaction<Session>): string => (r.kind === 'fail' ? r.error.code : r.kind);

test('fed ipmi_sim\'s replies, the machine sends ipmitool\'s RAKP 1 and RAKP 3 and then a signed, encrypted Set Session Privilege', (t) => {
  const h = machine();
  h.transmit();
  sent(h.receive(caps));
  const r1 = sent(h.receive(find('bmc', 0x11)));
  t.deepEqual(r1, rakp1);
  const r3 = sent(h.receive(find('bmc', 0x13)));
  t.deepEqual(r3, rakp3);
  const priv = sent(h.receive(find('bmc', 0x15)));
  t.is(priv[5], 0xc0);
  t.truthy(h.opened);
  // Retransmission of the same step gives a packet with the next session sequence number.
  const again = h.transmit();
  t.is(again.readUInt32LE(10), priv.readUInt32LE(10) + 1);
});

test('a RAKP 2 code that does not match (wrong password) is AUTH; a bad RAKP 4 ICV is PROTOCOL', (t) => {
  const h = machine([s3], `${cap.password}-wrong`);
  h.transmit();
  h.receive(caps);
  h.receive(find('bmc', 0x11));
  const r = h.receive(find('bmc', 0x13));
  t.is(errCode(r), 'AUTH');
  if (r.kind === 'fail') t.false(r.error.message.includes(cap.password));

  const g = machine();
  g.transmit();
  g.receive(caps);
  g.receive(find('bmc', 0x11));
  g.receive(find('bmc', 0x13));
  const bad4 = Buffer.from(find('bmc', 0x15));
  bad4[bad4.length - 1] = (bad4[bad4.length - 1] ?? 0) ^ 0xff;
  t.is(errCode(g.receive(bad4)), 'PROTOCOL');
});

test('RMCP+ status codes: suite refused -> next suite, then CONFIG; unauthorized name -> AUTH; busy -> BUSY', (t) => {
  const sid = openReq.subarray(16 + 4, 16 + 8);
  const resp = (tag: number, status: number, type = 0x11): Buffer =>
    Buffer.concat([Buffer.from([0x06, 0x00, 0xff, 0x07, 0x06, type, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0]), Buffer.from([tag, status, 0, 0]), sid]);
  const h = machine([s17, s3]);
  h.transmit();
  const open17 = sent(h.receive(caps));
  t.is(open17[16 + 8 + 4], 3, 'suite 17 first: HMAC-SHA256');
  const open3 = sent(h.receive(resp(0, 0x04)));
  t.is(open3[16 + 8 + 4], 1, 'then suite 3: HMAC-SHA1');
  // A late reply for the first request (tag 0) is not taken for the second's.
  t.is(h.receive(resp(0, 0x04)).kind, 'ignore');
  const last = h.receive(resp(1, 0x11));
  t.is(errCode(last), 'CONFIG');
  if (last.kind === 'fail') t.regex(last.error.message, /17, 3/);

  const u = machine();
  u.transmit();
  u.receive(caps);
  u.receive(find('bmc', 0x11));
  t.is(errCode(u.receive(resp(0, 0x0d, 0x13))), 'AUTH');
  const b = machine();
  b.transmit();
  b.receive(caps);
  t.is(errCode(b.receive(resp(0, 0x01))), 'BUSY');
});

test('a BMC that offers only IPMI v1.5 is refused', (t) => {
  // Get Channel Authentication Capabilities reply without the IPMI v2.0 extended bit.
  const msg = [0x81, 0x1c, 0x63, 0x20, 0x00, 0x38, 0x00, 0x01, 0x04, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00];
  const sum = msg.slice(3).reduce((a, c) => a + c, 0);
  const body = Buffer.from([...msg, -sum & 0xff]);
  const pkt = Buffer.concat([Buffer.from([0x06, 0x00, 0xff, 0x07, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, body.length]), body]);
  const h = machine();
  h.transmit();
  t.is(errCode(h.receive(pkt)), 'CONFIG');
});
