// The pure parts of Wake-on-LAN: the magic packet byte by byte, SecureOn
// lengths, MAC and password notations, and the parsers of untrusted input (a
// datagram, a relay request, the daemon's reply) fuzzed: a value or a typed
// error for anything, never a throw.

import test from 'ava';
import fc from 'fast-check';
import { buildMagic, checkMac, formatMac, MAGIC_LENGTHS, parseMac, parseMagic, parseSecureOn, type WolErrorCode } from '../../agent/channels/wol/magic.ts';
import { encodeRelayRequest, parseRelayReply, parseRelayRequest } from '../../agent/channels/wol/relay-codec.ts';
import type { ChannelErrorCode } from '../../agent/channels/types.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));

// 00:11:22:33:44:55 written out in full, not computed: six 0xFF then sixteen copies.
const KAT_MAC = '00:11:22:33:44:55';
const KAT_PACKET = unhex(`
  ffffffffffff
  001122334455 001122334455 001122334455 001122334455
  001122334455 001122334455 001122334455 001122334455
  001122334455 001122334455 001122334455 001122334455
  001122334455 001122334455 001122334455 001122334455`);

test('KAT: the magic packet for 00:11:22:33:44:55 is 102 known bytes, and parses back', (t) => {
  const mac = parseMac(KAT_MAC);
  if (!mac.ok) return t.fail(mac.error.message);
  const p = buildMagic(mac.value);
  if (!p.ok) return t.fail(p.error.message);
  t.is(p.value.length, 102);
  t.is(KAT_PACKET.length, 102);
  t.is(hex(p.value), hex(KAT_PACKET));
  t.deepEqual([...p.value.subarray(0, 8)], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x11]);
  t.deepEqual([...p.value.subarray(96)], [0x00, 0x11, 0x22, 0x33, 0x44, 0x55]);
  const back = parseMagic(KAT_PACKET);
  t.true(back.ok);
  if (back.ok) {
    t.is(formatMac(back.value.mac), KAT_MAC);
    t.is(back.value.secureOn, null);
  }
});

test('SecureOn: 4 bytes make 106, 6 bytes 108, appended after the sixteenth copy; other lengths refused', (t) => {
  const mac = unhex('001122334455');
  const four = buildMagic(mac, unhex('c0a80001'));
  const six = buildMagic(mac, unhex('a1b2c3d4e5f6'));
  t.is(four.ok && hex(four.value), `${hex(KAT_PACKET)}c0a80001`);
  t.is(six.ok && hex(six.value), `${hex(KAT_PACKET)}a1b2c3d4e5f6`);
  t.deepEqual(MAGIC_LENGTHS, [102, 106, 108]);
  const p4 = four.ok ? parseMagic(four.value) : null;
  t.is(p4?.ok && p4.value.secureOn && hex(p4.value.secureOn), 'c0a80001');
  const p6 = six.ok ? parseMagic(six.value) : null;
  t.is(p6?.ok && p6.value.secureOn && hex(p6.value.secureOn), 'a1b2c3d4e5f6');
  for (const n of [0, 1, 3, 5, 7, 8]) {
    const r = buildMagic(mac, new Uint8Array(n).fill(1));
    t.is(r.ok ? 'ok' : r.error.code, 'SECUREON_FORMAT', `${n} bytes`);
  }
});

test('MAC notations: colon, dash, Cisco dots and bare hex, either case; anything else is MAC_FORMAT', (t) => {
  for (const s of ['52:54:00:ab:cd:ef', '52-54-00-AB-CD-EF', '5254.00ab.cdef', '525400ABcdef']) {
    const r = parseMac(s);
    t.is(r.ok ? formatMac(r.value) : r.error.code, '52:54:00:ab:cd:ef', s);
  }
  for (const s of ['', '52:54:00:ab:cd', '52:54:00:ab:cd:ef:01', '52:54-00:ab:cd:ef', '5254.00ab.cdef.0102', '52540.0abc.def', '5:54:00:ab:cd:ef', 'gg:54:00:ab:cd:ef', ' 52:54:00:ab:cd:ef', '52:54:00:ab:cd:ef\n', '0x525400abcdef']) {
    const r = parseMac(s);
    t.is(r.ok ? 'ok' : r.error.code, 'MAC_FORMAT', JSON.stringify(s));
  }
  const long = parseMac(`${'x'.repeat(500)}\u001b[2J`);
  t.true(!long.ok && long.error.message.length < 200, 'a long input is cut short in the message');
  t.false(!long.ok && long.error.message.includes('\u001b'), 'control characters are escaped');
});

test('broadcast and multicast MACs are refused with a clear error; so is all zeros', (t) => {
  const cases: [string, WolErrorCode, RegExp][] = [
    ['ff:ff:ff:ff:ff:ff', 'MAC_GROUP', /ff:ff:ff:ff:ff:ff is the broadcast address, not a NIC's/],
    ['01:00:5e:00:00:01', 'MAC_GROUP', /01:00:5e:00:00:01 is a multicast address \(the first octet is odd\)/],
    ['33:33:00:00:00:01', 'MAC_GROUP', /multicast/],
    ['00:00:00:00:00:00', 'MAC_ZERO', /no NIC's address/],
  ];
  for (const [s, code, msg] of cases) {
    const r = parseMac(s);
    t.is(r.ok ? 'ok' : r.error.code, code, s);
    t.regex(r.ok ? '' : r.error.message, msg);
  }
  // Locally administered unicast (bit 1 set, bit 0 clear) is a NIC's, as QEMU's and many VMs' are.
  t.true(parseMac('02:00:00:00:00:01').ok);
  t.is((() => { const r = buildMagic(unhex('ffffffffffff')); return r.ok ? 'ok' : r.error.code; })(), 'MAC_GROUP');
  t.is((() => { const r = checkMac(unhex('0011223344')); return r.ok ? 'ok' : r.error.code; })(), 'MAC_FORMAT');
});

test('SecureOn notations, and errors that never repeat the password', (t) => {
  const ok: [string, string][] = [
    ['a1:b2:c3:d4:e5:f6', 'a1b2c3d4e5f6'],
    ['A1-B2-C3-D4-E5-F6', 'a1b2c3d4e5f6'],
    ['a1b2c3d4e5f6', 'a1b2c3d4e5f6'],
    ['a1:b2:c3:d4', 'a1b2c3d4'],
    ['a1-b2-c3-d4', 'a1b2c3d4'],
    ['a1b2c3d4', 'a1b2c3d4'],
    ['192.168.0.255', 'c0a800ff'],
  ];
  for (const [s, want] of ok) {
    const r = parseSecureOn(s);
    t.is(r.ok ? hex(r.value) : r.error.code, want, s);
  }
  for (const s of ['Sekr1t-pass', 'a1:b2:c3', 'a1:b2:c3:d4:e5', 'a1:b2-c3:d4', '256.1.1.1', '1.2.3', 'a1b2c3d4e5', '']) {
    const r = parseSecureOn(s);
    t.is(r.ok ? 'ok' : r.error.code, 'SECUREON_FORMAT', s);
    if (s.length > 0) t.false(!r.ok && r.error.message.includes(s), 'the password is not in the message');
  }
});

test('parseMagic: wrong length, missing sync, a differing copy, a group MAC', (t) => {
  const code = (b: Uint8Array): string => {
    const r = parseMagic(b);
    return r.ok ? 'ok' : r.error.code;
  };
  t.is(code(KAT_PACKET.subarray(0, 101)), 'LENGTH');
  t.is(code(new Uint8Array([...KAT_PACKET, 0])), 'LENGTH');
  const nosync = KAT_PACKET.slice();
  nosync[5] = 0xfe;
  t.is(code(nosync), 'SYNC');
  const copy = KAT_PACKET.slice();
  copy[6 + 6 * 9 + 2] = 0x23; // was 0x22
  t.is(code(copy), 'REPEAT');
  const r = parseMagic(copy);
  t.regex(r.ok ? '' : r.error.message, /copy 10 of the MAC differs/);
  t.is(code(new Uint8Array(102).fill(0xff)), 'MAC_GROUP');
});

const macArb = fc.uint8Array({ minLength: 6, maxLength: 6 }).filter((m) => (m[0]! & 1) === 0 && m.some((b) => b !== 0));
const secureArb = fc.option(fc.oneof(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.uint8Array({ minLength: 6, maxLength: 6 })), { nil: null });

test('fuzz: build then parse gives back the MAC and password; every notation of a MAC parses to it', (t) => {
  fc.assert(
    fc.property(macArb, secureArb, (mac, so) => {
      const p = buildMagic(mac, so);
      if (!p.ok) return false;
      const back = parseMagic(p.value);
      return back.ok && hex(back.value.mac) === hex(mac) && (so === null ? back.value.secureOn === null : back.value.secureOn !== null && hex(back.value.secureOn) === hex(so));
    }),
  );
  fc.assert(
    fc.property(macArb, fc.boolean(), (mac, upper) => {
      const h = upper ? hex(mac).toUpperCase() : hex(mac);
      const pairs = h.match(/../g)!;
      const forms = [pairs.join(':'), pairs.join('-'), `${h.slice(0, 4)}.${h.slice(4, 8)}.${h.slice(8)}`, h];
      return forms.every((f) => {
        const r = parseMac(f);
        return r.ok && hex(r.value) === hex(mac);
      });
    }),
  );
  t.pass();
});

const WOL_CODES = new Set<WolErrorCode>(['MAC_FORMAT', 'MAC_GROUP', 'MAC_ZERO', 'SECUREON_FORMAT', 'LENGTH', 'SYNC', 'REPEAT']);

test('fuzz: the parsers return a value or a typed error for any input, never throw', (t) => {
  const typed = (r: { ok: true } | { ok: false; error: { code: WolErrorCode } }): boolean => r.ok || WOL_CODES.has(r.error.code);
  fc.assert(fc.property(fc.string({ maxLength: 64 }), (s) => typed(parseMac(s)) && typed(parseSecureOn(s))));
  fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (b) => typed(parseMagic(b))));
  // Near-misses: a real packet with a byte or two changed, or cut, or padded.
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(107), fc.integer({ min: 0, max: 255 })), { maxLength: 3 }), fc.constantFrom(102, 106, 108, 101, 109), (edits, len) => {
      const b = new Uint8Array(len);
      b.set(KAT_PACKET.subarray(0, Math.min(len, 102)));
      for (const [i, v] of edits) if (i < len) b[i] = v;
      const r = parseMagic(b);
      return typed(r) && (!r.ok || (r.value.mac.length === 6 && (len === 102) === (r.value.secureOn === null)));
    }),
  );
  t.pass();
});

const CHANNEL_CODES = new Set<ChannelErrorCode>(['CONFIG', 'PROTOCOL', 'BUSY', 'UNREACHABLE', 'TIMEOUT', 'AUTH', 'TLS', 'UNSUPPORTED', 'STATE']);

test('relay codec: request round trip; fuzzed requests and replies give a value or a typed error', (t) => {
  const req = { mac: unhex('525400abcdef'), broadcast: '10.0.0.255', port: 7, secureOn: unhex('a1b2c3d4'), peers: null };
  const line = encodeRelayRequest(req);
  t.is(line, '{"op":"wol-relay","mac":"52:54:00:ab:cd:ef","broadcast":"10.0.0.255","port":7,"secureon":"a1b2c3d4"}\n');
  const back = parseRelayRequest(JSON.parse(line));
  t.deepEqual(back, { ok: true, value: req });
  t.deepEqual(parseRelayRequest({ op: 'wol-relay', mac: '52:54:00:ab:cd:ef' }), { ok: true, value: { mac: unhex('525400abcdef'), broadcast: '255.255.255.255', port: 9, secureOn: null, peers: null } });
  // Through gossip peers: a member name, and never a SecureOn password.
  const viaPeers = { mac: unhex('525400abcdef'), broadcast: '255.255.255.255', port: 9, secureOn: null, peers: 'node-7' };
  t.deepEqual(parseRelayRequest(JSON.parse(encodeRelayRequest(viaPeers))), { ok: true, value: viaPeers });
  t.false(parseRelayRequest({ op: 'wol-relay', mac: '52:54:00:ab:cd:ef', peers: '../x' }).ok);
  t.false(parseRelayRequest({ op: 'wol-relay', mac: '52:54:00:ab:cd:ef', peers: 'node-7', secureon: 'a1b2c3d4' }).ok);
  const refused = (v: unknown): string => {
    const r = parseRelayRequest(v);
    return r.ok ? 'ok' : `${r.error.code}: ${r.error.message}`;
  };
  t.regex(refused({ op: 'wol-relay', mac: 'ff:ff:ff:ff:ff:ff' }), /^CONFIG: .*broadcast address/);
  t.regex(refused({ op: 'wol-relay', mac: '52:54:00:ab:cd:ef', broadcast: 'evil.example' }), /^CONFIG: .*not an IPv4 or IPv6 address/);
  t.regex(refused({ op: 'wol-relay', mac: '52:54:00:ab:cd:ef', port: 70000 }), /^CONFIG: port 70000/);
  t.regex(refused({ op: 'wol-relay', mac: '52:54:00:ab:cd:ef', secureon: 'Sekr1t' }), /^CONFIG: secureon must be/);
  t.false(refused({ op: 'wol-relay', mac: '52:54:00:ab:cd:ef', secureon: 'Sekr1t' }).includes('Sekr1t'));
  t.regex(refused({ op: 'wol-relay', mac: '52:54:00:ab:cd:ef', also: '01:02:03:04:05:06' }), /^CONFIG: unknown field "also"/);

  t.deepEqual(parseRelayReply('{"result":{"sent":3}}'), { ok: true, value: 3 });
  t.like(parseRelayReply('{"error":{"code":"BUSY","message":"slow down"}}'), { ok: false, error: { code: 'BUSY', message: 'the daemon refused the relay: slow down' } });
  t.like(parseRelayReply('{"error":{"code":"UNKNOWN_OP","message":"x"}}'), { ok: false, error: { code: 'CONFIG' } });
  t.like(parseRelayReply('{"error":{"code":"INTERNAL","message":"x"}}'), { ok: false, error: { code: 'PROTOCOL' } });
  t.like(parseRelayReply('{"result":{"sent":0}}'), { ok: false, error: { code: 'PROTOCOL' } });

  const typed = (r: { ok: boolean; error?: { code: ChannelErrorCode } }): boolean => r.ok || CHANNEL_CODES.has(r.error!.code);
  fc.assert(fc.property(fc.jsonValue(), (v) => typed(parseRelayRequest(v)) && typed(parseRelayReply(JSON.stringify(v)))));
  fc.assert(fc.property(fc.string({ maxLength: 300 }), (s) => typed(parseRelayReply(s))));
  fc.assert(
    fc.property(
      fc.record({ op: fc.constant('wol-relay'), mac: fc.oneof(fc.string(), fc.constant('52:54:00:ab:cd:ef')), broadcast: fc.oneof(fc.string(), fc.constant('10.0.0.255'), fc.jsonValue()), port: fc.oneof(fc.integer(), fc.double(), fc.jsonValue()), secureon: fc.oneof(fc.string(), fc.uint8Array({ minLength: 3, maxLength: 7 }).map(hex)) }, { requiredKeys: ['op'] }),
      (v) => typed(parseRelayRequest(v)),
    ),
  );
});
