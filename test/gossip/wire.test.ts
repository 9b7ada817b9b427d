import test from 'ava';
import fc from 'fast-check';
import { SwimNode } from '../../agent/gossip/swim.ts';
import { suspicionTimeout, suspicionTimes } from '../../agent/gossip/suspicion.ts';
import { decodeFrame, encodeFrame } from '../../agent/gossip/pushpull.ts';
import { DEFAULT_CONFIG } from '../../agent/gossip/types.ts';
import { decodePacket, decodeUpdate, encodePacket, signUpdate, type Msg } from '../../agent/gossip/wire.ts';
import { Rng } from '../../tools/sim/prng.ts';
import { SimRegistry } from '../../tools/sim/trust.ts';

const T0 = Date.UTC(2026, 5, 1);

function pair() {
  const reg = new SimRegistry(new Rng(3));
  const ta = reg.issue('a');
  const tb = reg.issue('b');
  const rng = new Rng(4);
  const node = new SwimNode({ ...DEFAULT_CONFIG, name: 'a', addr: 'a:1', seeds: [], incarnation: 1 }, ta, () => rng.next(), T0);
  node.start(T0);
  const hello = encodePacket(
    { sender: 'b', sentAt: T0, msgs: [{ type: 'update', update: signUpdate({ type: 'alive', name: 'b', incarnation: 1, time: T0, addr: 'b:1', creds: tb.creds, att: null }, tb) }] },
    tb,
  );
  node.receivePacket('b:1', hello, T0);
  node.takeOutbound();
  node.takeEvents();
  return { node, ta, tb };
}

const view = (n: SwimNode): string => JSON.stringify(n.members().map((m) => [m.name, m.state, m.incarnation, m.addr]));

test('every message and update survives a round trip', (t) => {
  const { tb } = pair();
  const up = signUpdate({ type: 'suspect', author: 'b', subject: 'c', incarnation: 7, time: T0 }, tb);
  const msgs: Msg[] = [
    { type: 'ping', seq: 1, target: 'a' },
    { type: 'ack', seq: 2 },
    { type: 'ping-req', seq: 3, target: 'c', targetAddr: '[::1]:7946' },
    { type: 'nack', seq: 4 },
    { type: 'wake', nonce: 5, subject: 'c', mac: Uint8Array.from([0x52, 0x54, 0, 1, 2, 3]) },
    { type: 'lease', lease: Uint8Array.from([0xd2, 0x84, 1, 2, 3]) },
    { type: 'update', update: up },
  ];
  const d = decodePacket(encodePacket({ sender: 'b', sentAt: T0 + 5_000_000_000, msgs }, tb));
  if (!d.ok) return t.fail(d.error.message);
  t.is(d.value.body.sender, 'b');
  t.is(d.value.body.sentAt, T0 + 5_000_000_000);
  t.deepEqual(d.value.body.msgs.slice(0, 6), msgs.slice(0, 6));
  // A wake message's MAC is exactly six bytes.
  const bad = decodePacket(encodePacket({ sender: 'b', sentAt: T0, msgs: [{ type: 'wake', nonce: 1, subject: 'c', mac: new Uint8Array(5) }] }, tb));
  t.is(!bad.ok && bad.error.code, 'MALFORMED');
  // A lease is 1 to 1,024 bytes: an empty or oversized one is no message.
  for (const lease of [new Uint8Array(0), new Uint8Array(1025)]) {
    const l = decodePacket(encodePacket({ sender: 'b', sentAt: T0, msgs: [{ type: 'lease', lease }] }, tb));
    t.is(!l.ok && l.error.code, 'MALFORMED', `lease of ${lease.length} bytes`);
  }
  const u = decodeUpdate(up.body);
  t.deepEqual(u, { ok: true, value: { type: 'suspect', author: 'b', subject: 'c', incarnation: 7, time: T0 } });
  const dead = signUpdate({ type: 'dead', author: 'b', subject: 'c', incarnation: 7, time: T0, evidence: [up, up] }, tb);
  const dd = decodeUpdate(dead.body);
  t.true(dd.ok && dd.value.type === 'dead' && dd.value.evidence.length === 2);
});

test('the decoders turn arbitrary bytes into a typed error, never a throw', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2048 }), (b) => {
      for (const r of [decodePacket(b), decodeUpdate(b), decodeFrame(b)]) if (!r.ok && !r.error.code) return false;
      return true;
    }),
    { numRuns: 3000 },
  );
  t.is(decodePacket(new Uint8Array([0x83, 0x02, 0x40, 0x40])).ok, false);
  const r = decodePacket(new Uint8Array([0x83, 0x02, 0x40, 0x40]));
  t.is(!r.ok && r.error.code, 'UNSUPPORTED');
});

test('fuzz: a lease message of any bytes and any shape decodes to itself or a typed error', (t) => {
  const { tb } = pair();
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 1400 }), fc.nat(64), fc.integer({ min: 1, max: 255 }), (lease, at, flip) => {
      const bytes = encodePacket({ sender: 'b', sentAt: T0, msgs: [{ type: 'lease', lease }] }, tb);
      const d = decodePacket(bytes);
      const ok = lease.length >= 1 && lease.length <= 1024;
      if (ok !== d.ok) return false;
      if (d.ok && !(d.value.body.msgs[0]?.type === 'lease' && Buffer.from(d.value.body.msgs[0].lease).equals(Buffer.from(lease)))) return false;
      const mutated = new Uint8Array(bytes);
      const i = at % mutated.length;
      mutated[i] = (mutated[i] as number) ^ flip;
      const m = decodePacket(mutated);
      return m.ok || typeof m.error.code === 'string';
    }),
    { numRuns: 500 },
  );
  t.pass();
});

test('a hostile packet costs one rejection and changes no state', (t) => {
  const { node, tb } = pair();
  const before = view(node);
  const valid = encodePacket({ sender: 'b', sentAt: T0, msgs: [{ type: 'ping', seq: 9, target: 'a' }] }, tb);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 1500 }), fc.nat(valid.length - 1), fc.integer({ min: 1, max: 255 }), (junk, at, flip) => {
      const mutated = new Uint8Array(valid);
      mutated[at] = (mutated[at] as number) ^ flip;
      for (const bytes of [junk, mutated, valid.subarray(0, at)]) {
        node.receivePacket('x:1', bytes, T0 + 10);
        const rej = node.takeRejections();
        node.takeOutbound();
        if (rej.length !== 1 && !(rej.length === 0 && bytes === mutated)) return false;
      }
      return view(node) === before && node.takeEvents().length === 0;
    }),
    { numRuns: 500 },
  );
  t.is(view(node), before);
});

test('a packet signed by someone other than its sender is refused', (t) => {
  const { node, ta } = pair();
  // Signed with a's key but claiming to be from b.
  node.receivePacket('b:1', encodePacket({ sender: 'b', sentAt: T0, msgs: [{ type: 'ping', seq: 1, target: 'a' }] }, ta), T0 + 5);
  const rej = node.takeRejections();
  t.is(rej.length, 1);
  t.is(rej[0]?.error.code, 'BAD_SIGNATURE');
  // No answer to the packet; at most one push-pull, to the address a holds for b (b may have restarted).
  const out = node.takeOutbound();
  t.deepEqual(out.map((o) => [o.kind, o.to]), [['stream', 'b:1']]);
  node.receivePacket('elsewhere:9', encodePacket({ sender: 'b', sentAt: T0, msgs: [{ type: 'ping', seq: 2, target: 'a' }] }, ta), T0 + 6);
  t.deepEqual(node.takeOutbound(), [], 'rate-limited, and never to the forged source');
});

test('suspicion timeouts follow Lifeguard: max with no confirmation, min after K', (t) => {
  // Lifeguard's curve with memberlist's LAN multipliers (4, 6) and K = 2 at a 1 s probe interval:
  // 24 s with no confirmation, 24 - 20 * log(2)/log(3) = 11.4 s after one, 4 s after two.
  const lan = suspicionTimes(100, 1000, 4, 6, 2);
  t.is(lan.minMs, 4000);
  t.is(lan.maxMs, 24_000);
  t.is(suspicionTimeout(lan, 0), 24_000);
  t.is(Math.round(suspicionTimeout(lan, 1) / 100) / 10, 11.4);
  t.is(suspicionTimeout(lan, 2), 4000);
  t.is(suspicionTimeout(lan, 5), 4000);
  // The minimum does not grow with the cluster: only accusers bury, and the suspect answers them directly.
  t.is(suspicionTimes(10_000, 1000, 4, 6, 2).minMs, 4000);
  // Too few members to confirm: straight to the minimum.
  t.is(suspicionTimes(3, 1000, 4, 6, 2).k, 0);
});

test('a push-pull frame larger than a datagram round-trips (a whole cluster of records)', (t) => {
  const { tb } = pair();
  const records = Array.from({ length: 300 }, (_, i) => ({
    creds: tb.creds,
    alive: signUpdate({ type: 'alive', name: `n${i}`, incarnation: 1, time: T0, addr: `10.0.${i >> 8}.${i & 255}:7946`, creds: null, att: null }, tb),
    final: null,
    attestation: null,
  }));
  const f = encodeFrame({ sender: 'b', incarnation: 1, sentAt: T0, body: { phase: 'records', records } }, tb);
  t.true(f.length > 65_507, `${f.length} bytes`);
  const d = decodeFrame(f);
  if (!d.ok) return t.fail(d.error.message);
  t.is(d.value.frame.body.phase, 'records');
  t.is(d.value.frame.body.phase === 'records' ? d.value.frame.body.records.length : 0, 300);
});
