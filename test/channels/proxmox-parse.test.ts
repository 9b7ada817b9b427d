// The Proxmox VE reply codecs and error mapping, without a server: recorded
// shapes of the API's replies, the state mapping (locks, paused, hibernated),
// and fast-check fuzzing of every parser with arbitrary and near-valid JSON.

import test from 'ava';
import fc from 'fast-check';
import { replyError, satisfied, taskError } from '../../agent/channels/proxmox/errors.ts';
import { errorText, findVm, parseTask, parseTicket, parseUpid, parseVmStatus } from '../../agent/channels/proxmox/parse.ts';

const UPID = 'UPID:pve2:00001A2B:0034C0DE:6745F00D:qmstart:100:fence@pve!agent:';

test('status/current: running/stopped, locks, QMP states', (t) => {
  const s = (data: unknown) => parseVmStatus({ data });
  t.deepEqual(s({ status: 'running', qmpstatus: 'running', vmid: 100 }), { ok: true, value: 'on' });
  t.deepEqual(s({ status: 'stopped' }), { ok: true, value: 'off' });
  t.deepEqual(s({ status: 'running', qmpstatus: 'paused' }), { ok: true, value: 'on' }, 'a paused VM must be stopped to be fenced');
  t.deepEqual(s({ status: 'running', qmpstatus: 'prelaunch' }), { ok: true, value: 'transitioning' });
  t.deepEqual(s({ status: 'running', qmpstatus: 'postmigrate' }), { ok: true, value: 'transitioning' });
  t.deepEqual(s({ status: 'running', lock: 'backup' }), { ok: true, value: 'transitioning' });
  t.deepEqual(s({ status: 'stopped', lock: 'rollback' }), { ok: true, value: 'transitioning' });
  t.deepEqual(s({ status: 'stopped', lock: 'suspended' }), { ok: true, value: 'off' }, 'hibernated: no process');
  t.deepEqual(s({ status: 'running' }), { ok: true, value: 'on' }, 'LXC has no qmpstatus');
  t.deepEqual(s({ status: 'unknown' }), { ok: true, value: 'unknown' });
  t.like(s({ status: 1 }), { ok: false, error: { code: 'PROTOCOL' } });
  t.like(parseVmStatus({ status: 'running' }), { ok: false, error: { code: 'PROTOCOL' } }, 'no {"data": ...} envelope');
});

test('cluster resources, UPIDs, task status, tickets', (t) => {
  const res = { data: [{ id: 'node/pve1', type: 'node', node: 'pve1' }, { id: 'lxc/100', type: 'lxc', vmid: 100, node: 'pve1' }, { id: 'qemu/101', type: 'qemu', vmid: 101, node: 'pve2' }] };
  t.deepEqual(findVm(res, 101, null), { ok: true, value: { node: 'pve2', kind: 'qemu' } });
  t.deepEqual(findVm(res, 100, null), { ok: true, value: { node: 'pve1', kind: 'lxc' } });
  t.deepEqual(findVm(res, 100, 'qemu'), { ok: true, value: null });
  t.like(findVm({ data: [{ type: 'qemu', vmid: 5, node: '../etc' }] }, 5, null), { ok: false, error: { code: 'PROTOCOL' } });
  t.deepEqual(parseUpid({ data: UPID }), { ok: true, value: { upid: UPID, node: 'pve2' } });
  t.like(parseUpid({ data: 'UPID:../x:1:2:3:qmstart:100:u:' }), { ok: false, error: { code: 'PROTOCOL' } });
  t.deepEqual(parseTask({ data: { status: 'running', upid: UPID } }), { ok: true, value: { running: true } });
  t.deepEqual(parseTask({ data: { status: 'stopped', exitstatus: 'OK' } }), { ok: true, value: { running: false, exitstatus: 'OK' } });
  t.like(parseTask({ data: { status: 'stopped' } }), { ok: false, error: { code: 'PROTOCOL' } });
  t.like(parseTicket({ data: { username: 'u@pve', ticket: 'PVE:u@pve:6745F00D::c2ln', CSRFPreventionToken: '6745F00D:abc' } }), { ok: true });
  t.like(parseTicket({ data: { username: 'u@pve', ticket: 'PVE:u@pve:x', CSRFPreventionToken: '', NeedTFA: 1 } }), { ok: false, error: { code: 'CONFIG' } });
  t.like(parseTicket({ data: { ticket: 'a\r\nInjected: 1', CSRFPreventionToken: 'x' } }), { ok: false, error: { code: 'PROTOCOL' } }, 'a header value must not carry CR/LF');
});

test('errors: PVE texts mapped to what the ladder does', (t) => {
  const e = (status: number, message?: string) => replyError(status, message === undefined ? undefined : { data: null, message: `${message}\n` }, 'x');
  t.like(e(401), { code: 'AUTH' });
  t.like(e(401, 'authentication failure'), { code: 'AUTH' });
  t.like(e(403, 'Permission check failed (/vms/100, VM.PowerMgmt)'), { code: 'AUTH' });
  t.like(e(500, "Configuration file 'nodes/pve1/qemu-server/100.conf' does not exist"), { moved: true });
  t.like(e(500, "hostname lookup 'pve9' failed - failed to get address info for: pve9: Name or service not known"), { moved: true });
  t.like(e(595), { moved: true });
  t.like(e(500, "can't lock file '/var/lock/qemu-server/lock-100.conf' - got timeout"), { code: 'BUSY' });
  t.like(e(500, 'cluster not ready - no quorum?'), { code: 'BUSY' });
  t.like(e(500, 'VM 100 not running'), { code: 'STATE' });
  t.like(e(501, "Method 'POST /nodes/pve1/lxc/100/status/reset' not implemented"), { code: 'CONFIG' });
  t.like(replyError(400, { data: null, errors: { skiplock: 'Only root may use this option.' } }, 'x'), { code: 'CONFIG', message: 'x: HTTP 400, parameters refused: skiplock: Only root may use this option.' });
  t.like(e(502), { code: 'UNREACHABLE' });
  t.is(taskError('OK', 'start', 'x'), null);
  t.is(taskError('WARNINGS: 2', 'stop', 'x'), null);
  t.is(taskError('VM 100 already running', 'start', 'x'), null);
  t.like(taskError('VM is locked (backup)', 'stop', 'x'), { code: 'BUSY' });
  t.like(taskError('unexpected status', 'stop', 'x'), { code: 'STATE' });
  t.like(taskError('start failed: QEMU exited with code 1', 'start', 'x'), { code: 'STATE' });
  t.true(satisfied('stop', 'CT 100 not running'));
  t.false(satisfied('reset', 'VM 100 not running'));
});

test('fuzz: every parser returns a value or a typed error for any JSON, never throws', (t) => {
  const typed = (r: { ok: boolean; error?: { code: string; message: string } }) => r.ok || (typeof r.error?.code === 'string' && typeof r.error.message === 'string');
  const anyJson = fc.jsonValue();
  const near = fc.record({
    data: fc.oneof(
      anyJson,
      fc.record({ status: fc.oneof(fc.constantFrom('running', 'stopped', 'unknown'), anyJson), lock: fc.oneof(fc.string(), anyJson), qmpstatus: fc.oneof(fc.string(), anyJson), exitstatus: fc.oneof(fc.string(), anyJson) }, { requiredKeys: [] }),
      fc.array(fc.record({ vmid: fc.oneof(fc.constant(100), anyJson), type: fc.constantFrom('qemu', 'lxc', 'node'), node: fc.string() }, { requiredKeys: [] }), { maxLength: 5 }),
      fc.string().map((s) => `UPID:${s}`),
    ),
    message: fc.oneof(fc.string(), anyJson),
    errors: fc.oneof(fc.dictionary(fc.string(), fc.oneof(fc.string(), anyJson)), anyJson),
  }, { requiredKeys: [] });
  fc.assert(
    fc.property(fc.oneof(anyJson, near), fc.integer({ min: 100, max: 999 }), fc.integer({ min: 100, max: 599 }), (j, vmid, status) => {
      for (const r of [parseVmStatus(j), findVm(j, vmid, null), findVm(j, vmid, 'lxc'), parseUpid(j), parseTask(j), parseTicket(j)]) if (!typed(r)) return false;
      const e = replyError(status, j, 'x');
      const text = errorText(j);
      return ('moved' in e || typeof e.code === 'string') && text.length <= 200 && !/[^\x20-\x7e]/.test(text);
    }),
    { numRuns: 3000 },
  );
  t.pass();
});
