import test from 'ava';
import fc from 'fast-check';
import * as cmd from '../../agent/tpm/commands.ts';
import { decodeRc, rcText } from '../../agent/tpm/rc.ts';
import { parsePcrSelection } from '../../agent/tpm/pcr-selection.ts';
import { parseResponse } from '../../agent/tpm/response.ts';
import { akTemplate, AK_ATTRIBUTES } from '../../agent/tpm/public.ts';
import { parseTpmUri } from '../../agent/tpm/client.ts';

test('Startup(CLEAR) is the 12 bytes of Part 3 section 9.3', (t) => {
  t.is(cmd.startup().toString('hex'), '80010000000c000001440000');
});

test('PCR_Read marshals a 3-byte select with the chosen bits', (t) => {
  const b = cmd.pcrRead([{ hash: 'sha256', pcrs: [0, 1, 2, 3, 4, 7, 16] }]);
  // header | count 1 | TPM_ALG_SHA256 | sizeofSelect 3 | 0x9f 0x00 0x01
  t.is(b.toString('hex'), '800100000014' + '0000017e' + '00000001' + '000b' + '03' + '9f0001');
});

test('Quote carries a TPM_RS_PW auth area and the TPM_ST_SESSIONS tag', (t) => {
  const b = cmd.quoteCmd(0x80000000, Buffer.from('abcd', 'hex'), [{ hash: 'sha256', pcrs: [0] }]);
  t.is(b.readUInt16BE(0), 0x8002);
  t.is(b.readUInt32BE(2), b.length);
  t.is(b.readUInt32BE(6), 0x158);
  t.is(b.readUInt32BE(10), 0x80000000);
  t.is(b.readUInt32BE(14), 9); // authorizationSize
  t.is(b.readUInt32BE(18), 0x40000009);
  t.is(b.subarray(27).toString('hex'), '0002abcd' + '0010' + '00000001000b03010000');
});

test('the AK template is fixed: ECC P-256, ECDSA-SHA256, restricted signing attributes', (t) => {
  t.is(AK_ATTRIBUTES, 0x00050072);
  t.is(akTemplate().toString('hex'), '0023' + '000b' + '00050072' + '0000' + '0010' + '0018000b' + '0003' + '0010' + '0000' + '0000');
});

test('response codes decode into readable names with their position', (t) => {
  t.is(rcText(0x1c4), 'TPM_RC_VALUE (parameter 1) [0x1c4]');
  t.deepEqual(decodeRc(0x18b).where, { kind: 'handle', index: 1 });
  t.is(decodeRc(0x18b).name, 'TPM_RC_HANDLE');
  t.deepEqual(decodeRc(0x98e).where, { kind: 'session', index: 1 });
  t.is(decodeRc(0x98e).name, 'TPM_RC_AUTH_FAIL');
  t.is(decodeRc(0x100).name, 'TPM_RC_INITIALIZE');
  t.is(decodeRc(0x143).name, 'TPM_RC_COMMAND_CODE');
  t.like(decodeRc(0x922), { name: 'TPM_RC_RETRY', warning: true });
  t.is(decodeRc(0x911).name, 'TPM_RC_REFERENCE_H1');
  t.is(decodeRc(0x2a).name, 'TPM 1.2 error 0x02a');
});

test('an error response becomes a TPM_RC error, never a value', (t) => {
  const r = cmd.parsePcrRead(Buffer.from('80010000000a000001c4', 'hex'));
  t.deepEqual(r, { ok: false, error: { code: 'TPM_RC', message: 'TPM_RC_VALUE (parameter 1) [0x1c4]', rc: 0x1c4 } });
});

test('truncated, oversized, mis-sized and mis-tagged responses are typed errors', (t) => {
  const good = Buffer.from('80010000000c00000000' + '0000', 'hex');
  t.like(parseResponse(good.subarray(0, 5), 0, () => 1), { ok: false, error: { code: 'TRUNCATED' } });
  t.like(parseResponse(good.subarray(0, 11), 0, () => 1), { ok: false, error: { code: 'TRUNCATED' } });
  t.like(parseResponse(Buffer.concat([good, Buffer.alloc(1)]), 0, () => 1), { ok: false, error: { code: 'MALFORMED' } });
  t.like(parseResponse(Buffer.alloc(0x10001), 0, () => 1), { ok: false, error: { code: 'TOO_LARGE' } });
  const badTag = Buffer.from(good);
  badTag.writeUInt16BE(0xc4, 0);
  t.like(parseResponse(badTag, 0, () => 1), { ok: false, error: { code: 'MALFORMED', offset: 0 } });
  // GetRandom promising 2 bytes, holding 1.
  t.like(cmd.parseGetRandom(Buffer.from('80010000000d00000000000201', 'hex')), { ok: false, error: { code: 'TRUNCATED' } });
  t.deepEqual(cmd.parseGetRandom(Buffer.from('80010000000e000000000002abcd', 'hex')), { ok: true, value: Buffer.from('abcd', 'hex') });
});

test('a TPML_PCR_SELECTION with an absurd count is MALFORMED, not a huge loop', (t) => {
  const r = cmd.parsePcrRead(Buffer.from('80010000001200000000' + '00000000' + 'ffffffff', 'hex'));
  t.like(r, { ok: false, error: { code: 'MALFORMED' } });
});

test('parsePcrSelection reads tpm2-tools selections and rejects the rest', (t) => {
  t.deepEqual(parsePcrSelection('sha256:7,0,1,2,3,4'), { ok: true, value: [{ hash: 'sha256', pcrs: [0, 1, 2, 3, 4, 7] }] });
  t.deepEqual(parsePcrSelection('sha1:0+sha256:23'), { ok: true, value: [{ hash: 'sha1', pcrs: [0] }, { hash: 'sha256', pcrs: [23] }] });
  for (const bad of ['sha256:24', 'md5:1', 'sha256:', 'sha256:1,,2', 'sha256:1+sha256:2', '']) {
    t.like(parsePcrSelection(bad), { ok: false, error: { code: 'USAGE' } }, bad);
  }
});

test('TPM URIs: device paths and swtpm:HOST:PORT', (t) => {
  t.deepEqual(parseTpmUri('/dev/tpmrm0'), { ok: true, value: { kind: 'device', path: '/dev/tpmrm0' } });
  t.deepEqual(parseTpmUri('device:/dev/tpm0'), { ok: true, value: { kind: 'device', path: '/dev/tpm0' } });
  t.deepEqual(parseTpmUri('swtpm:127.0.0.1:2321'), { ok: true, value: { kind: 'swtpm', host: '127.0.0.1', port: 2321 } });
  t.like(parseTpmUri('swtpm:h:70000'), { ok: false, error: { code: 'USAGE' } });
  t.like(parseTpmUri('tpm0'), { ok: false, error: { code: 'USAGE' } });
});

const parsers = [cmd.parseGetCapability, cmd.parsePcrRead, cmd.parseCreatePrimary, cmd.parseReadPublic, cmd.parseQuote, cmd.parseGetRandom, cmd.parseStartup];

test('fuzz: every response parser returns a result for arbitrary bytes', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
      for (const p of parsers) {
        const r = p(bytes);
        if (typeof r.ok !== 'boolean') return false;
        if (!r.ok && (typeof r.error.message !== 'string' || r.error.message.length === 0)) return false;
      }
      return true;
    }),
    { numRuns: 3000 },
  );
  t.pass();
});

test('fuzz: responses with a valid header and random bodies never throw', (t) => {
  fc.assert(
    fc.property(fc.boolean(), fc.uint8Array({ maxLength: 400 }), (sessions, body) => {
      const b = Buffer.alloc(10 + body.length);
      b.writeUInt16BE(sessions ? 0x8002 : 0x8001, 0);
      b.writeUInt32BE(b.length, 2);
      Buffer.from(body).copy(b, 10);
      return parsers.every((p) => typeof p(b).ok === 'boolean');
    }),
    { numRuns: 3000 },
  );
  t.pass();
});
