import { readFileSync } from 'node:fs';
import type { Command } from './command.ts';
import type { Parsed } from './args.ts';
import { EXIT, UsageError, type ExitCode } from './exit.ts';
import type { Io } from './io.ts';
import { buildReport } from '../probe/report.ts';
import { SysRoot } from '../probe/sysroot.ts';
import { readPublicKey, writeFileAtomic } from '../identity/keys.ts';
import { recordJson } from '../identity/json.ts';
import { buildRecord, decodeRecord } from '../identity/record.ts';
import { recordInput } from '../probe/record-input.ts';
import { createSession, type Quoter } from '../identity/session.ts';
import { incarnationFor, loadIdentity } from '../identity/store.ts';
import { tpmQuoteCheck, tpmQuoter } from '../identity/tpm.ts';
import { verifyRecord, type LastSeen } from '../identity/verify.ts';
import { openTpm, parsePcrSelection, type Tpm } from '../tpm/index.ts';

/** PCRs 0-7: firmware, option ROMs, boot loader and Secure Boot state (TCG PC Client PFP). */
const DEFAULT_PCRS = 'sha256:0,1,2,3,4,5,6,7';
const DEFAULT_TTL_SEC = 300;
const MAX_RECORD_FILE = 64 * 1024;

const str = (args: Parsed, k: string): string | undefined => {
  const v = args.flags.get(k);
  return typeof v === 'string' ? v : undefined;
};

/** A record file is the raw COSE bytes or their base64 (what `agent attest` prints). */
function readRecordFile(path: string): Uint8Array {
  const raw = readFileSync(path);
  if (raw.length > MAX_RECORD_FILE) throw new Error(`${path}: larger than ${MAX_RECORD_FILE} bytes`);
  const text = raw.toString('latin1').trim();
  return /^[A-Za-z0-9+/=\s]+$/.test(text) ? new Uint8Array(Buffer.from(text, 'base64')) : new Uint8Array(raw);
}

async function make(args: Parsed, io: Io): Promise<ExitCode> {
  const dir = str(args, 'identity');
  if (!dir) throw new UsageError('agent attest: --identity DIR is required');
  const ttlText = str(args, 'ttl');
  const ttlSec = ttlText === undefined ? DEFAULT_TTL_SEC : Number(ttlText);
  if (!Number.isInteger(ttlSec) || ttlSec < 1 || ttlSec > 86_400) throw new UsageError('agent attest: --ttl is whole seconds from 1 to 86400');
  const id = loadIdentity(dir);
  if (!id.ok) {
    io.err(`agent attest: ${id.error.message}\n`);
    return EXIT.FAILED;
  }
  const report = buildReport(new SysRoot(str(args, 'root') ?? '/'));
  const bootId = report.host.bootId;
  if (!bootId) {
    io.err('agent attest: no boot id (/proc/sys/kernel/random/boot_id): a record without one cannot be ordered\n');
    return EXIT.FAILED;
  }
  const inc = incarnationFor(dir, bootId);
  if (!inc.ok) {
    io.err(`agent attest: ${inc.error.message}\n`);
    return EXIT.FAILED;
  }
  const uri = str(args, 'tpm');
  let tpm: Tpm | null = null;
  let quoter: Quoter | null = null;
  if (uri) {
    const sel = parsePcrSelection(str(args, 'pcrs') ?? DEFAULT_PCRS);
    if (!sel.ok) throw new UsageError(`agent attest: --pcrs: ${sel.error.message}`);
    try {
      tpm = await openTpm(uri);
    } catch (e) {
      io.err(`agent attest: TPM ${uri}: ${(e as Error).message}\n`);
      return EXIT.FAILED;
    }
    quoter = tpmQuoter(tpm, sel.value);
  } else if (args.flags.has('pcrs')) throw new UsageError('agent attest: --pcrs goes with --tpm');
  let bytes: Uint8Array;
  try {
    const session = await createSession(id.value, bootId, inc.value, quoter);
    const now = Date.now();
    bytes = buildRecord(id.value, session, recordInput(report, now, ttlSec * 1000));
  } catch (e) {
    // Only the quote can fail here (a TPM that stops answering or refuses); say so rather than crash.
    if (!tpm) throw e;
    io.err(`agent attest: TPM quote: ${(e as Error).message}\n`);
    return EXIT.FAILED;
  } finally {
    await tpm?.close();
  }
  const out = str(args, 'out');
  if (out) writeFileAtomic(out, bytes, 0o644);
  const b64 = Buffer.from(bytes).toString('base64');
  if (!args.flags.has('json')) {
    io.out(`${b64}\n`);
    return EXIT.OK;
  }
  const d = decodeRecord(bytes);
  if (!d.ok) throw new Error(`own record does not decode: ${d.error.message}`);
  io.out(`${JSON.stringify({ record: b64, attested: d.value.payload.tpm !== null, payload: recordJson(d.value.payload) }, null, 2)}\n`);
  return EXIT.OK;
}

async function check(args: Parsed, io: Io): Promise<ExitCode> {
  const orgPath = str(args, 'org');
  const recordPath = str(args, 'record');
  if (!orgPath || !recordPath) throw new UsageError('agent attest verify: --org PUB and --record FILE are required');
  const nowText = str(args, 'now');
  const now = nowText === undefined ? Date.now() : Date.parse(nowText);
  if (Number.isNaN(now)) throw new UsageError('agent attest verify: --now takes an ISO 8601 time');
  const org = readPublicKey(orgPath);
  if (!org.ok) {
    io.err(`agent attest verify: ${org.error.message}\n`);
    return EXIT.FAILED;
  }
  let record: Uint8Array;
  let seen: Uint8Array | null = null;
  try {
    record = readRecordFile(recordPath);
    const seenPath = str(args, 'seen');
    if (seenPath) seen = readRecordFile(seenPath);
  } catch (e) {
    io.err(`agent attest verify: ${(e as Error).message}\n`);
    return EXIT.FAILED;
  }
  let lastSeen: LastSeen | null = null;
  if (seen) {
    const s = decodeRecord(seen);
    if (!s.ok) {
      io.err(`agent attest verify: --seen: ${s.error.code}: ${s.error.message}\n`);
      return EXIT.FAILED;
    }
    lastSeen = { incarnation: s.value.payload.incarnation, bootId: s.value.payload.bootId, time: s.value.payload.time };
  }
  const v = verifyRecord(record, { org: org.value, now, lastSeen, checkQuote: tpmQuoteCheck });
  if (!v.ok) {
    io.err(`agent attest verify: rejected: ${v.error.code}: ${v.error.message}\n`);
    return EXIT.FAILED;
  }
  const p = v.value.payload;
  io.out(`ok: ${p.name} incarnation ${p.incarnation} boot ${p.bootId} ${v.value.attested ? 'attested (TPM quote)' : 'unattested (no TPM)'}\n`);
  if (args.flags.has('json')) io.out(`${JSON.stringify(recordJson(p), null, 2)}\n`);
  return EXIT.OK;
}

const MAKE_ONLY = ['identity', 'tpm', 'pcrs', 'root', 'ttl', 'out'];
const VERIFY_ONLY = ['org', 'record', 'seen', 'now'];

export const attestCommand: Command = {
  name: 'attest',
  usage: 'agent attest [--json] [--tpm URI [--pcrs SEL]] [--root DIR] [--ttl SEC] [--out FILE] --identity DIR\n       agent attest verify [--json] --org PUB --record FILE [--seen FILE] [--now TIME]',
  details: [
    "Prints the record (COSE_Sign1, base64): this node's capability summary and report digest, watchdog",
    'state, policy and compliance (null: no policy given; the daemon fills them from state.dir), session key, certificate and session binding; with --tpm a quote',
    'binds the session key to the PCRs. Without --tpm the record says the node is unattested.',
    '`verify` checks org -> certificate -> binding -> record (-> quote) and exits 0, or 1 with the reason;',
    '--seen is a record already accepted from the same node: older ones are rejected as replays.',
  ].join('\n'),
  flags: [
    { name: 'json', kind: 'boolean', help: 'also print the decoded payload as JSON' },
    { name: 'identity', kind: 'string', value: 'DIR', help: 'the node identity directory from `agent enroll`' },
    { name: 'tpm', kind: 'string', value: 'URI', help: 'quote with this TPM (device:/dev/tpmrm0, swtpm:HOST:PORT)' },
    { name: 'pcrs', kind: 'string', value: 'SEL', help: `PCRs to quote (default ${DEFAULT_PCRS})` },
    { name: 'root', kind: 'string', value: 'DIR', help: 'probe sys/, proc/, dev/ under DIR instead of /' },
    { name: 'ttl', kind: 'string', value: 'SEC', help: `record lifetime in seconds (default ${DEFAULT_TTL_SEC})` },
    { name: 'out', kind: 'string', value: 'FILE', help: 'also write the raw COSE bytes to FILE' },
    { name: 'org', kind: 'string', value: 'PUB', help: 'verify: the org public key (org.pub)' },
    { name: 'record', kind: 'string', value: 'FILE', help: 'verify: the record, raw or base64' },
    { name: 'seen', kind: 'string', value: 'FILE', help: 'verify: the last record accepted from this node' },
    { name: 'now', kind: 'string', value: 'TIME', help: 'verify: check validity at this ISO 8601 time instead of now' },
  ],
  maxPositionals: 1,
  async run(args, { io }) {
    const sub = args.positionals[0];
    if (sub !== undefined && sub !== 'verify') throw new UsageError(`agent attest: unknown subcommand '${sub}' (only 'verify')`);
    const wrong = (sub ? MAKE_ONLY : VERIFY_ONLY).find((k) => args.flags.has(k));
    if (wrong) throw new UsageError(`agent attest${sub ? ' verify' : ''}: --${wrong} does not apply here`);
    return sub ? check(args, io) : make(args, io);
  },
};
