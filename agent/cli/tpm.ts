// `agent tpm quote | verify-quote | info`: quote PCRs with the node's fixed-template AK,
// verify a quote (ours or tpm2_quote's) offline, and show what a TPM is.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Parsed } from './args.ts';
import type { Command } from './command.ts';
import { EXIT, UsageError, type ExitCode } from './exit.ts';
import type { Io } from './io.ts';
import { info, openTpm } from '../tpm/client.ts';
import { quote, verifyQuote, MAX_NONCE } from '../tpm/quote.ts';
import { bankText, parsePcrSelection } from '../tpm/pcr-selection.ts';
import { TpmFailure, type Tpm } from '../tpm/types.ts';

const SUBCOMMANDS = ['quote', 'verify-quote', 'info'] as const;
/** Quote artefacts are a few hundred bytes; a PEM key a few KiB. Anything bigger is not one. */
const FILE_CAP = 64 * 1024;

function need(args: Parsed, name: string, sub: string): string {
  const v = args.flags.get(name);
  if (typeof v !== 'string') throw new UsageError(`agent tpm ${sub}: --${name} is required`);
  return v;
}

function nonceOf(args: Parsed, sub: string): Buffer {
  const hex = need(args, 'nonce', sub);
  if (!/^([0-9a-fA-F]{2})*$/.test(hex)) throw new UsageError(`agent tpm ${sub}: --nonce must be hex bytes`);
  const b = Buffer.from(hex, 'hex');
  if (b.length > MAX_NONCE) throw new UsageError(`agent tpm ${sub}: --nonce longer than ${MAX_NONCE} bytes`);
  return b;
}

function readCapped(io: Io, file: string): Buffer | undefined {
  try {
    const st = fs.statSync(file);
    if (st.size > FILE_CAP) {
      io.err(`agent tpm: ${file}: larger than ${FILE_CAP} bytes\n`);
      return undefined;
    }
    return fs.readFileSync(file);
  } catch (e) {
    io.err(`agent tpm: ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
    return undefined;
  }
}

async function withTpm(io: Io, uri: string, f: (tpm: Tpm) => Promise<ExitCode>): Promise<ExitCode> {
  let tpm: Tpm | undefined;
  try {
    tpm = await openTpm(uri);
    return await f(tpm);
  } catch (e) {
    if (!(e instanceof TpmFailure)) throw e;
    io.err(`agent tpm: ${uri}: ${e.error.code}: ${e.message}\n`);
    return e.error.code === 'USAGE' ? EXIT.USAGE : EXIT.FAILED;
  } finally {
    await tpm?.close();
  }
}

async function runQuote(args: Parsed, io: Io): Promise<ExitCode> {
  const uri = need(args, 'tpm', 'quote');
  const nonce = nonceOf(args, 'quote');
  const sel = parsePcrSelection(need(args, 'pcrs', 'quote'));
  if (!sel.ok) throw new UsageError(`agent tpm quote: ${sel.error.message}`);
  const out = need(args, 'out', 'quote');
  return withTpm(io, uri, async (tpm) => {
    const q = await quote(tpm, nonce, sel.value);
    fs.mkdirSync(out, { recursive: true });
    fs.writeFileSync(path.join(out, 'msg'), q.msg);
    fs.writeFileSync(path.join(out, 'sig'), q.sig);
    fs.writeFileSync(path.join(out, 'ak.pem'), q.akPem);
    io.out(`quote written to ${out}: msg (${q.msg.length} bytes), sig (${q.sig.length} bytes), ak.pem\n`);
    return EXIT.OK;
  });
}

function runVerify(args: Parsed, io: Io): ExitCode {
  const nonce = nonceOf(args, 'verify-quote');
  const [ak, msg, sig] = [need(args, 'ak', 'verify-quote'), need(args, 'msg', 'verify-quote'), need(args, 'sig', 'verify-quote')].map((f) => readCapped(io, f));
  if (!ak || !msg || !sig) return EXIT.FAILED;
  const r = verifyQuote({ akPem: ak.toString('utf8'), msg, sig, nonce });
  if (!r.ok) {
    io.err(`quote rejected: ${r.error.code}: ${r.error.message}\n`);
    return EXIT.FAILED;
  }
  const v = r.value;
  const fields = {
    pcrs: v.pcrs,
    pcrDigest: v.pcrDigest.toString('hex'),
    sigAlg: v.sigAlg,
    clock: v.clockInfo.clock.toString(),
    resetCount: v.clockInfo.resetCount,
    restartCount: v.clockInfo.restartCount,
    safe: v.clockInfo.safe,
    firmwareVersion: `0x${v.firmwareVersion.toString(16)}`,
  };
  if (args.flags.has('json')) io.out(`${JSON.stringify({ ok: true, ...fields })}\n`);
  else io.out(`quote ok\n${Object.entries(fields).map(([k, x]) => `  ${k}: ${String(x)}`).join('\n')}\n`);
  return EXIT.OK;
}

function runInfo(args: Parsed, io: Io): Promise<ExitCode> {
  const uri = need(args, 'tpm', 'info');
  return withTpm(io, uri, async (tpm) => {
    const i = await info(tpm);
    if (args.flags.has('json')) io.out(`${JSON.stringify({ ...i, banks: i.banks.map(bankText) })}\n`);
    else io.out(`manufacturer: ${i.manufacturer}\nfirmware: ${i.firmwareVersion}\nbanks: ${i.banks.map(bankText).join(' ')}\nalgorithms: ${i.algorithms.join(' ')}\n`);
    return EXIT.OK;
  });
}

export const tpmCommand: Command = {
  name: 'tpm',
  usage: 'agent tpm quote --tpm URI --nonce HEX --pcrs SEL --out DIR | verify-quote --ak PEM --msg FILE --sig FILE --nonce HEX | info --tpm URI',
  details: [
    'URI: /dev/tpmrm0, device:PATH or swtpm:HOST:PORT (swtpm --server type=tcp). SEL: sha256:0,1,2,3,4,7.',
    'quote writes DIR/msg (TPMS_ATTEST), DIR/sig (TPMT_SIGNATURE) and DIR/ak.pem, the same files',
    'tpm2_quote -m/-s and tpm2_checkquote use. The AK is an ECC P-256 key from a fixed template under',
    'the endorsement hierarchy: the same key every boot. verify-quote exits 1 with the reason.',
  ].join('\n'),
  maxPositionals: 1,
  flags: [
    { name: 'tpm', kind: 'string', value: 'URI', help: 'the TPM to use' },
    { name: 'nonce', kind: 'string', value: 'HEX', help: 'qualifying data (the verifier\'s nonce), up to 64 bytes' },
    { name: 'pcrs', kind: 'string', value: 'SEL', help: 'PCRs to quote, e.g. sha256:0,1,2,3,4,7' },
    { name: 'out', kind: 'string', value: 'DIR', help: 'where quote writes msg, sig, ak.pem' },
    { name: 'ak', kind: 'string', value: 'PEM', help: 'the AK public key (PEM) to verify with' },
    { name: 'msg', kind: 'string', value: 'FILE', help: 'the quoted TPMS_ATTEST' },
    { name: 'sig', kind: 'string', value: 'FILE', help: 'the TPMT_SIGNATURE' },
    { name: 'json', kind: 'boolean', help: 'print the result as one JSON object' },
  ],
  async run(args, { io }) {
    const sub = args.positionals[0];
    if (!sub || !(SUBCOMMANDS as readonly string[]).includes(sub)) {
      throw new UsageError(`agent tpm: ${sub ? `unknown subcommand '${sub}'` : 'a subcommand is required'} (${SUBCOMMANDS.join(', ')})`);
    }
    if (sub === 'quote') return runQuote(args, io);
    if (sub === 'verify-quote') return runVerify(args, io);
    return runInfo(args, io);
  },
};
