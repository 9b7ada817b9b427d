// The fake AMT/DASH services must be as strict as the real ones, or the
// channel tests prove nothing: these check the fake itself.
import test from 'ava';
import { createHash } from 'node:crypto';
import { DigestServer } from '../fakes/wsman/digest.ts';
import { PowerMachine } from '../fakes/wsman/machine.ts';
import { FakeWsman } from '../fakes/wsman/server.ts';

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

function answer(challenge: string, user: string, password: string, nc: string, cnonce = 'abc'): string {
  const realm = /realm="([^"]*)"/.exec(challenge)?.[1] ?? '';
  const nonce = /nonce="([^"]*)"/.exec(challenge)?.[1] ?? '';
  const r = md5(`${md5(`${user}:${realm}:${password}`)}:${nonce}:${nc}:${cnonce}:auth:${md5('POST:/wsman')}`);
  return `Digest username="${user}", realm="${realm}", nonce="${nonce}", uri="/wsman", qop=auth, nc=${nc}, cnonce="${cnonce}", response="${r}"`;
}

test('fake digest: right answer ok, wrong password bad, replayed nc bad, expired nonce stale', (t) => {
  const s = new DigestServer('Digest:00', 'admin', 'pw');
  const ch = s.challenge();
  t.regex(ch, /stale="false", qop="auth"/);
  t.is(s.verify(answer(ch, 'admin', 'pw', '00000001'), 'POST'), 'ok');
  t.is(s.verify(answer(ch, 'admin', 'nope', '00000002'), 'POST'), 'bad');
  t.is(s.verify(answer(ch, 'admin', 'pw', '00000001'), 'POST'), 'bad');
  t.is(s.verify(answer(ch, 'admin', 'pw', '00000003'), 'POST'), 'ok');
  s.expireAll();
  t.is(s.verify(answer(ch, 'admin', 'pw', '00000004'), 'POST'), 'stale');
  t.is(s.verify(answer(ch, 'admin', 'nope', '00000005'), 'POST'), 'bad');
  t.regex(s.challenge(true), /stale="true"/);
  t.deepEqual(s.ncSeen, [1, 3]);
});

test('fake machine: changes land after settleMs, a cycle passes through off, a second request meanwhile is Busy', (t) => {
  const m = new PowerMachine({ state: 2, settleMs: 100 });
  t.is(m.request(5, 0), 0);
  t.is(m.read(50).state, 2);
  t.is(m.request(8, 50), 4099);
  t.deepEqual(m.read(120), { state: 8, offered: [2] });
  t.deepEqual(m.read(220), { state: 2, offered: [5, 8, 10] });
  t.is(m.request(2, 300), 4097);
  t.is(m.request(11, 300), 1);
  t.deepEqual(m.accepted, [5]);
});

test('fake SOAP: not SOAP 1.2 -> VersionMismatch; missing MessageID -> InvalidMessageInformationHeader; unknown action -> ActionNotSupported', (t) => {
  const f = new FakeWsman({ kind: 'amt', user: 'admin', password: 'pw' });
  const env = (ns: string, header: string, body = ''): string => `<s:Envelope xmlns:s="${ns}" xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" xmlns:w="http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"><s:Header>${header}</s:Header><s:Body>${body}</s:Body></s:Envelope>`;
  const [s11] = f.soap(env('http://schemas.xmlsoap.org/soap/envelope/', ''));
  t.is(s11, 400);
  const reply = '<a:ReplyTo><a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo><a:To>/wsman</a:To>';
  const [noId] = f.soap(env('http://www.w3.org/2003/05/soap-envelope', `<a:Action>x</a:Action>${reply}`));
  t.is(noId, 400);
  const uri = '<w:ResourceURI>http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_AssociatedPowerManagementService</w:ResourceURI>';
  const [status, xml] = f.soap(env('http://www.w3.org/2003/05/soap-envelope', `<a:Action>urn:nope</a:Action><a:MessageID>uuid:1</a:MessageID>${reply}${uri}`));
  t.is(status, 400);
  t.regex(xml, /<b:RelatesTo>uuid:1<\/b:RelatesTo>/);
  t.deepEqual(f.faults, ['VersionMismatch', 'InvalidMessageInformationHeader', 'ActionNotSupported']);
});
