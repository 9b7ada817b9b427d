// APF codec: byte vectors written from the layouts in go-wsman-messages
// pkg/apf/types.go and amt-me.md 1e (big-endian, u32 length-prefixed
// strings), round trips of every message, and fuzzing: arbitrary, truncated
// and length-lying input gives a typed result, never an exception.
import test from 'ava';
import fc from 'fast-check';
import { APF, PROTOCOL_VERSION_LENGTH, decodeApf, encodeApf, type ApfMessage } from '../../agent/mei/apf.ts';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const ascii = (s: string): string => Buffer.from(s, 'latin1').toString('hex');

test('PROTOCOLVERSION is 93 bytes: type, major, minor, trigger, uuid[16], reserved[64]', (t) => {
  const uuid = hex('00112233445566778899aabbccddeeff');
  const b = encodeApf({ type: 'protocol-version', major: 1, minor: 0, trigger: 9, uuid });
  t.is(b.length, PROTOCOL_VERSION_LENGTH);
  t.is(Buffer.from(b.subarray(0, 29)).toString('hex'), `c0 00000001 00000000 00000009 00112233445566778899aabbccddeeff`.replace(/ /g, ''));
  t.true(b.subarray(29).every((x) => x === 0));
  const d = decodeApf(b);
  t.true(d.ok);
  if (d.ok) t.like(d.value, { type: 'protocol-version', major: 1, minor: 0, trigger: 9 });
});

test('tcpip-forward for 16992 and its REQUEST_SUCCESS(port)', (t) => {
  const wire = hex(`50 0000000d ${ascii('tcpip-forward')} 01 00000009 ${ascii('127.0.0.1')} 00004260`);
  const d = decodeApf(wire);
  t.deepEqual(d, { ok: true, value: { type: 'global-request', name: 'tcpip-forward', wantReply: true, forward: { address: '127.0.0.1', port: 16992 } } });
  t.deepEqual(encodeApf({ type: 'global-request', name: 'tcpip-forward', wantReply: true, forward: { address: '127.0.0.1', port: 16992 } }), wire);
  t.deepEqual(encodeApf({ type: 'request-success', port: 16992 }), hex('51 00004260'));
  t.deepEqual(decodeApf(hex('51')), { ok: true, value: { type: 'request-success', port: null } });
});

test('CHANNEL_OPEN forwarded-tcpip as rpc-go sends it: window 4096, reserved 0xffffffff, ::1', (t) => {
  const m: ApfMessage = { type: 'channel-open', kind: 'forwarded-tcpip', sender: 1, window: 4096, target: { address: '::1', port: 16992, originator: '::1', originatorPort: 123 } };
  const wire = hex(`5a 0000000f ${ascii('forwarded-tcpip')} 00000001 00001000 ffffffff 00000003 ${ascii('::1')} 00004260 00000003 ${ascii('::1')} 0000007b`);
  t.deepEqual(encodeApf(m), wire);
  t.deepEqual(decodeApf(wire), { ok: true, value: m });
});

test('fixed-size channel messages', (t) => {
  t.deepEqual(encodeApf({ type: 'open-confirmation', recipient: 1, sender: 0x100, window: 4096 }), hex('5b 00000001 00000100 00001000 ffffffff'));
  t.deepEqual(encodeApf({ type: 'open-failure', recipient: 7, reason: 4 }), hex('5c 00000007 00000004 00000000 00000000'));
  t.deepEqual(encodeApf({ type: 'window-adjust', recipient: 2, bytes: 0x800 }), hex('5d 00000002 00000800'));
  t.deepEqual(encodeApf({ type: 'channel-data', recipient: 2, data: hex('48545450') }), hex('5e 00000002 00000004 48545450'));
  t.deepEqual(encodeApf({ type: 'channel-close', recipient: 2 }), hex('61 00000002'));
  t.deepEqual(encodeApf({ type: 'disconnect', reason: 2 }), hex('01 00000002 0000'));
  t.deepEqual(decodeApf(hex('01 0000000b')), { ok: true, value: { type: 'disconnect', reason: 11 } });
  t.deepEqual(encodeApf({ type: 'keepalive-reply', cookie: 0xdeadbeef }), hex('d1 deadbeef'));
  t.deepEqual(encodeApf({ type: 'service-accept', service: 'pfwd@amt.intel.com' }), hex(`06 00000012 ${ascii('pfwd@amt.intel.com')}`));
});

test('USERAUTH_REQUEST with a password: decoded without keeping the password', (t) => {
  const wire = hex(`32 00000001 ${ascii('u')} 00000012 ${ascii('pfwd@amt.intel.com')} 00000008 ${ascii('password')} 00 00000006 ${ascii('secret')}`);
  const d = decodeApf(wire);
  t.deepEqual(d, { ok: true, value: { type: 'userauth-request', user: 'u', service: 'pfwd@amt.intel.com', method: 'password' } });
  t.false(JSON.stringify(d).includes('secret'));
});

test('strict: trailing bytes, lying lengths, unknown types, wrong PROTOCOLVERSION size', (t) => {
  const err = (b: Uint8Array): string => {
    const d = decodeApf(b);
    t.false(d.ok);
    return d.ok ? '' : `${d.error.code}: ${d.error.message}`;
  };
  t.regex(err(hex('61 00000002 00')), /^PROTOCOL: .*1 bytes after the end/);
  t.regex(err(hex('5e 00000002 00000005 48545450')), /^PROTOCOL: .*length field says 5 bytes, the message carries 4/);
  t.regex(err(hex('5e 00000002 ffffffff 48')), /^PROTOCOL/);
  t.regex(err(hex(`50 7fffffff ${ascii('tcpip-forward')}`)), /^PROTOCOL: .*truncated/);
  t.regex(err(hex('63')), /^PROTOCOL: APF message: unknown message type 99/);
  t.regex(err(new Uint8Array(92).fill(0).map((_, i) => (i === 0 ? APF.PROTOCOL_VERSION : 0))), /92 bytes, not 93/);
  t.regex(err(new Uint8Array(0)), /empty/);
  t.regex(err(hex(`50 0000000d ${ascii('tcpip-forward')} 01 00000000 00010000`)), /port 65536 is not a TCP port/);
});

const u32 = fc.nat({ max: 0xffffffff });
const str = fc.string({ maxLength: 30 }).map((s) => Buffer.from(s, 'utf8').toString('latin1'));
const port = fc.nat({ max: 0xffff });
const message: fc.Arbitrary<ApfMessage> = fc.oneof(
  fc.record({ type: fc.constant('disconnect' as const), reason: u32 }),
  fc.record({ type: fc.constant('service-request' as const), service: str }),
  fc.record({ type: fc.constant('service-accept' as const), service: str }),
  fc.record({ type: fc.constant('global-request' as const), name: fc.constantFrom('tcpip-forward', 'cancel-tcpip-forward'), wantReply: fc.boolean(), forward: fc.record({ address: str, port }) }),
  fc.record({ type: fc.constant('request-success' as const), port: fc.option(u32, { nil: null }) }),
  fc.record({ type: fc.constant('request-failure' as const) }),
  fc.record({ type: fc.constant('channel-open' as const), kind: fc.constantFrom('forwarded-tcpip', 'direct-tcpip'), sender: u32, window: u32, target: fc.record({ address: str, port, originator: str, originatorPort: port }) }),
  fc.record({ type: fc.constant('open-confirmation' as const), recipient: u32, sender: u32, window: u32 }),
  fc.record({ type: fc.constant('open-failure' as const), recipient: u32, reason: u32 }),
  fc.record({ type: fc.constant('window-adjust' as const), recipient: u32, bytes: u32 }),
  fc.record({ type: fc.constant('channel-data' as const), recipient: u32, data: fc.uint8Array({ maxLength: 200 }) }),
  fc.record({ type: fc.constant('channel-close' as const), recipient: u32 }),
  fc.record({ type: fc.constant('protocol-version' as const), major: u32, minor: u32, trigger: u32, uuid: fc.uint8Array({ minLength: 16, maxLength: 16 }) }),
  fc.record({ type: fc.constant('keepalive-request' as const), cookie: u32 }),
  fc.record({ type: fc.constant('keepalive-reply' as const), cookie: u32 }),
  fc.record({ type: fc.constant('keepalive-options-request' as const), interval: u32, timeout: u32 }),
  fc.record({ type: fc.constant('keepalive-options-reply' as const), interval: u32, timeout: u32 }),
);

test('every message round-trips', (t) => {
  fc.assert(
    fc.property(message, (m) => {
      const d = decodeApf(encodeApf(m));
      return d.ok && JSON.stringify(d.value) === JSON.stringify(m);
    }),
    { numRuns: 2000 },
  );
  t.pass();
});

test('fuzz: arbitrary bytes give a typed result, never a throw', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (b) => {
      const d = decodeApf(b);
      return d.ok || (d.error.code === 'PROTOCOL' && d.error.message.length > 0);
    }),
    { numRuns: 5000 },
  );
  // The same with a real opcode in front, so the message bodies are reached.
  const opcodes = Object.values(APF);
  fc.assert(
    fc.property(fc.constantFrom(...opcodes), fc.uint8Array({ maxLength: 120 }), (op, rest) => {
      const d = decodeApf(Uint8Array.of(op, ...rest));
      return d.ok || d.error.code === 'PROTOCOL';
    }),
    { numRuns: 5000 },
  );
  t.pass();
});

test('fuzz: every strict prefix of a valid message is an error (except where a tail is optional: the REQUEST_SUCCESS port, the DISCONNECT reserved u16)', (t) => {
  fc.assert(
    fc.property(message, fc.nat(), (m, cut) => {
      const b = encodeApf(m);
      if (b.length < 2) return true;
      const n = cut % b.length;
      const d = decodeApf(b.subarray(0, n));
      if (m.type === 'request-success' && n === 1) return d.ok;
      if (m.type === 'disconnect' && n === 5) return d.ok;
      return !d.ok && d.error.code === 'PROTOCOL';
    }),
    { numRuns: 5000 },
  );
  t.pass();
});

test('fuzz: a length field rewritten to lie is caught', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), u32, (data, lie) => {
      const b = encodeApf({ type: 'channel-data', recipient: 1, data });
      new DataView(b.buffer).setUint32(5, lie);
      const d = decodeApf(b);
      return lie === data.length ? d.ok : !d.ok && d.error.code === 'PROTOCOL';
    }),
    { numRuns: 3000 },
  );
  t.pass();
});
