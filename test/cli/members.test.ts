import test from 'ava';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderMembers } from '../../agent/cli/members.ts';
import { startControl } from '../../agent/daemon/control.ts';
import type { MemberView } from '../../agent/gossip/types.ts';
import { createLogger } from '../../agent/log.ts';
import { runAgent } from '../helpers/run.ts';

const T = Date.UTC(2026, 10, 24, 12, 0, 0);
const MEMBERS: MemberView[] = [
  { name: 'node-b', addr: '[::1]:7947', state: 'suspect', incarnation: 2_000_001, attested: false, updatedAt: T + 1500, self: false },
  { name: 'node-a', addr: '127.0.0.1:7946', state: 'alive', incarnation: 3_000_000, attested: true, updatedAt: T, self: true },
  { name: 'node-c', addr: '127.0.0.3:7946', state: 'dead', incarnation: 1_000_004, attested: false, updatedAt: T + 60_000, self: false },
];
const STATUS = { name: 'node-a', address: '127.0.0.1:7946', state: 'alive', incarnation: 3_000_000, members: { alive: 1, suspect: 1, dead: 1, left: 0 }, uptimeSec: 42 };

async function daemon(t: { teardown: (f: () => Promise<void>) => void }): Promise<string> {
  const path = join(mkdtempSync(join(tmpdir(), 'cli-ctl-')), 'agent.sock');
  const ctl = await startControl(path, { members: () => MEMBERS, status: () => STATUS }, createLogger({ format: 'json', write: () => undefined }));
  t.teardown(() => ctl.close());
  return path;
}

test('agent members prints a table sorted by name with this node marked', async (t) => {
  const path = await daemon(t);
  const r = await runAgent(['members', '--socket', path]);
  t.is(r.code, 0, r.err);
  t.is(r.err, '');
  t.is(
    r.out,
    [
      'NAME           ADDRESS         STATE    INCARNATION  ATTESTED  LAST-UPDATE',
      'node-a (self)  127.0.0.1:7946  alive    3000000      yes       2026-11-24T12:00:00.000Z',
      'node-b         [::1]:7947      suspect  2000001      no        2026-11-24T12:00:01.500Z',
      'node-c         127.0.0.3:7946  dead     1000004      no        2026-11-24T12:01:00.000Z',
      '',
    ].join('\n'),
  );
});

test('agent members --json prints the member list as the daemon sent it', async (t) => {
  const path = await daemon(t);
  const r = await runAgent(['members', '--json', '--socket', path]);
  t.is(r.code, 0, r.err);
  t.deepEqual(JSON.parse(r.out), MEMBERS);
});

test('agent status prints the status object, and --json prints it as JSON', async (t) => {
  const path = await daemon(t);
  const r = await runAgent(['status', '--socket', path]);
  t.is(r.code, 0, r.err);
  t.is(
    r.out,
    ['name:        node-a', 'address:     127.0.0.1:7946', 'state:       alive', 'incarnation: 3000000', 'members:     alive=1 suspect=1 dead=1 left=0', 'uptimeSec:   42', ''].join('\n'),
  );
  const j = await runAgent(['status', '--json', '--socket', path]);
  t.is(j.code, 0);
  t.deepEqual(JSON.parse(j.out), STATUS);
});

test('no daemon: one line on stderr, exit 1, nothing on stdout', async (t) => {
  const path = join(mkdtempSync(join(tmpdir(), 'cli-ctl-')), 'none.sock');
  for (const cmd of ['members', 'status']) {
    const r = await runAgent([cmd, '--socket', path]);
    t.is(r.code, 1);
    t.is(r.out, '');
    t.is(r.err, `agent ${cmd}: no agent daemon is listening on ${path}\n`);
  }
});

test('members and status are listed in help; their flags are checked', async (t) => {
  const h = await runAgent(['--help']);
  t.regex(h.out, /^\s+members\s+list the gossip members a running daemon sees$/m);
  t.regex(h.out, /^\s+status\s+show this node's gossip status/m);
  const mh = await runAgent(['members', '--help']);
  t.regex(mh.out, /--socket PATH\s+the daemon's control socket \(default \/run\/fortros\/agent\.sock/);
  t.is((await runAgent(['members', '--socket'])).code, 2);
  t.is((await runAgent(['status', 'extra'])).code, 2);
});

test('renderMembers: an empty list is the header alone', (t) => {
  t.is(renderMembers([]), 'NAME  ADDRESS  STATE  INCARNATION  ATTESTED  LAST-UPDATE\n');
});
