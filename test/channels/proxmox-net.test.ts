// The Proxmox VE channel's transport: a pveproxy that never answers (the
// deadline holds, measured), a closed port, garbage, a wrong certificate pin
// (no byte of a credential leaves), and the configuration refused before I/O.

import test from 'ava';
import { apiRequest, apiTarget } from '../../agent/channels/http/api.ts';
import { proxmoxChannel } from '../../agent/channels/proxmox/index.ts';
import { deadlineIn, type ChannelOptions } from '../../agent/channels/types.ts';
import { Channel } from '../../agent/channels/verify.ts';
import { makeCert } from '../fakes/cert.ts';
import { FAST, TOKEN_SECRET, startPve } from '../fakes/proxmox/harness.ts';
import { closedPort } from '../fakes/transport-checks.ts';

function open(o: ChannelOptions) {
  const r = proxmoxChannel.open(o);
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

test('a server that accepts and never answers: the deadline is honoured', async (t) => {
  const rig = await startPve(['pve1']);
  t.teardown(() => rig.close());
  rig.fake.server.mode = 'silent';
  for (const ms of [300, 800]) {
    const t0 = performance.now();
    const r = await new Channel(open(rig.token({ node: 'pve1', kind: 'qemu' })), FAST).off(deadlineIn(ms));
    const took = performance.now() - t0;
    t.like(r, { ok: false, error: { code: 'TIMEOUT' } });
    t.true(took >= ms - 5 && took < ms + 150, `deadline ${ms} ms, took ${took.toFixed(1)} ms`);
    t.log(`deadline ${ms} ms: returned after ${took.toFixed(1)} ms`);
  }
});

test('a closed port is UNREACHABLE, retried until the deadline', async (t) => {
  const port = await closedPort();
  const cert = makeCert('pve');
  t.teardown(() => import('node:fs').then((fs) => fs.rmSync(cert.dir, { recursive: true, force: true })));
  const t0 = performance.now();
  const r = await new Channel(open({ user: 'fence@pve!agent', secrets: { 'token-file': TOKEN_SECRET }, tlsFingerprint: cert.pin, params: { endpoint: `https://127.0.0.1:${port}`, vm: '100' } }), FAST).status(deadlineIn(500));
  const took = performance.now() - t0;
  t.true(!r.ok && ['UNREACHABLE', 'TIMEOUT'].includes(r.error.code));
  t.true(r.ok ? false : r.error.attempts >= 2);
  t.true(took < 700, `took ${took.toFixed(1)} ms`);
});

test('garbage instead of JSON is PROTOCOL, not retried', async (t) => {
  const rig = await startPve(['pve1']);
  t.teardown(() => rig.close());
  rig.fake.cluster.add({ vmid: 100, kind: 'qemu', node: 'pve1', power: 'on' });
  rig.fake.server.mode = 'garbage';
  const r = await new Channel(open(rig.token()), FAST).off(deadlineIn(3000));
  t.like(r, { ok: false, error: { code: 'PROTOCOL', attempts: 1 } });
  t.is(rig.fake.server.log.length, 1);
});

test('a wrong pin is TLS and the fake never sees a request (the token never leaves)', async (t) => {
  const rig = await startPve(['pve1']);
  const other = makeCert('not-pve');
  t.teardown(async () => {
    await rig.close();
    (await import('node:fs')).rmSync(other.dir, { recursive: true, force: true });
  });
  const r = await new Channel(open({ ...rig.token(), tlsFingerprint: other.pin }), FAST).status(deadlineIn(3000));
  t.like(r, { ok: false, error: { code: 'TLS', attempts: 1 } });
  t.is(rig.fake.server.log.length, 0);
});

test('configuration refused before any I/O', (t) => {
  const base: ChannelOptions = { user: 'fence@pve!agent', secrets: { 'token-file': 's' }, tlsFingerprint: `sha256:${'ab'.repeat(32)}`, params: { endpoint: 'https://pve:8006', vm: '100' } };
  const code = (o: ChannelOptions) => {
    const r = proxmoxChannel.open(o);
    return r.ok ? 'ok' : r.error.code;
  };
  t.is(code(base), 'ok');
  t.is(code({ ...base, params: { endpoint: 'https://pve:8006', vm: '99' } }), 'CONFIG');
  t.is(code({ ...base, params: { endpoint: 'https://pve:8006', vm: '100', kind: 'kvm' } }), 'CONFIG');
  t.is(code({ ...base, params: { endpoint: 'https://pve:8006', vm: '100', node: '../x' } }), 'CONFIG');
  t.is(code({ ...base, params: { vm: '100' } }), 'CONFIG');
  t.is(code({ ...base, params: { endpoint: 'http://pve:8006', vm: '100' } }), 'CONFIG');
  t.is(code({ ...base, user: 'fence@pve' }), 'CONFIG', 'a token needs a token id');
  t.is(code({ ...base, password: 'x' }), 'CONFIG', 'token and password exclude each other');
  t.is(code({ ...base, secrets: {}, password: 'x' }), 'CONFIG', 'a ticket login needs USER@REALM, not a token id');
  t.is(code({ ...base, secrets: {}, user: 'root@pam', password: 'x' }), 'ok');
  t.is(code({ ...base, secrets: {} }), 'CONFIG', 'no credential');
  const lxc = proxmoxChannel.open({ ...base, params: { endpoint: 'https://pve:8006', vm: '100', kind: 'lxc' } });
  t.deepEqual(lxc.ok ? lxc.value.describe().actions : null, ['on', 'off']);
});

test('the fake is as strict as pveproxy: unknown path 501, unknown or root-only parameter 400, no credential 401 with an empty body', async (t) => {
  const rig = await startPve(['pve1']);
  t.teardown(() => rig.close());
  rig.fake.cluster.add({ vmid: 100, kind: 'lxc', node: 'pve1', power: 'on' });
  const target = apiTarget(rig.token(), rig.fake.url);
  if (!target.ok) return t.fail(target.error.message);
  const auth = { Authorization: `PVEAPIToken=fence@pve!agent=${TOKEN_SECRET}` };
  const ask = async (method: 'GET' | 'POST', path: string, headers: Record<string, string>, body?: unknown) => {
    const r = await apiRequest(target.value, method, path, headers, body, deadlineIn(3000));
    return r.ok ? { status: r.value.status, json: r.value.json } : null;
  };
  t.deepEqual(await ask('POST', '/api2/json/nodes/pve1/lxc/100/status/reset', auth), { status: 501, json: { data: null, message: "Method 'POST /nodes/pve1/lxc/100/status/reset' not implemented" } });
  t.like(await ask('POST', '/api2/json/nodes/pve1/lxc/100/status/stop', auth, { force: 1 }), { status: 400, json: { errors: { force: 'property is not defined in schema and the schema does not allow additional properties' } } });
  t.like(await ask('POST', '/api2/json/nodes/pve1/lxc/100/status/stop', auth, { skiplock: 1 }), { status: 400, json: { errors: { skiplock: 'Only root may use this option.' } } });
  t.deepEqual(await ask('GET', '/api2/json/nodes/pve1/lxc/100/status/current', {}), { status: 401, json: undefined });
  t.deepEqual(rig.fake.cluster.guests.get(100)?.machine.requests, []);
});
