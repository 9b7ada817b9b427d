// Against a real swtpm, cross-checked with tpm2-tools on the same simulator. swtpm serves one
// client at a time, so our connection is closed before any tpm2-tools command runs.

import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openTpm, readPcrs, info, exec, createAk, readPublic, flush, getRandom } from '../../agent/tpm/client.ts';
import { quote, verifyQuote } from '../../agent/tpm/quote.ts';
import * as cmd from '../../agent/tpm/commands.ts';
import { TpmFailure, type Tpm } from '../../agent/tpm/types.ts';
import { runAgent } from '../helpers/run.ts';
import { hasTool, startSwtpm, type Swtpm } from './swtpm.ts';

const missing = ['swtpm', 'tpm2_quote', 'tpm2_checkquote'].filter((t) => !hasTool(t));
const it = missing.length ? test.serial.skip : test.serial;
if (missing.length) console.log(`skipping swtpm tests: ${missing.join(', ')} not installed (apt-get install swtpm swtpm-tools tpm2-tools)`);

let sw: Swtpm;
let work: string;
const NONCE = '0011223344556677';

test.before(async () => {
  if (missing.length) return;
  sw = await startSwtpm();
  work = mkdtempSync(join(tmpdir(), 'tpmtest-'));
  // Non-zero PCRs, so equal values mean something.
  tools('tpm2_pcrextend', '7:sha256=' + 'ab'.repeat(32));
  tools('tpm2_pcrextend', '0:sha256=' + '01'.repeat(32));
});
test.after.always(async () => {
  await sw?.stop();
  if (work) rmSync(work, { recursive: true, force: true });
});

function run(name: string, args: string[]): string {
  return execFileSync(name, args, { env: { ...process.env, TPM2TOOLS_TCTI: sw.tcti }, cwd: work, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** swtpm has 3 transient object slots and tpm2-tools leaves its objects loaded: flush after each call. */
function tools(name: string, ...args: string[]): string {
  try {
    return run(name, args);
  } finally {
    run('tpm2_flushcontext', ['-t']);
    run('tpm2_flushcontext', ['-s']);
  }
}

async function withTpm<T>(f: (tpm: Tpm) => Promise<T>): Promise<T> {
  const tpm = await openTpm(sw.uri, 10_000);
  try {
    return await f(tpm);
  } finally {
    await tpm.close();
  }
}

it('PCR_Read values equal tpm2_pcrread', async (t) => {
  const ours = await withTpm((tpm) => readPcrs(tpm, [{ hash: 'sha256', pcrs: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] }]));
  const text = tools('tpm2_pcrread', 'sha256:0,1,2,3,4,5,6,7,8,9,10,11');
  const theirs = new Map([...text.matchAll(/^\s*(\d+)\s*:\s*0x([0-9A-F]+)$/gim)].map((m) => [Number(m[1]), (m[2] as string).toLowerCase()]));
  t.is(theirs.size, 12);
  for (const [i, v] of theirs) t.is(ours.get('sha256')?.get(i)?.toString('hex'), v, `PCR ${i}`);
  t.not(theirs.get(7), '00'.repeat(32));
});

it('info: manufacturer, firmware and the PCR banks, as tpm2_getcap reports them', async (t) => {
  const i = await withTpm(info);
  const props = tools('tpm2_getcap', 'properties-fixed');
  const vendor = /TPM2_PT_MANUFACTURER:\s*\n\s*raw: 0x([0-9A-F]+)\s*\n\s*value: "([^"]*)"/i.exec(props);
  t.truthy(vendor);
  t.is(i.manufacturer, vendor?.[2] ?? '(no TPM2_PT_MANUFACTURER in tpm2_getcap)');
  const fw1 = /TPM2_PT_FIRMWARE_VERSION_1:\s*\n\s*raw: 0x([0-9A-F]+)/i.exec(props);
  t.is(i.firmwareRaw[0], parseInt(fw1?.[1] ?? 'x', 16));
  t.deepEqual(i.banks.map((b) => b.hash), ['sha1', 'sha256', 'sha384', 'sha512']);
  t.true(i.algorithms.includes('ecdsa'));
});

it('our quote passes tpm2_checkquote, and the AK is the same every time', async (t) => {
  const sel = [{ hash: 'sha256' as const, pcrs: [0, 1, 2, 3, 4, 7] }];
  const q1 = await withTpm((tpm) => quote(tpm, Buffer.from(NONCE, 'hex'), sel));
  const q2 = await withTpm((tpm) => quote(tpm, Buffer.from(NONCE, 'hex'), sel));
  t.is(q1.akPem, q2.akPem);
  writeFileSync(join(work, 'ours.msg'), q1.msg);
  writeFileSync(join(work, 'ours.sig'), q1.sig);
  writeFileSync(join(work, 'ours.pem'), q1.akPem);
  const out = tools('tpm2_checkquote', '-u', 'ours.pem', '-m', 'ours.msg', '-s', 'ours.sig', '-g', 'sha256', '-q', NONCE);
  t.regex(out, /^sig: [0-9a-f]+$/m); // printed only after the signature and nonce check out
  const v = verifyQuote({ akPem: q1.akPem, msg: q1.msg, sig: q1.sig, nonce: Buffer.from(NONCE, 'hex') });
  t.true(v.ok);
  if (v.ok) t.is(v.value.pcrs, 'sha256:0,1,2,3,4,7');
  // tpm2_checkquote must also reject our quote with another nonce: it is a real check.
  t.throws(() => tools('tpm2_checkquote', '-u', 'ours.pem', '-m', 'ours.msg', '-s', 'ours.sig', '-g', 'sha256', '-q', 'ffff'));
});

for (const [label, G, s] of [
  ['ECDSA P-256', 'ecc', 'ecdsa'],
  ['RSA-2048 RSASSA', 'rsa', 'rsassa'],
] as const) {
  it(`agent tpm verify-quote accepts a tpm2_quote by a tpm2_createak ${label} AK and rejects tampering`, async (t) => {
    tools('tpm2_createek', '-c', `ek-${G}.ctx`, '-G', G, '-u', `ek-${G}.pub`);
    tools('tpm2_createak', '-C', `ek-${G}.ctx`, '-c', `ak-${G}.ctx`, '-G', G, '-g', 'sha256', '-s', s, '-u', `ak-${G}.pem`, '-f', 'pem', '-n', `ak-${G}.name`);
    tools('tpm2_quote', '-c', `ak-${G}.ctx`, '-l', 'sha256:0,1,2,3,4,7', '-q', NONCE, '-m', `${G}.msg`, '-s', `${G}.sig`, '-g', 'sha256');
    const f = (n: string): string => join(work, n);
    const ok = await runAgent(['tpm', 'verify-quote', '--ak', f(`ak-${G}.pem`), '--msg', f(`${G}.msg`), '--sig', f(`${G}.sig`), '--nonce', NONCE]);
    t.is(ok.code, 0, ok.err);
    t.regex(ok.out, /pcrs: sha256:0,1,2,3,4,7/);

    const wrongNonce = await runAgent(['tpm', 'verify-quote', '--ak', f(`ak-${G}.pem`), '--msg', f(`${G}.msg`), '--sig', f(`${G}.sig`), '--nonce', 'ffff']);
    t.is(wrongNonce.code, 1);
    t.regex(wrongNonce.err, /BAD_NONCE/);

    const msg = readFileSync(f(`${G}.msg`));
    const flippedMsg = Buffer.from(msg);
    flippedMsg[flippedMsg.length - 1] = (flippedMsg[flippedMsg.length - 1] as number) ^ 1;
    writeFileSync(f(`${G}.msg.bad`), flippedMsg);
    const badMsg = await runAgent(['tpm', 'verify-quote', '--ak', f(`ak-${G}.pem`), '--msg', f(`${G}.msg.bad`), '--sig', f(`${G}.sig`), '--nonce', NONCE]);
    t.is(badMsg.code, 1);
    t.regex(badMsg.err, /BAD_SIGNATURE/);

    const sig = Buffer.from(readFileSync(f(`${G}.sig`)));
    sig[sig.length - 3] = (sig[sig.length - 3] as number) ^ 0x10;
    writeFileSync(f(`${G}.sig.bad`), sig);
    const badSig = await runAgent(['tpm', 'verify-quote', '--ak', f(`ak-${G}.pem`), '--msg', f(`${G}.msg`), '--sig', f(`${G}.sig.bad`), '--nonce', NONCE]);
    t.is(badSig.code, 1);
    t.regex(badSig.err, /BAD_SIGNATURE/);

    // Our own fixed-template AK is a different key from tpm2_createak's.
    const ours = await withTpm((tpm) => quote(tpm, Buffer.from(NONCE, 'hex'), [{ hash: 'sha256', pcrs: [0] }]));
    const wrong = verifyQuote({ akPem: ours.akPem, msg, sig: readFileSync(f(`${G}.sig`)), nonce: Buffer.from(NONCE, 'hex') });
    t.like(wrong, { ok: false, error: { code: 'BAD_SIGNATURE' } });

    const notQuote = verifyQuote({ akPem: ours.akPem, msg: readFileSync(f(`ak-${G}.name`)), sig: readFileSync(f(`${G}.sig`)), nonce: Buffer.from(NONCE, 'hex') });
    t.like(notQuote, { ok: false, error: { code: 'NOT_A_QUOTE' } });
  });
}

it('agent tpm quote writes msg, sig, ak.pem that agent tpm verify-quote and tpm2_checkquote accept', async (t) => {
  const dir = join(work, 'cli');
  const q = await runAgent(['tpm', 'quote', '--tpm', sw.uri, '--nonce', NONCE, '--pcrs', 'sha256:0,1,2,3,4,7', '--out', dir]);
  t.is(q.code, 0, q.err);
  const v = await runAgent(['tpm', 'verify-quote', '--ak', join(dir, 'ak.pem'), '--msg', join(dir, 'msg'), '--sig', join(dir, 'sig'), '--nonce', NONCE, '--json']);
  t.is(v.code, 0, v.err);
  t.like(JSON.parse(v.out), { ok: true, pcrs: 'sha256:0,1,2,3,4,7', sigAlg: 'ecdsa-sha256' });
  t.notThrows(() => tools('tpm2_checkquote', '-u', 'cli/ak.pem', '-m', 'cli/msg', '-s', 'cli/sig', '-g', 'sha256', '-q', NONCE));
  const i = await runAgent(['tpm', 'info', '--tpm', sw.uri]);
  t.is(i.code, 0, i.err);
  t.regex(i.out, /^manufacturer: IBM$/m);
  t.regex(i.out, /^banks: sha1:0,.* sha256:0,1,2,.*23 /m);
});

it('real TPM errors are decoded: a bad handle to Quote, a non-hash PCR bank, an unknown command', async (t) => {
  const err = await withTpm(async (tpm) => {
    try {
      await exec(tpm, cmd.quoteCmd(0x80ffffff, Buffer.alloc(0), [{ hash: 'sha256', pcrs: [0] }]), cmd.parseQuote);
      return undefined;
    } catch (e) {
      return e;
    }
  });
  t.true(err instanceof TpmFailure);
  const te = (err as TpmFailure).error;
  t.is(te.code, 'TPM_RC');
  t.is(te.message, 'TPM_RC_VALUE (handle 1) [0x184]');
  t.is(te.rc, 0x184);
  // PCR_Read of a "bank" whose algorithm is not a hash (TPM_ALG_HMAC).
  const noBank = await withTpm(async (tpm) => tpm.transmit(Buffer.from('800100000014' + '0000017e' + '00000001' + '0005' + '03010000', 'hex')));
  t.true(noBank.ok);
  if (noBank.ok) t.like(cmd.parsePcrRead(noBank.value), { ok: false, error: { code: 'TPM_RC', message: 'TPM_RC_HASH (parameter 1) [0x1c3]' } });
  const unknown = await withTpm(async (tpm) => tpm.transmit(Buffer.from('80010000000a20000000', 'hex')));
  t.true(unknown.ok);
  if (unknown.ok) t.like(cmd.parseStartup(unknown.value), { ok: false, error: { code: 'TPM_RC', message: 'TPM_RC_COMMAND_CODE [0x143]' } });
});

it('the fixed-template AK survives a TPM restart (same seed: same key), and ReadPublic agrees with CreatePrimary', async (t) => {
  const sel = [{ hash: 'sha256' as const, pcrs: [0] }];
  const before = await withTpm((tpm) => quote(tpm, Buffer.from(NONCE, 'hex'), sel));
  await sw.stop(true);
  sw = await startSwtpm({ dir: sw.dir });
  const after = await withTpm((tpm) => quote(tpm, Buffer.from(NONCE, 'hex'), sel));
  t.is(after.akPem, before.akPem);
  const [created, read] = await withTpm(async (tpm) => {
    const ak = await createAk(tpm);
    try {
      return [ak, await readPublic(tpm, ak.handle)] as const;
    } finally {
      await flush(tpm, ak.handle);
    }
  });
  t.deepEqual(read.pub, created.pub);
  t.deepEqual(read.name, created.name);
  t.is(created.name.readUInt16BE(0), 0x000b); // nameAlg SHA256 || digest
  t.is(created.name.length, 34);
});

it('GetRandom returns the requested number of fresh bytes', async (t) => {
  const [a, b] = await withTpm(async (tpm) => [await getRandom(tpm, 16), await getRandom(tpm, 16)] as const);
  t.is(a.length, 16);
  t.notDeepEqual(a, b);
});

it('CLI usage errors exit 2; an unreachable TPM exits 1 with the reason', async (t) => {
  t.is((await runAgent(['tpm'])).code, 2);
  t.is((await runAgent(['tpm', 'frob'])).code, 2);
  t.is((await runAgent(['tpm', 'quote', '--tpm', sw.uri, '--nonce', 'xyz', '--pcrs', 'sha256:0', '--out', work])).code, 2);
  const r = await runAgent(['tpm', 'info', '--tpm', 'swtpm:127.0.0.1:1']);
  t.is(r.code, 1);
  t.regex(r.err, /IO: connect swtpm:127.0.0.1:1/);
});
