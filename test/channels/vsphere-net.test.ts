// The vSphere channel's transport and configuration: a vCenter that never
// answers (the deadline holds, measured), garbage, a wrong pin (no credential
// leaves), options refused before I/O. No session is left behind by any of them.

import test from 'ava';
import * as fs from 'node:fs';
import { apiRequest, apiTarget } from '../../agent/channels/http/api.ts';
import { vsphereChannel } from '../../agent/channels/vsphere/index.ts';
import { deadlineIn, type ChannelOptions } from '../../agent/channels/types.ts';
import { Channel } from '../../agent/channels/verify.ts';
import { makeCert } from '../fakes/cert.ts';
import { FAST, PASSWORD, USER, startVcenter } from '../fakes/vsphere/harness.ts';

function open(o: ChannelOptions) {
  const r = vsphereChannel.open(o);
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
}

test('a vCenter that accepts and never answers: the deadline is honoured, close() bounded too', async (t) => {
  const rig = await startVcenter();
  t.teardown(() => rig.close());
  rig.fake.add('vm-42', 'on');
  rig.fake.server.mode = 'silent';
  for (const ms of [300, 800]) {
    const drv = open(rig.opts());
    const t0 = performance.now();
    const r = await new Channel(drv, FAST).off(deadlineIn(ms));
    const took = performance.now() - t0;
    t.like(r, { ok: false, error: { code: 'TIMEOUT' } });
    t.true(took >= ms - 5 && took < ms + 150, `deadline ${ms} ms, took ${took.toFixed(1)} ms`);
    t.log(`deadline ${ms} ms: returned after ${took.toFixed(1)} ms`);
    const c0 = performance.now();
    await drv.close(deadlineIn(200));
    t.true(performance.now() - c0 < 300, 'no session was opened, so close() sends nothing');
  }
  t.is(rig.fake.openSessions, 0);
});

test('garbage instead of JSON is PROTOCOL, not retried', async (t) => {
  const rig = await startVcenter();
  t.teardown(() => rig.close());
  rig.fake.add('vm-42', 'on');
  rig.fake.server.mode = 'garbage';
  const r = await new Channel(open(rig.opts()), FAST).status(deadlineIn(3000));
  t.like(r, { ok: false, error: { code: 'PROTOCOL', attempts: 1 } });
  t.is(rig.fake.server.log.length, 1);
});

test('a wrong pin is TLS and vCenter never sees the password', async (t) => {
  const rig = await startVcenter();
  const other = makeCert('not-vcenter');
  t.teardown(async () => {
    await rig.close();
    fs.rmSync(other.dir, { recursive: true, force: true });
  });
  const r = await new Channel(open({ ...rig.opts(), tlsFingerprint: other.pin }), FAST).off(deadlineIn(3000));
  t.like(r, { ok: false, error: { code: 'TLS', attempts: 1 } });
  t.is(rig.fake.server.log.length, 0);
});

test('configuration refused before any I/O', (t) => {
  const base: ChannelOptions = { user: 'u', password: 'p', tlsFingerprint: `sha256:${'cd'.repeat(32)}`, params: { endpoint: 'https://vcenter', vm: 'vm-42' } };
  const code = (o: ChannelOptions) => {
    const r = vsphereChannel.open(o);
    return r.ok ? 'ok' : r.error.code;
  };
  t.is(code(base), 'ok');
  t.is(code({ ...base, params: { endpoint: 'https://vcenter', vm: '../vm-1' } }), 'CONFIG');
  t.is(code({ ...base, params: { endpoint: 'https://vcenter', vm: 'vm-1', api: 'soap' } }), 'CONFIG');
  t.is(code({ ...base, params: { vm: 'vm-1' } }), 'CONFIG');
  t.is(code({ ...base, params: { endpoint: 'http://vcenter', vm: 'vm-1' } }), 'CONFIG');
  t.is(code({ ...base, password: undefined }), 'CONFIG');
  t.is(code({ ...base, user: undefined }), 'CONFIG');
  const r = vsphereChannel.open(base);
  t.deepEqual(r.ok ? r.value.describe() : null, { channel: 'vsphere', target: 'https://vcenter:443 vm-42', actions: ['on', 'off', 'reset'], verifiable: true });
});

test('the fake is as strict as vCenter: no session 401 UNAUTHENTICATED, unknown path 404, wrong method 405, unknown action 400', async (t) => {
  const rig = await startVcenter();
  t.teardown(() => rig.close());
  rig.fake.add('vm-42', 'on');
  const target = apiTarget(rig.opts(), rig.url);
  if (!target.ok) return t.fail(target.error.message);
  const ask = async (method: 'GET' | 'POST' | 'PUT', path: string, headers: Record<string, string> = {}) => {
    const r = await apiRequest(target.value, method, path, headers, undefined, deadlineIn(3000));
    return r.ok ? { status: r.value.status, type: (r.value.json as { error_type?: string } | undefined)?.error_type } : null;
  };
  t.deepEqual(await ask('GET', '/api/vcenter/vm/vm-42/power'), { status: 401, type: 'UNAUTHENTICATED' });
  t.deepEqual(await ask('POST', '/api/session', { Authorization: 'Basic Zm9vOmJhcg==' }), { status: 401, type: 'UNAUTHENTICATED' });
  const login = await apiRequest(target.value, 'POST', '/api/session', { Authorization: `Basic ${Buffer.from(`${USER}:${PASSWORD}`).toString('base64')}` }, undefined, deadlineIn(3000));
  const sid = login.ok ? String(login.value.json) : '';
  const s = { 'vmware-api-session-id': sid };
  t.deepEqual(await ask('GET', '/api/vcenter/vm/vm-42/power/x', s), { status: 404, type: 'NOT_FOUND' });
  t.deepEqual(await ask('PUT', '/api/vcenter/vm/vm-42/power?action=stop', s), { status: 405, type: undefined });
  t.deepEqual(await ask('POST', '/api/vcenter/vm/vm-42/power?action=explode', s), { status: 400, type: 'INVALID_ARGUMENT' });
  t.deepEqual(await ask('POST', '/api/vcenter/vm/vm-42/power?action=start', s), { status: 400, type: 'ALREADY_IN_DESIRED_STATE' });
  const del = await apiRequest(target.value, 'DELETE', '/api/session', s, undefined, deadlineIn(3000));
  t.is(del.ok ? del.value.status : 0, 204);
  t.is(rig.fake.openSessions, 0);
});
