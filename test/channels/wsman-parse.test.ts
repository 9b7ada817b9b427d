// WS-Management reply parsing: AMT-shaped and DASH-shaped documents, SOAP
// faults to channel errors, the CIM tables, and fuzzing of the whole untrusted
// path (bytes -> XML -> envelope -> typed result) for throws and hangs.
import test from 'ava';
import fc from 'fast-check';
import { ACTION, NS, URI, enumerate, escapeXml, pull, requestPowerStateChange } from '../../agent/channels/wsman/envelope.ts';
import { faultError, redact } from '../../agent/channels/wsman/errors.ts';
import { parseEnumerateResponse, parseInvokeResponse, parsePullResponse, parseReply, type Reply } from '../../agent/channels/wsman/parse.ts';
import { choose, observed, returnValueError } from '../../agent/channels/wsman/power.ts';
import { parseXml } from '../../agent/channels/wsman/xml.ts';
import * as R from '../fakes/wsman/replies.ts';

const AMT_SERVICE = [['CreationClassName', 'CIM_PowerManagementService'], ['Name', 'Intel(r) AMT Power Management Service'], ['SystemCreationClassName', 'CIM_ComputerSystem'], ['SystemName', 'Intel(r) AMT']] as const;
const AMT_SYSTEM = [['CreationClassName', 'CIM_ComputerSystem'], ['Name', 'ManagedSystem']] as const;

function body(xml: string): Extract<Reply, { kind: 'body' }> {
  const r = parseReply(xml);
  if (!r.ok || r.value.kind !== 'body') throw new Error(r.ok ? 'a fault' : r.reason);
  return r.value;
}

test('an AMT-prefixed Pull (a:, b:, c:, g:, h:) and a DASH-prefixed one give the same typed result', (t) => {
  for (const p of [R.AMT_PREFIXES, R.DASH_PREFIXES]) {
    const item = R.assocItem(p, { powerState: 2, offered: [5, 8, 10], service: AMT_SERVICE, system: AMT_SYSTEM });
    const r = body(R.pullResponse(p, item, 'uuid:1'));
    t.is(r.relatesTo, 'uuid:1');
    const page = parsePullResponse(r);
    t.true(page.ok);
    if (!page.ok) continue;
    t.true(page.value.end);
    t.is(page.value.items.length, 1);
    const a = page.value.items[0];
    t.is(a?.powerState, 2);
    t.deepEqual(a?.available, [5, 8, 10]);
    t.is(a?.service.resourceUri, URI.powerService);
    t.deepEqual(a?.service.selectors, AMT_SERVICE.map(([n, v]) => [n, v]));
    t.deepEqual(a?.managed.selectors, [['CreationClassName', 'CIM_ComputerSystem'], ['Name', 'ManagedSystem']]);
  }
});

test('EnumerateResponse context and RequestPowerStateChange ReturnValue', (t) => {
  const e = parseEnumerateResponse(body(R.enumerateResponse(R.AMT_PREFIXES, 'ctx-123', 'uuid:2')));
  t.deepEqual(e, { ok: true, value: 'ctx-123' });
  const i = parseInvokeResponse(body(R.invokeResponse(R.DASH_PREFIXES, 4099, 'uuid:3')));
  t.deepEqual(i, { ok: true, value: 4099 });
  // A reply of the wrong kind is refused by the parser of the other.
  t.false(parseInvokeResponse(body(R.enumerateResponse(R.AMT_PREFIXES, 'c', 'u'))).ok);
});

test('SOAP faults keep their resolved subcode and detail, and map to channel errors', (t) => {
  const cases: Array<[R.FaultSpec, string, string]> = [
    [R.FAULTS.destinationUnreachable(), 'CONFIG', 'DestinationUnreachable [InvalidResourceURI]'],
    [R.FAULTS.invalidSelectors('InvalidValue'), 'CONFIG', 'InvalidSelectors [InvalidValue]'],
    [R.FAULTS.actionNotSupported(), 'UNSUPPORTED', 'ActionNotSupported'],
    [R.FAULTS.invalidEnumerationContext(), 'PROTOCOL', 'InvalidEnumerationContext'],
    [R.FAULTS.versionMismatch(), 'PROTOCOL', 'VersionMismatch'],
  ];
  for (const p of [R.AMT_PREFIXES, R.DASH_PREFIXES]) {
    for (const [spec, code, text] of cases) {
      const r = parseReply(R.fault(p, spec, 'uuid:9'));
      t.true(r.ok && r.value.kind === 'fault');
      if (!r.ok || r.value.kind !== 'fault') continue;
      t.is(r.value.relatesTo, 'uuid:9');
      const e = faultError(r.value.fault, 'op');
      t.is(e.code as string, code, text);
      t.true(e.message.includes(text), e.message);
    }
  }
  // A device that echoes the request into its fault text must not carry the password into our errors.
  const echoed = faultError({ code: null, subcode: null, reason: 'bad request from admin:hunter2-secret', detail: null }, 'op');
  t.is(redact(echoed, 'hunter2-secret').message, 'op: SOAP fault unknown: bad request from admin:***');
  // A subcode whose prefix is bound to another namespace is not the WS-Management one.
  const spoof = R.fault(R.DASH_PREFIXES, R.FAULTS.invalidSelectors('InvalidValue'), null).replace(`xmlns:wsman="${NS.wsman}"`, 'xmlns:wsman="urn:other"');
  const r = parseReply(spoof);
  t.true(r.ok && r.value.kind === 'fault' && faultError(r.value.fault, 'op').code === 'PROTOCOL');
});

test('not an envelope, SOAP 1.1, two body elements, a DTD, undeclared prefixes: each a reason, no throw', (t) => {
  const reason = (x: string): string => {
    const r = parseReply(x);
    return r.ok ? 'ok' : r.reason;
  };
  t.regex(reason('<html><body>It works!</body></html>'), /not a SOAP envelope/);
  t.regex(reason('<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body/></s:Envelope>'), /not SOAP 1\.2/);
  t.regex(reason(`<s:Envelope xmlns:s="${NS.soap}"><s:Body><a/></s:Body></s:Envelope>`), /no wsa:Action/);
  const head = `<s:Header><a:Action xmlns:a="${NS.wsa}">x</a:Action></s:Header>`;
  t.regex(reason(`<s:Envelope xmlns:s="${NS.soap}">${head}<s:Body><a/><b/></s:Body></s:Envelope>`), /holds 2 elements/);
  t.regex(reason('<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>'), /DTD/);
  t.regex(reason('<q:Envelope/>'), /undeclared prefix/);
  t.regex(reason('<a><b></a>'), /not well-formed/);
  t.regex(reason(''), /0 document elements|not well-formed/);
});

test('the CIM tables: states, choices among hard states only, return values', (t) => {
  t.deepEqual([2, 3, 4, 6, 7, 8, 5, 10, 0, 12, 99].map(observed), ['on', 'on', 'on', 'off', 'off', 'off', 'transitioning', 'transitioning', 'unknown', 'unknown', 'unknown']);
  t.is(choose('off', [12, 13, 8]), 8);
  t.is(choose('off', [12, 6]), 6);
  t.is(choose('off', [12, 13]), null);
  t.is(choose('cycle', [15, 16, 9]), 9);
  t.is(choose('reset', [14]), null);
  t.is(returnValueError(0, 'x'), null);
  t.is(returnValueError(4096, 'x'), null);
  t.deepEqual([1, 2, 3, 4, 5, 6, 4097, 4098, 4099, 40000, 7].map((v) => returnValueError(v, 'x')?.code), ['UNSUPPORTED', 'STATE', 'TIMEOUT', 'STATE', 'CONFIG', 'BUSY', 'STATE', 'CONFIG', 'BUSY', 'STATE', 'STATE']);
});

test('requests: namespaces, headers and escaped selector values survive a round trip', (t) => {
  const svc = { address: 'x', resourceUri: URI.powerService, selectors: [['Name', 'A&B <"svc">']] as [string, string][] };
  const sys = { address: 'x', resourceUri: URI.computerSystem, selectors: [['Name', "O'Brien & <co>"]] as [string, string][] };
  const built = requestPowerStateChange('http://127.0.0.1:16992/wsman', svc, sys, 8, 4500);
  const doc = parseXml(built.xml);
  t.true(doc.ok);
  if (!doc.ok) return;
  const header = doc.root.children.find((c) => c.local === 'Header');
  const get = (local: string): string | undefined => header?.children.find((c) => c.local === local)?.text;
  t.is(get('Action'), ACTION.requestPowerStateChange);
  t.is(get('ResourceURI'), URI.powerService);
  t.is(get('MessageID'), built.messageId);
  t.is(get('OperationTimeout'), 'PT4.000S');
  t.regex(built.messageId, /^uuid:[0-9a-f-]{36}$/);
  const selector = header?.children.find((c) => c.local === 'SelectorSet')?.children[0];
  t.is(selector?.text, 'A&B <"svc">');
  t.true(built.xml.includes(escapeXml("O'Brien & <co>")));
  t.not(enumerate('u', URI.assocPower, 1).messageId, enumerate('u', URI.assocPower, 1).messageId);
  t.regex(pull('u', URI.assocPower, 'c&1', 1).xml, /<n:EnumerationContext>c&amp;1</);
});

const sample = R.pullResponse(R.AMT_PREFIXES, R.assocItem(R.AMT_PREFIXES, { powerState: 8, offered: [2], service: AMT_SERVICE, system: AMT_SYSTEM }), 'uuid:7');

function fullPath(input: Uint8Array | string): void {
  const r = parseReply(input);
  if (r.ok && r.value.kind === 'body') {
    parsePullResponse(r.value);
    parseEnumerateResponse(r.value);
    parseInvokeResponse(r.value);
  } else if (r.ok && r.value.kind === 'fault') faultError(r.value.fault, 'fuzz');
}

test('fuzz: random bytes through the whole reply path never throw', (t) => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 2048 }), (b) => fullPath(b)), { numRuns: 2000 });
  t.pass();
});

test('fuzz: a recorded-shape reply, cut, spliced and bit-flipped, never throws or hangs', (t) => {
  const bytes = Buffer.from(sample);
  fc.assert(
    fc.property(fc.nat(bytes.length), fc.nat(bytes.length), fc.uint8Array({ maxLength: 40 }), fc.array(fc.tuple(fc.nat(bytes.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), (a, b, insert, flips) => {
      const cut = Buffer.concat([bytes.subarray(0, Math.min(a, b)), Buffer.from(insert), bytes.subarray(Math.max(a, b))]);
      for (const [i, v] of flips) if (i < cut.length) cut[i] = v;
      const started = performance.now();
      fullPath(cut);
      // Generous: a shared, loaded machine stalls; a parser loop would take forever.
      return performance.now() - started < 3000;
    }),
    { numRuns: 1500 },
  );
  t.pass();
});

test('fuzz: structured XML with arbitrary names, prefixes and text never throws', (t) => {
  const name = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,8}(:[A-Za-z_][A-Za-z0-9_]{0,8})?$/);
  const text = fc.string({ maxLength: 20 }).map(escapeXml);
  const el: fc.Arbitrary<string> = fc.letrec<{ node: string }>((tie) => ({
    node: fc.oneof(
      { depthSize: 'small' },
      text,
      fc.tuple(name, fc.array(tie('node'), { maxLength: 4 }), fc.option(fc.tuple(name, text))).map(([n, kids, attr]) => `<${n}${attr ? ` xmlns:${attr[0].split(':')[0]}="${attr[1]}"` : ''}>${kids.join('')}</${n}>`),
    ),
  })).node;
  fc.assert(fc.property(el, (x) => fullPath(`<s:Envelope xmlns:s="${NS.soap}"><s:Body>${x}</s:Body></s:Envelope>`)), { numRuns: 1500 });
  t.pass();
});
