// Every decoder of BMC bytes, fed arbitrary input: a result or a typed
// refusal, never a throw. Inputs start either random or from a valid header,
// so the fuzzing reaches past the first length check.

import test from 'ava';
import fc from 'fast-check';
import { decryptPayload, SUITES, type CipherSuite } from '../../agent/ipmi/crypto.ts';
import { Handshake } from '../../agent/ipmi/handshake.ts';
import { decodeResponse, parseAuthCaps, parseChassisStatus, parseDeviceId } from '../../agent/ipmi/messages.ts';
import { parseOpenSessionResponse, parseRakp2, parseRakp4 } from '../../agent/ipmi/rakp.ts';
import { decodeV15, decodeV20 } from '../../agent/ipmi/rmcp.ts';
import { Session } from '../../agent/ipmi/session.ts';
import { chassisControl } from '../../agent/ipmi/messages.ts';

const RUNS = { numRuns: 2000 };
const bytes = fc.uint8Array({ minLength: 0, maxLength: 120 });
/** An RMCP+ header (session auth type 6, any payload type) followed by anything. */
const rmcpPlus = fc.tuple(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ minLength: 0, maxLength: 100 })).map(([type, rest]) => Uint8Array.from([0x06, 0x00, 0xff, 0x07, 0x06, type, ...rest]));
const rmcp15 = fc.uint8Array({ minLength: 0, maxLength: 60 }).map((rest) => Uint8Array.from([0x06, 0x00, 0xff, 0x07, 0x00, ...rest]));
const anyPacket = fc.oneof(bytes, rmcpPlus, rmcp15);

const decided = (r: { ok: boolean }): boolean => typeof r.ok === 'boolean';

test('RMCP / RMCP+ framing', (t) => {
  const integrity = { alg: 'hmac-sha1-96' as const, k1: Buffer.alloc(20, 1) };
  fc.assert(
    fc.property(anyPacket, (b) => decided(decodeV15(b)) && decided(decodeV20(b)) && decided(decodeV20(b, integrity))),
    RUNS,
  );
  t.pass();
});

test('Open Session Response, RAKP 2, RAKP 4', (t) => {
  fc.assert(fc.property(bytes, (b) => decided(parseOpenSessionResponse(b)) && decided(parseRakp2(b)) && decided(parseRakp4(b))), RUNS);
  t.pass();
});

test('IPMI messages and command replies; AES payloads', (t) => {
  fc.assert(
    fc.property(bytes, (b) => decided(decodeResponse(b)) && decided(parseAuthCaps(b)) && decided(parseChassisStatus(b)) && decided(parseDeviceId(b)) && (decryptPayload(Buffer.alloc(16, 3), b) === null || Buffer.isBuffer(decryptPayload(Buffer.alloc(16, 3), b)))),
    RUNS,
  );
  t.pass();
});

test('the handshake machine at every stage, and an established session, take any packet without throwing', (t) => {
  const suites = [SUITES[17], SUITES[3]] as CipherSuite[];
  const kinds = new Set(['ignore', 'send', 'done', 'fail']);
  fc.assert(
    fc.property(fc.array(anyPacket, { minLength: 1, maxLength: 6 }), (packets) => {
      const h = new Handshake({ user: 'admin', password: 'pw', privilege: 3, suites, allowWeak: false, random: (n) => Buffer.alloc(n, 1) });
      h.transmit();
      for (const p of packets) {
        const r = h.receive(p);
        if (!kinds.has(r.kind)) return false;
        if (r.kind === 'fail' || r.kind === 'done') break;
      }
      return true;
    }),
    RUNS,
  );
  const s = new Session({ suite: SUITES[3] as CipherSuite, consoleSid: 1, bmcSid: 2, k1: Buffer.alloc(20, 1), k2: Buffer.alloc(20, 2) }, (n) => Buffer.alloc(n));
  const ex = s.command(chassisControl(1));
  fc.assert(fc.property(anyPacket, (p) => ex.receive(p).kind === 'ignore'), RUNS);
  t.pass();
});
