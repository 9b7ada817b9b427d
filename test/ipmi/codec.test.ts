// The packet and message codecs against bytes real peers produced (the
// capture in fixtures/) and against each other, including tampering.

import { createDecipheriv } from 'node:crypto';
import { readFileSync } from 'node:fs';
import test from 'ava';
import { decryptPayload, encryptPayload, SUITES } from '../../agent/ipmi/crypto.ts';
import { completionError } from '../../agent/ipmi/client.ts';
import { chassisControl, decodeResponse, encodeRequest, getChannelAuthCaps, parseAuthCaps, parseChassisStatus, parseDeviceId } from '../../agent/ipmi/messages.ts';
import { openSessionRequest, parseOpenSessionResponse, parseRakp2, parseRakp4 } from '../../agent/ipmi/rakp.ts';
import { decodeV15, decodeV20, encodeV15, encodeV20, PAYLOAD } from '../../agent/ipmi/rmcp.ts';

const cap = JSON.parse(readFileSync(new URL('./fixtures/rakp-capture.json', import.meta.url), 'utf8')) as { suite3: { packets: { from: string; hex: string }[] } };
const recorded = cap.suite3.packets.map((p) => Buffer.from(p.hex, 'hex'));
const at = (i: number): Buffer => {
  const b = recorded[i];
  if (!b) throw new Error('capture too short');
  return b;
};

test('Get Channel Authentication Capabilities is byte-identical to ipmitool\'s, and its recorded reply parses', (t) => {
  t.deepEqual(encodeV15(encodeRequest(getChannelAuthCaps(4), 0)), at(0));
  const msg = decodeV15(at(1));
  if (!msg.ok) return t.fail(msg.reason);
  const r = decodeResponse(msg.value);
  if (!r.ok) return t.fail(r.reason);
  t.is(r.value.completion, 0);
  t.is(r.value.cmd, 0x38);
  t.is(r.value.netFn, 0x06);
  t.deepEqual(parseAuthCaps(r.value.data), { ok: true, value: { v20: true, v15: true } });
});

test('the recorded Open Session Request has our layout; the recorded response parses', (t) => {
  const req = decodeV20(at(2));
  if (!req.ok) return t.fail(req.reason);
  t.is(req.value.payloadType, PAYLOAD.openSessionRequest);
  const sid = req.value.payload.readUInt32LE(4);
  const suite3 = SUITES[3];
  if (!suite3) return t.fail();
  // ipmitool asks for privilege 0 (highest available); the rest is ours byte for byte.
  const ours = openSessionRequest(0, sid, suite3, 0);
  t.deepEqual(ours, req.value.payload);
  const resp = decodeV20(at(3));
  if (!resp.ok) return t.fail(resp.reason);
  const o = parseOpenSessionResponse(resp.value.payload);
  if (!o.ok) return t.fail(o.reason);
  t.is(o.value.status, 0);
  t.is(o.value.consoleSid, sid);
  t.deepEqual(o.value.algs, [1, 1, 1]);
});

test('error replies cut short after the status (as ipmi_sim sends them) still parse', (t) => {
  t.deepEqual(parseOpenSessionResponse(Buffer.from([0x00, 0x04])), { ok: true, value: { tag: 0, status: 4, consoleSid: null, bmcSid: 0, algs: [0, 0, 0] } });
  const r2 = parseRakp2(Buffer.from([0x01, 0x0d, 0, 0, 4, 3, 2, 1]));
  t.true(r2.ok && r2.value.status === 0x0d && r2.value.consoleSid === 0x01020304);
  const r4 = parseRakp4(Buffer.from([0x01, 0x0f]));
  t.true(r4.ok && r4.value.status === 0x0f && r4.value.consoleSid === null);
  t.false(parseRakp4(Buffer.from([0x01, 0x00])).ok);
  t.false(parseOpenSessionResponse(Buffer.from([0x00, 0x00, 0, 0])).ok);
});

for (const id of [3, 17] as const) {
  test(`suite ${id}: signed packets round-trip, and any flipped byte is refused`, (t) => {
    const suite = SUITES[id];
    if (!suite) return t.fail();
    const k1 = Buffer.alloc(id === 17 ? 32 : 20, 7);
    const integrity = { alg: suite.integrity, k1 };
    for (let len = 0; len < 9; len++) {
      const payload = Buffer.from(Array.from({ length: len }, (_, i) => i));
      const pkt = encodeV20({ payloadType: PAYLOAD.ipmi, encrypted: false, sessionId: 0x01020304, seq: 9, payload }, integrity);
      // Auth type through next header is a multiple of 4 (§13.28.4).
      t.is((pkt.length - 4 - (id === 17 ? 16 : 12)) % 4, 0);
      const back = decodeV20(pkt, integrity);
      t.true(back.ok && back.value.payload.equals(payload) && back.value.seq === 9 && back.value.sessionId === 0x01020304);
      for (let i = 4; i < pkt.length; i++) {
        const bad = Buffer.from(pkt);
        bad[i] = (bad[i] ?? 0) ^ 0x01;
        t.false(decodeV20(bad, integrity).ok, `flipped byte ${i} of ${pkt.length}`);
      }
    }
    // Once keys exist, an unsigned packet is not accepted.
    t.false(decodeV20(encodeV20({ payloadType: 0, encrypted: false, sessionId: 1, seq: 1, payload: Buffer.from([1]) }), integrity).ok);
  });
}

test('AES-CBC-128 payloads round-trip at every length and use the spec\'s pad bytes', (t) => {
  const k2 = Buffer.alloc(20, 9);
  for (let len = 0; len < 40; len++) {
    const plain = Buffer.alloc(len, 0xab);
    const iv = Buffer.alloc(16, len);
    const c = encryptPayload(k2, plain, iv);
    t.is(c.length % 16, 0);
    t.deepEqual(c.subarray(0, 16), iv);
    t.deepEqual(decryptPayload(k2, c), plain);
    const raw = createDecipheriv('aes-128-cbc', k2.subarray(0, 16), iv).setAutoPadding(false).update(c.subarray(16));
    const padLen = (16 - ((len + 1) % 16)) % 16;
    t.deepEqual([...raw.subarray(len)], [...Array.from({ length: padLen }, (_, i) => i + 1), padLen]);
  }
  t.is(decryptPayload(k2, Buffer.alloc(31)), null);
});

test('chassis messages: status bit 0, control bytes, device ID', (t) => {
  t.deepEqual(parseChassisStatus(Buffer.from([0x01, 0x00, 0x00])), { ok: true, value: { powerOn: true } });
  t.deepEqual(parseChassisStatus(Buffer.from([0x60, 0x10, 0x00])), { ok: true, value: { powerOn: false } });
  t.false(parseChassisStatus(Buffer.from([0x01])).ok);
  // Chassis Control, power cycle: NetFn 0 cmd 2 data 2, with both checksums.
  t.deepEqual(encodeRequest(chassisControl(2), 5), Buffer.from([0x20, 0x00, 0xe0, 0x81, 0x14, 0x02, 0x02, 0x67]));
  const id = parseDeviceId(Buffer.from([0x20, 0x01, 0x01, 0x20, 0x02, 0x9f, 0x7c, 0x2a, 0x00, 0x01, 0x00]));
  t.deepEqual(id, { ok: true, value: { deviceId: 0x20, firmware: '1.20', ipmiVersion: '2.0', manufacturer: 10876, product: 1 } });
});

test('completion codes map to channel errors', (t) => {
  const code = (cc: number): string => {
    const r = completionError(cc, 'x');
    return r.ok ? 'ok' : r.error.code;
  };
  t.is(code(0xc0), 'BUSY');
  t.is(code(0xd4), 'AUTH');
  t.is(code(0xd5), 'STATE');
  t.is(code(0xcc), 'UNSUPPORTED');
  t.is(code(0xff), 'PROTOCOL');
});

test('a reply with a broken checksum or a request where a response belongs is refused', (t) => {
  const good = Buffer.from([0x81, 0x1c, 0x63, 0x20, 0x00, 0x38, 0x00, 0x01, 0x84, 0x04, 0x03, 0x00, 0x00, 0x00, 0x00, 0x1c]);
  t.true(decodeResponse(good).ok);
  const bad = Buffer.from(good);
  bad[8] = 0x85;
  t.false(decodeResponse(bad).ok);
  t.false(decodeResponse(encodeRequest(chassisControl(0), 1)).ok);
});
