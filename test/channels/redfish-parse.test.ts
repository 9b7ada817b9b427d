// The pure parts of the Redfish channel: the readers of untrusted documents
// (fuzzed: a typed result for any JSON value or byte string, never a throw),
// the PowerState and ResetType tables, the HTTP status mapping, and the
// selector and fingerprint syntax.

import test from 'ava';
import fc from 'fast-check';
import { pickSystem } from '../../agent/channels/redfish/discover.ts';
import { replyError } from '../../agent/channels/redfish/errors.ts';
import { parseFingerprint, parseTarget } from '../../agent/channels/redfish/index.ts';
import { isServicePath, locationPath, parseActionInfo, parseFault, parseJson, parseMembers, parseServiceRoot, parseSystem, parseTaskResult, type Json } from '../../agent/channels/redfish/parse.ts';
import { chooseReset, observe, offeredActions } from '../../agent/channels/redfish/power.ts';
import type { ChannelResult } from '../../agent/channels/types.ts';

const CODES = new Set(['PROTOCOL', 'STATE']);
const typed = (r: ChannelResult<unknown>) => r.ok || CODES.has(r.error.code);

test('parseJson: any bytes or string give JSON or PROTOCOL', (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), (b) => typed(parseJson(b))));
  fc.assert(fc.property(fc.string({ maxLength: 512 }), (s) => typed(parseJson(s))));
  fc.assert(fc.property(fc.jsonValue(), (v) => {
    const r = parseJson(JSON.stringify(v));
    return r.ok;
  }));
  const bad = parseJson(Buffer.from('<html>\u0000\u001b[31m'));
  t.deepEqual(bad, { ok: false, error: { code: 'PROTOCOL', message: 'the reply is not JSON (12 bytes, starting "<html>??[31m")' } });
});

const arbitraryDoc = fc.jsonValue() as fc.Arbitrary<Json>;
const link = fc.oneof(fc.constantFrom('/redfish/v1/Systems/1', 'https://evil/redfish/v1/x', '/redfish/v1/../../etc', ''), fc.string()).map((s) => ({ '@odata.id': s }));
/** Documents near the real shape, so the fuzz reaches the readers' inner branches. */
const nearDoc = fc.record(
  {
    Systems: fc.oneof(link, arbitraryDoc),
    Links: fc.oneof(fc.record({ Sessions: link }), arbitraryDoc),
    SessionService: link,
    Members: fc.oneof(fc.array(fc.oneof(link, arbitraryDoc), { maxLength: 5 }), arbitraryDoc),
    PowerState: fc.oneof(fc.constantFrom('On', 'Off', 'PoweringOn', 'Paused', null), arbitraryDoc),
    Actions: fc.record({
      '#ComputerSystem.Reset': fc.record(
        {
          target: fc.oneof(fc.constant('/redfish/v1/Systems/1/Actions/ComputerSystem.Reset'), fc.string()),
          'ResetType@Redfish.AllowableValues': fc.oneof(fc.array(fc.string(), { maxLength: 70 }), arbitraryDoc),
          '@Redfish.ActionInfo': fc.oneof(fc.constant('/redfish/v1/Systems/1/ResetActionInfo'), fc.string()),
        },
        { requiredKeys: [] },
      ),
    }),
    Parameters: fc.oneof(fc.array(fc.record({ Name: fc.constantFrom('ResetType', 'x'), AllowableValues: fc.oneof(fc.array(fc.string()), arbitraryDoc) })), arbitraryDoc),
    TaskState: fc.oneof(fc.constantFrom('Completed', 'Running', 'Exception', 'Killed'), arbitraryDoc),
    Messages: fc.oneof(fc.array(fc.record({ Message: fc.string() })), arbitraryDoc),
  },
  { requiredKeys: [] },
) as fc.Arbitrary<Json>;

test('document readers: any JSON value, and near-valid documents, give a value or a typed error', (t) => {
  const readers: ((j: Json) => ChannelResult<unknown>)[] = [parseServiceRoot, parseMembers, parseSystem, parseActionInfo, parseTaskResult];
  for (const docs of [arbitraryDoc, nearDoc]) {
    fc.assert(fc.property(docs, (j) => readers.every((read) => typed(read(j)))), { numRuns: 200 });
  }
  // Every URI a reader hands out is a path on this service.
  fc.assert(
    fc.property(nearDoc, (j) => {
      const root = parseServiceRoot(j);
      const members = parseMembers(j);
      const sys = parseSystem(j);
      const paths = [...(root.ok ? [root.value.systems, root.value.sessions ?? '/redfish/v1'] : []), ...(members.ok ? members.value : []), ...(sys.ok && sys.value.reset ? [sys.value.reset.target, sys.value.reset.actionInfo ?? '/redfish/v1'] : [])];
      return paths.every(isServicePath);
    }),
    { numRuns: 200 },
  );
  t.pass();
});

test('parseFault and locationPath never throw; locations stay on this host', (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (b) => Array.isArray(parseFault(b).messageIds)));
  fc.assert(fc.property(fc.jsonValue(), (v) => typeof parseFault(JSON.stringify({ error: v })).text === 'string'));
  fc.assert(fc.property(fc.option(fc.string(), { nil: undefined }), (s) => {
    const r = locationPath(s, '127.0.0.1', 443);
    return r.ok ? isServicePath(r.value) : r.error.code === 'PROTOCOL';
  }));
  t.deepEqual(locationPath('https://127.0.0.1/redfish/v1/TaskService/TaskMonitors/3', '127.0.0.1', 443), { ok: true, value: '/redfish/v1/TaskService/TaskMonitors/3' });
  t.false(locationPath('https://127.0.0.2/redfish/v1/TaskService/TaskMonitors/3', '127.0.0.1', 443).ok);
  t.false(locationPath('https://127.0.0.1:8443/redfish/v1/x', '127.0.0.1', 443).ok);
  t.false(locationPath('//evil/redfish/v1/x', '127.0.0.1', 443).ok);
  t.false(locationPath('/redfish/v1/../../admin', '127.0.0.1', 443).ok);
  t.false(locationPath('/redfish/v1/%2E%2e/admin', '127.0.0.1', 443).ok);
  t.deepEqual(locationPath('https://BMC.example/redfish/v1/x', 'bmc.Example', 443), { ok: true, value: '/redfish/v1/x' });
  t.deepEqual(parseFault('{"error":{"code":"Base.1.16.GeneralError","message":"m","@Message.ExtendedInfo":[{"MessageId":"Base.1.16.ResourceInUse","Message":"busy\\u0007"}]}}'), {
    messageIds: ['Base.1.16.ResourceInUse', 'Base.1.16.GeneralError'],
    text: 'busy?',
  });
});

test('PowerState: On/Off settle, PoweringOn/Off are transitioning, Paused and null unknown, others PROTOCOL', (t) => {
  const seen = (v: Json | undefined) => {
    const r = observe(v);
    return r.ok ? r.value : r.error.code;
  };
  t.deepEqual(['On', 'Off', 'PoweringOn', 'PoweringOff', 'Paused', null, undefined, 'on', 3].map(seen), ['on', 'off', 'transitioning', 'transitioning', 'unknown', 'unknown', 'PROTOCOL', 'PROTOCOL', 'PROTOCOL']);
  fc.assert(fc.property(fc.jsonValue(), (v) => typed(observe(v as Json))));
});

test('ResetType choice: best advertised value, or UNSUPPORTED naming what is allowed', (t) => {
  const pick = (a: 'on' | 'off' | 'cycle' | 'reset', allowed: string[] | null) => {
    const r = chooseReset(a, allowed);
    return r.ok ? r.value : `${r.error.code}: ${r.error.message}`;
  };
  const FULL = ['On', 'ForceOff', 'GracefulShutdown', 'GracefulRestart', 'ForceRestart', 'Nmi', 'ForceOn', 'PushPowerButton', 'PowerCycle'];
  t.deepEqual((['on', 'off', 'cycle', 'reset'] as const).map((a) => pick(a, FULL)), ['On', 'ForceOff', 'PowerCycle', 'ForceRestart']);
  t.deepEqual((['on', 'cycle'] as const).map((a) => pick(a, ['ForceOn', 'ForceOff', 'ForceRestart'])), ['ForceOn', 'ForceRestart']);
  t.is(pick('off', ['On', 'GracefulShutdown']), 'UNSUPPORTED: cannot off: the system allows ResetType On, GracefulShutdown, none of ForceOff');
  t.is(pick('on', []), 'UNSUPPORTED: cannot on: the system allows ResetType none, none of On, ForceOn');
  t.deepEqual((['on', 'off', 'cycle', 'reset'] as const).map((a) => pick(a, null)), ['On', 'ForceOff', 'PowerCycle', 'ForceRestart']);
  t.deepEqual(offeredActions(['On', 'ForceOff']), ['on', 'off']);
  t.deepEqual(offeredActions(['PushPowerButton', 'Nmi']), []);
  fc.assert(fc.property(fc.array(fc.string(), { maxLength: 20 }), (allowed) => offeredActions(allowed).every((a) => allowed.includes(chooseReset(a, allowed).ok ? (chooseReset(a, allowed) as { value: string }).value : ''))));
});

test('HTTP status to error code', (t) => {
  const notSupported = Buffer.from(JSON.stringify({ error: { code: 'Base.1.16.GeneralError', '@Message.ExtendedInfo': [{ MessageId: 'Base.1.16.ActionParameterNotSupported', Message: 'no' }] } }));
  const codes = [401, 403, 409, 503, 502, 404, 405, 500, 400].map((s) => replyError(s, Buffer.alloc(0), 'x').code);
  t.deepEqual(codes, ['AUTH', 'AUTH', 'BUSY', 'BUSY', 'UNREACHABLE', 'CONFIG', 'CONFIG', 'PROTOCOL', 'PROTOCOL']);
  t.deepEqual(replyError(400, notSupported, 'reset'), { code: 'UNSUPPORTED', message: 'reset: HTTP 400 (Base.1.16.ActionParameterNotSupported: no)' });
});

test('system selection and the HOST/ID syntax', (t) => {
  const members = ['/redfish/v1/Systems/System.Embedded.1', '/redfish/v1/Systems/2'];
  t.deepEqual(pickSystem(members, 'System.Embedded.1'), { ok: true, value: members[0] });
  t.deepEqual(pickSystem(members, '/redfish/v1/Systems/2/'), { ok: true, value: members[1] });
  t.deepEqual(pickSystem(members, null), { ok: false, error: { code: 'CONFIG', message: 'the service has 2 systems (System.Embedded.1, 2); name one as HOST/ID' } });
  t.deepEqual(pickSystem([members[1] ?? ''], null), { ok: true, value: '/redfish/v1/Systems/2' });
  t.is(pickSystem([], null).ok, false);
  t.deepEqual(parseTarget('bmc.example/System.Embedded.1'), { ok: true, value: { host: 'bmc.example', system: 'System.Embedded.1' } });
  t.deepEqual(parseTarget('[fe80::1%eth0]/redfish/v1/Systems/1/'), { ok: true, value: { host: 'fe80::1%eth0', system: '/redfish/v1/Systems/1' } });
  t.deepEqual(parseTarget('::1'), { ok: true, value: { host: '::1', system: null } });
  fc.assert(fc.property(fc.string({ maxLength: 80 }), (s) => {
    const r = parseTarget(s);
    return r.ok ? !r.value.host.includes('/') : r.error.code === 'CONFIG';
  }));
  fc.assert(fc.property(fc.string({ maxLength: 90 }), (s) => {
    const r = parseFingerprint(s);
    return r.ok ? r.value.length === 32 : r.error.code === 'CONFIG';
  }));
  t.is(parseFingerprint(`sha256:${'AB:'.repeat(31)}AB`).ok, true);
});
