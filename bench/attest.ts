// Ed25519 sign and verify of a typical gossip record (an unattested attestation
// record, as `agent attest` makes it) per second: node:crypto (OpenSSL) beside
// libsodium-wrappers (libsodium compiled to wasm), in the same process, with
// the same key and message. Runs alternate between the two so drift hits both.

import { createPrivateKey, sign, verify, type KeyObject } from 'node:crypto';
import sodium from 'libsodium-wrappers';
import { buildRecord } from '../agent/identity/record.ts';
import { createSession } from '../agent/identity/session.ts';
import { issueCertificate } from '../agent/identity/cert.ts';
import { generateKeyPair, keyId, rawPublicKey } from '../agent/identity/keys.ts';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openTpm } from '../agent/tpm/index.ts';
import { parsePcrSelection, quote } from '../agent/tpm/quote.ts';
import { startSwtpm } from '../test/tpm/swtpm.ts';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const MS_PER_RUN = Number(process.env.BENCH_MS ?? 500);

await sodium.ready;

const org = generateKeyPair();
const node = generateKeyPair();
const now = Math.floor(Date.now() / 1000);
const id = { name: 'node-a', ...node, certificate: issueCertificate(org, 'node-a', node.publicKey, now, now + 86_400), cert: { orgKeyId: keyId(org.publicKey), name: 'node-a', nodeKey: rawPublicKey(node.publicKey), issued: now, expires: now + 86_400 } };
const session = await createSession(id, '3d45a11f-fd3b-4123-9c44-596c810b5228', 1, null);
const record = buildRecord(id, session, {
  time: Date.now(),
  ttlMs: 300_000,
  reportDigest: new Uint8Array(32),
  channels: [
    { kind: 'ipmi', verdict: 'usable' },
    { kind: 'watchdog', verdict: 'usable' },
  ],
  watchdog: { armed: true, lastResetByWatchdog: false },
});

// The same key in both libraries: libsodium's secret key is seed || public key.
const seedOf = (k: KeyObject): Uint8Array => new Uint8Array(Buffer.from(k.export({ format: 'jwk' }).d as string, 'base64url'));
const kp = sodium.crypto_sign_seed_keypair(seedOf(session.privateKey));
const nodeKey: KeyObject = createPrivateKey(session.privateKey.export({ format: 'pem', type: 'pkcs8' }));
const sigNode = new Uint8Array(sign(null, record, nodeKey));
const sigSodium = sodium.crypto_sign_detached(record, kp.privateKey);
if (Buffer.compare(sigNode, sigSodium) !== 0) throw new Error('the two libraries disagree on an Ed25519 signature (RFC 8032 makes it deterministic)');
if (!verify(null, record, session.publicKey, sigSodium) || !sodium.crypto_sign_verify_detached(sigNode, record, kp.publicKey)) throw new Error('cross-verification failed');

type Op = () => unknown;
const ops: Record<string, { node: Op; sodium: Op }> = {
  sign: { node: () => sign(null, record, nodeKey), sodium: () => sodium.crypto_sign_detached(record, kp.privateKey) },
  verify: { node: () => verify(null, record, session.publicKey, sigNode), sodium: () => sodium.crypto_sign_verify_detached(sigNode, record, kp.publicKey) },
};

function perSecond(op: Op): number {
  for (let i = 0; i < 200; i++) op();
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < MS_PER_RUN) {
    for (let i = 0; i < 100; i++) op();
    n += 100;
    t = performance.now();
  }
  return (n * 1000) / (t - t0);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

console.log(`record: ${record.length} bytes; ${ROUNDS} alternating runs of ${MS_PER_RUN} ms each; node ${process.versions.node}, OpenSSL ${process.versions.openssl}, libsodium ${sodium.SODIUM_VERSION_STRING}`);
console.log(`${'op'.padEnd(8)}${'node:crypto/s'.padStart(16)}${'libsodium/s'.padStart(16)}${'node/sodium'.padStart(14)}`);
for (const [name, pair] of Object.entries(ops)) {
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    a.push(perSecond(pair.node));
    b.push(perSecond(pair.sodium));
  }
  const [na, nb] = [median(a), median(b)];
  console.log(`${name.padEnd(8)}${na.toFixed(0).padStart(16)}${nb.toFixed(0).padStart(16)}${(na / nb).toFixed(2).padStart(14)}`);
}

// Quote time on swtpm: the agent's quote() (CreatePrimary of the fixed-template AK,
// Quote, FlushContext, over one open connection, as the daemon does at boot) beside
// tpm2-tools' `tpm2_quote` with an AK made once by tpm2_createek/createak (a process
// per quote: that is how an operator or a shell-script agent would call it).
if (spawnSync('sh', ['-c', 'command -v swtpm && command -v tpm2_quote'], { stdio: 'ignore' }).status !== 0) {
  console.log('quote: skipped (swtpm or tpm2-tools missing; make deps installs them)');
} else {
  const QUOTES = Number(process.env.BENCH_QUOTES ?? 10);
  const sw = await startSwtpm();
  const work = mkdtempSync(join(tmpdir(), 'bench-quote-'));
  const tools = (name: string, ...args: string[]): void => {
    execFileSync(name, args, { env: { ...process.env, TPM2TOOLS_TCTI: sw.tcti }, cwd: work, stdio: 'ignore' });
  };
  const flush = (): void => {
    tools('tpm2_flushcontext', '-t');
    tools('tpm2_flushcontext', '-s');
  };
  try {
    tools('tpm2_createek', '-c', 'ek.ctx', '-G', 'ecc', '-u', 'ek.pub');
    tools('tpm2_createak', '-C', 'ek.ctx', '-c', 'ak.ctx', '-G', 'ecc', '-g', 'sha256', '-s', 'ecdsa', '-u', 'ak.pem', '-f', 'pem', '-n', 'ak.name');
    flush();
    const sel = parsePcrSelection('sha256:0,1,2,3,4,7');
    if (!sel.ok) throw new Error(sel.error.message);
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let i = 0; i < QUOTES; i++) {
      // swtpm serves one client at a time: each side connects, quotes, and lets go.
      const tpm = await openTpm(sw.uri);
      const t0 = performance.now();
      await quote(tpm, Buffer.from('0011223344556677', 'hex'), sel.value);
      ours.push(performance.now() - t0);
      await tpm.close();
      const t1 = performance.now();
      tools('tpm2_quote', '-c', 'ak.ctx', '-l', 'sha256:0,1,2,3,4,7', '-q', '0011223344556677', '-m', 'q.msg', '-s', 'q.sig', '-g', 'sha256');
      theirs.push(performance.now() - t1);
      flush();
    }
    const [a, b] = [median(ours), median(theirs)];
    console.log(`quote on swtpm, median of ${QUOTES}: agent quote() ${a.toFixed(1)} ms (AK created and flushed each time), tpm2_quote ${b.toFixed(1)} ms (AK made once); agent/tpm2_quote ${(a / b).toFixed(2)}`);
  } finally {
    await sw.stop();
    rmSync(work, { recursive: true, force: true });
  }
}
