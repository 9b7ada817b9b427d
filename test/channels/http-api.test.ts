// Unit tests of the JSON API helpers every cloud and hypervisor channel uses:
// apiTarget's reading of --endpoint (default URL, IPv6 literals, path prefix,
// credentials and plain HTTP refused unless asked for, pins only on https) and
// statusError's mapping of HTTP statuses to channel error codes.

import test from 'ava';
import fc from 'fast-check';
import { apiTarget, excerpt, statusError } from '../../agent/channels/http/api.ts';
import type { ChannelOptions } from '../../agent/channels/types.ts';

const PIN = `sha256:${'0f'.repeat(32)}`;
const target = (endpoint: string | undefined, more: Partial<ChannelOptions> = {}) => apiTarget({ ...(endpoint === undefined ? {} : { params: { endpoint } }), ...more }, 'https://api.example.test/v1');
const code = (r: ReturnType<typeof target>) => (r.ok ? 'ok' : r.error.code);

test('the default URL: CA-checked HTTPS on 443 with its path as the base', (t) => {
  const r = target(undefined);
  if (!r.ok) return t.fail(r.error.message);
  t.deepEqual(r.value, { ep: { host: 'api.example.test', port: 443, pin: null, caTls: true }, base: '/v1', origin: 'https://api.example.test:443' });
});

test('--endpoint replaces it: port, path prefix without trailing slashes', (t) => {
  const r = target('https://pve.lan:8006/api2/json//');
  if (!r.ok) return t.fail(r.error.message);
  t.deepEqual(r.value, { ep: { host: 'pve.lan', port: 8006, pin: null, caTls: true }, base: '/api2/json', origin: 'https://pve.lan:8006' });
  const root = target('https://h.example/');
  t.is(root.ok ? root.value.base : null, '');
});

test('IPv6 literals lose their brackets in the endpoint and keep them in the origin', (t) => {
  const r = target('https://[::1]:8443/api/');
  if (!r.ok) return t.fail(r.error.message);
  t.deepEqual(r.value.ep, { host: '::1', port: 8443, pin: null, caTls: true });
  t.is(r.value.origin, 'https://[::1]:8443');
  t.is(r.value.base, '/api');
  const full = target('http://[fe80::1:2]/', { insecureHttp: true });
  t.true(full.ok && full.value.ep.host === 'fe80::1:2' && full.value.ep.port === 80 && full.value.origin === 'http://[fe80::1:2]:80');
});

test('plain HTTP only with insecureHttp, and then neither pinned nor CA-checked', (t) => {
  t.is(code(target('http://127.0.0.1:8080/v2')), 'CONFIG');
  const r = target('http://127.0.0.1:8080/v2', { insecureHttp: true });
  if (!r.ok) return t.fail(r.error.message);
  t.deepEqual(r.value.ep, { host: '127.0.0.1', port: 8080, pin: null });
  t.regex((target('http://h/') as { error: { message: string } }).error.message, /--insecure-http/);
});

test('credentials in the URL are refused, and not repeated', (t) => {
  for (const url of ['https://user:hunter2-secret@h.example/', 'https://user@h.example/', 'https://:hunter2-secret@h.example/']) {
    const r = target(url);
    t.is(code(r), 'CONFIG', url);
    t.false(JSON.stringify(r).includes('hunter2-secret'));
  }
});

test('a pin needs https; a malformed pin is CONFIG; a good one replaces the CA check', (t) => {
  t.is(code(target('http://h.example/', { insecureHttp: true, tlsFingerprint: PIN })), 'CONFIG');
  t.is(code(target('https://h.example/', { tlsFingerprint: 'sha256:abc' })), 'CONFIG');
  t.is(code(target('https://h.example/', { tlsFingerprint: `md5:${'00'.repeat(16)}` })), 'CONFIG');
  const r = target('https://h.example:9443/', { tlsFingerprint: PIN.toUpperCase().replace('SHA256', 'sha256') });
  if (!r.ok) return t.fail(r.error.message);
  t.deepEqual(r.value.ep, { host: 'h.example', port: 9443, pin: Buffer.from('0f'.repeat(32), 'hex') });
  const colons = target('https://h.example/', { tlsFingerprint: `sha256:${Array(32).fill('0f').join(':')}` });
  t.true(colons.ok && colons.value.ep.pin?.equals(Buffer.from('0f'.repeat(32), 'hex')));
});

test('other schemes, queries, fragments and non-URLs are CONFIG; a long non-URL is cut in the message', (t) => {
  for (const url of ['ftp://h.example/', 'file:///etc/passwd', 'https://h.example/?x=1', 'https://h.example/#f', 'not a url', '']) t.is(code(target(url, { insecureHttp: true })), 'CONFIG', url);
  const long = target('x'.repeat(5000));
  t.true(!long.ok && long.error.message.length < 200);
});

test('statusError: 401/403 AUTH, 404 CONFIG, the busy statuses BUSY, 5xx UNREACHABLE, other 4xx CONFIG', (t) => {
  const c = (s: number) => statusError(s, 'GET /x').code;
  t.deepEqual([401, 403].map(c), ['AUTH', 'AUTH']);
  t.is(c(404), 'CONFIG');
  t.deepEqual([408, 409, 423, 425, 429, 503].map(c), Array(6).fill('BUSY'));
  t.deepEqual([500, 502, 504, 599].map(c), Array(4).fill('UNREACHABLE'));
  t.deepEqual([400, 405, 410, 422, 451].map(c), Array(5).fill('CONFIG'));
  t.is(statusError(404, 'GET /servers/1', 'gone').message, 'GET /servers/1: HTTP 404, no such resource: gone');
  t.is(statusError(401, 'GET /x').message, 'GET /x: HTTP 401, the credentials were refused');
});

test('statusError: a provider detail is bounded and printable', (t) => {
  const m = statusError(500, 'GET /x', `a\u0000b\nc${'z'.repeat(1000)}`).message;
  t.true(m.startsWith('GET /x: HTTP 500: a?b?c'));
  t.true(m.length <= 'GET /x: HTTP 500: '.length + 200);
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 999 }), fc.string({ maxLength: 400 }), (s, detail) => {
      const e = statusError(s, 'w', detail);
      return ['AUTH', 'CONFIG', 'BUSY', 'UNREACHABLE'].includes(e.code) && /^[\x20-\x7e]*$/.test(e.message) && excerpt(detail).length <= 200;
    }),
  );
});
