// From a dead node's vault records to the ladder's target: a channel needs
// its reference (where) and, for the BMC and AMT, the node's sealed
// credentials (how to log in); the newest record of each id wins.
import test from 'ava';
import fc from 'fast-check';
import { createServer } from 'node:net';
import { buildTarget, channelsOf, latest, recordsToOpen } from '../../agent/heal/target.ts';
import type { VaultEntry } from '../../agent/vault/types.ts';
import { reachable, selfCheck } from '../../agent/daemon/heal-self-check.ts';
import { mv } from './helpers.ts';

const e = (id: string, seq: number, meta: VaultEntry['meta'], node = 'x'): VaultEntry => ({
  node,
  kind: id.startsWith('channel-ref:') ? 'channel-ref' : id.startsWith('bmc-user:') ? 'bmc-user' : 'amt-admin',
  id,
  seq,
  created: 0,
  meta,
});

const ipmiRef = e('channel-ref:ipmi', 1, { channel: 'ipmi', host: '10.0.0.5', port: 623 });
const bmcUser = e('bmc-user:fortros-oob', 2, { user: 'fortros-oob', privilege: 'operator' });

test('a BMC channel needs both the reference and the sealed user; the newest record of an id wins', (t) => {
  t.deepEqual(channelsOf('x', [ipmiRef]), [], 'where, but no way to log in');
  t.deepEqual(channelsOf('x', [bmcUser]), [], 'a login, but nowhere to use it');
  t.deepEqual(channelsOf('x', [ipmiRef, bmcUser]), ['ipmi']);
  t.deepEqual(channelsOf('y', [ipmiRef, bmcUser]), [], "another node's records say nothing of y");
  const newer = e('channel-ref:ipmi', 3, { channel: 'ipmi', host: '10.0.0.6' });
  t.deepEqual(latest('x', [newer, ipmiRef, bmcUser]).map((r) => [r.id, r.seq]), [['bmc-user:fortros-oob', 2], ['channel-ref:ipmi', 3]]);
  t.deepEqual(recordsToOpen('x', [ipmiRef, bmcUser]).map((r) => r.id), ['bmc-user:fortros-oob']);

  const secret = new TextEncoder().encode('pw-123');
  const { target, missing } = buildTarget('x', [{ entry: newer, secret: null }, { entry: bmcUser, secret }], ['ipmi']);
  t.deepEqual(missing, []);
  t.deepEqual(target, { node: 'x', allowed: ['ipmi'], channels: [{ name: 'ipmi', verifiable: true, options: { host: '10.0.0.6', user: 'fortros-oob', password: 'pw-123' } }] });
  const unopened = buildTarget('x', [{ entry: ipmiRef, secret: null }, { entry: bmcUser, secret: null }], []);
  t.deepEqual(unopened.target.channels, []);
  t.deepEqual(unopened.missing, ['ipmi: bmc-user:fortros-oob not opened']);
});

test('keyless references become channels with their params; wol is unverifiable; unknown channels are ignored', (t) => {
  const wol = e('channel-ref:wol', 1, { channel: 'wol', mac: '52:54:00:12:34:56' });
  const pdu = e('channel-ref:pdu', 1, { channel: 'pdu', host: '10.0.0.9', outlet: 7 });
  const odd = e('channel-ref:teleport', 1, { channel: 'teleport' });
  const { target } = buildTarget('x', [wol, pdu, odd].map((entry) => ({ entry, secret: null })), []);
  t.deepEqual(target.channels, [
    { name: 'pdu', verifiable: true, options: { host: '10.0.0.9', params: { outlet: '7' } } },
    { name: 'wol', verifiable: false, options: { params: { mac: '52:54:00:12:34:56' } } },
  ]);
});

test('fuzz: any records give a target without throwing, and no channel without its reference', (t) => {
  const meta = fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string({ maxLength: 12 }), fc.integer(), fc.boolean()), { maxKeys: 5 });
  const id = fc.constantFrom('channel-ref:ipmi', 'channel-ref:amt', 'channel-ref:wol', 'channel-ref:nope', 'bmc-user:a', 'amt-admin');
  fc.assert(
    fc.property(fc.array(fc.record({ id, seq: fc.nat(5), meta, node: fc.constantFrom('x', 'y'), secret: fc.option(fc.uint8Array({ maxLength: 8 })) }), { maxLength: 8 }), (rs) => {
      const opened = rs.map((r) => ({ entry: e(r.id, r.seq, r.meta, r.node), secret: r.secret }));
      const { target } = buildTarget('x', opened, []);
      const refs = new Set(opened.filter((o) => o.entry.node === 'x' && o.entry.kind === 'channel-ref').map((o) => o.entry.id.slice(12)));
      return target.channels.every((c) => refs.has(c.name));
    }),
  );
  t.pass();
});

test('self-check: enough stable peers alive in the own view, and a gateway that answers (even refusing) or not at all', async (t) => {
  const view = () => [mv('a'), mv('b'), mv('c', 'dead'), mv('x', 'dead')];
  t.like(await selfCheck({ peers: ['a', 'b', 'c'], need: 2, deadline: Date.now() + 1000 }, view, null), { ok: true });
  t.like(await selfCheck({ peers: ['a', 'b', 'c'], need: 3, deadline: Date.now() + 1000 }, view, null), { ok: false });
  // Alive in the view but silent for 20 s: a view goes stale on a node cut off from everyone, so a silent peer does not count.
  const heardAt = (n: string): number | null => (n === 'a' ? Date.now() - 20_000 : n === 'b' ? Date.now() - 100 : null);
  const stale = await selfCheck({ peers: ['a', 'b', 'c'], need: 2, deadline: Date.now() + 1000 }, view, null, { heardAt, windowMs: 5000 });
  t.deepEqual(stale, { ok: false, why: 'own view holds 1 of the 2 stable peers needed alive and heard from within 5000 ms' });
  t.like(await selfCheck({ peers: ['a', 'b', 'c'], need: 1, deadline: Date.now() + 1000 }, view, null, { heardAt, windowMs: 5000 }), { ok: true });
  const server = createServer((s) => s.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  t.like(await reachable('127.0.0.1', port, 1000), { ok: true, how: 'accepted' });
  await new Promise<void>((r) => server.close(() => r()));
  // Nothing listens now: the RST still proves the path.
  t.like(await reachable('127.0.0.1', port, 1000), { ok: true, how: 'ECONNREFUSED' });
  const late = await selfCheck({ peers: ['a'], need: 1, deadline: Date.now() - 1 }, view, { host: '127.0.0.1', port });
  t.deepEqual(late, { ok: false, why: `gateway 127.0.0.1:${port}: no time left before the deadline` });
  const ok = await selfCheck({ peers: ['a'], need: 1, deadline: Date.now() + 1000 }, view, { host: '127.0.0.1', port });
  t.true(ok.ok && ok.why.includes('answered (ECONNREFUSED)'), ok.why);
});
