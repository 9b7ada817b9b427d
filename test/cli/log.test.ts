import test from 'ava';
import { createLogger, prettyLine, chooseFormat } from '../../agent/log.ts';

test('secrets are redacted by key at any depth', (t) => {
  const lines: string[] = [];
  const log = createLogger({ format: 'json', write: (s) => lines.push(s) });
  log.info({ password: 'hunter2', bmc: { user: 'op', password: 'hunter3' }, a: { b: { token: 'tok' } } }, 'provisioned');
  const joined = lines.join('');
  t.false(joined.includes('hunter2'));
  t.false(joined.includes('hunter3'));
  t.false(joined.includes('tok"'));
  const rec = JSON.parse(lines[0] as string) as { bmc: { user: string; password: string }; msg: string };
  t.is(rec.bmc.user, 'op');
  t.is(rec.bmc.password, '[redacted]');
  t.is(rec.msg, 'provisioned');
});

test('pretty form is one readable line per record', (t) => {
  const line = prettyLine(JSON.stringify({ level: 30, time: Date.UTC(2026, 0, 1, 12, 0, 0, 123), pid: 1, msg: 'watchdog armed', device: '/dev/watchdog0', timeoutSec: 30 }));
  t.is(line, '12:00:00.123 INFO  watchdog armed device=/dev/watchdog0 timeoutSec=30\n');
  t.is(prettyLine('not json'), 'not json');
});

test('format: terminal -> pretty, pipe -> json, env wins', (t) => {
  t.is(chooseFormat({}, true), 'pretty');
  t.is(chooseFormat({}, false), 'json');
  t.is(chooseFormat({ FORTROS_LOG_FORMAT: 'json' }, true), 'json');
  t.is(chooseFormat({ FORTROS_LOG_FORMAT: 'pretty' }, false), 'pretty');
});
