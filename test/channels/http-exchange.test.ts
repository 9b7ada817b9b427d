// The shared HTTP exchange must turn every failure into a channel error: a
// header value Node refuses to send (a token with a line break read from a
// file) once threw out of a socket callback and ended the process.
import test from 'ava';
import { exchange } from '../../agent/channels/http/exchange.ts';
import { deadlineIn } from '../../agent/channels/types.ts';
import { ApiServer } from '../fakes/api-server.ts';

test('a header value HTTP cannot carry is a CONFIG error that does not echo the value, and nothing is sent', async (t) => {
  const fake = new ApiServer(() => ({ status: 200, json: {} }));
  const port = await fake.start();
  try {
    const r = await exchange({ host: '127.0.0.1', port, pin: null }, { method: 'GET', path: '/x', headers: { Authorization: 'Bearer tok\r\nX-Evil: 1' } }, deadlineIn(2000));
    t.false(r.ok);
    if (!r.ok) {
      t.is(r.error.code, 'CONFIG');
      t.notRegex(r.error.message, /tok|Evil/);
    }
    t.is(fake.log.length, 0);
    const ok = await exchange({ host: '127.0.0.1', port, pin: null }, { method: 'GET', path: '/x', headers: { Authorization: 'Bearer tok' } }, deadlineIn(2000));
    t.true(ok.ok);
    t.is(fake.log.length, 1);
  } finally {
    await fake.stop();
  }
});
