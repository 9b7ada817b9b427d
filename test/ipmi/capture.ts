// Records real RMCP+ exchanges for the known-answer tests (run by hand:
// `node --import tsx test/ipmi/capture.ts > test/ipmi/fixtures/rakp-capture.json`;
// recorded on 2026-11-24 with Debian ipmitool 1.8.19 and openipmi 2.0.33).
//
// Suite 3: ipmitool -I lanplus -C 3 talks to ipmi_sim through a loopback UDP
// relay that records every datagram: RAKP 2 and 4 are computed by ipmi_sim
// (openipmi's lanserv), RAKP 3 and the session packets by ipmitool.
//
// Suite 17: no Debian BMC speaks it (ipmi_sim 2.0.33 refuses it), so a
// scripted responder answers ipmitool -C 17 with RAKP 2 and 4 built by our
// code; ipmitool checks both and only then sends RAKP 3 and its first
// signed, encrypted session packet, which are ipmitool's own computation.
// The test password is a fixture value, not a secret.

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket, type RemoteInfo } from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rakp2Code, rakp4Code, sessionIntegrityKey, userKey, type RakpInputs } from '../../agent/ipmi/crypto.ts';
import { startSim } from './sim.ts';

export const CAPTURE_USER = 'admin';
export const CAPTURE_PASSWORD = 'kat-fixture-pw';

interface Datagram {
  from: 'console' | 'bmc';
  hex: string;
}

const ipmitool = (port: number, suite: number, pwFile: string): Promise<void> =>
  new Promise((resolve) => {
    execFile('ipmitool', ['-I', 'lanplus', '-C', String(suite), '-H', '127.0.0.1', '-p', String(port), '-U', CAPTURE_USER, '-f', pwFile, '-N', '1', '-R', '1', 'chassis', 'power', 'status'], { timeout: 10_000 }, () => resolve());
  });

async function relaySuite3(): Promise<{ guid: string; packets: Datagram[] }> {
  const sim = await startSim({ password: CAPTURE_PASSWORD });
  const packets: Datagram[] = [];
  const front = createSocket('udp4');
  const back = createSocket('udp4');
  let client: RemoteInfo | null = null;
  front.on('message', (m, r) => {
    client = r;
    packets.push({ from: 'console', hex: m.toString('hex') });
    back.send(m, sim.port, '127.0.0.1');
  });
  back.on('message', (m) => {
    packets.push({ from: 'bmc', hex: m.toString('hex') });
    if (client) front.send(m, client.port, client.address);
  });
  await new Promise<void>((r) => front.bind(0, '127.0.0.1', () => r()));
  await new Promise<void>((r) => back.bind(0, '127.0.0.1', () => r()));
  await ipmitool(front.address().port, 3, sim.passwordFile);
  front.close();
  back.close();
  await sim.stop();
  return { guid: sim.guid, packets };
}

async function responderSuite17(capsReply: Buffer, pwFile: string): Promise<{ packets: Datagram[] }> {
  const packets: Datagram[] = [];
  const s = createSocket('udp4');
  const bmcSid = 0x0a0b0c0d;
  const bmcRandom = randomBytes(16);
  const guid = randomBytes(16);
  let inputs: RakpInputs | null = null;
  const wrap = (type: number, payload: Buffer): Buffer => {
    const h = Buffer.alloc(16);
    Buffer.from([0x06, 0x00, 0xff, 0x07, 0x06, type]).copy(h);
    h.writeUInt16LE(payload.length, 14);
    return Buffer.concat([h, payload]);
  };
  let done: () => void = () => undefined;
  const finished = new Promise<void>((r) => (done = r));
  s.on('message', (m, r) => {
    packets.push({ from: 'console', hex: m.toString('hex') });
    const answer = (b: Buffer): void => {
      packets.push({ from: 'bmc', hex: b.toString('hex') });
      s.send(b, r.port, r.address);
    };
    if (m[4] === 0x00) return answer(capsReply);
    const type = (m[5] ?? 0) & 0x3f;
    const p = m.subarray(16);
    if (type === 0x10) {
      const resp = Buffer.concat([Buffer.from([p[0] ?? 0, 0, 4, 0]), p.subarray(4, 8), Buffer.alloc(4), p.subarray(8, 32)]);
      resp.writeUInt32LE(bmcSid, 8);
      return answer(wrap(0x11, resp));
    }
    if (type === 0x12) {
      const nameLen = p[27] ?? 0;
      inputs = { consoleSid: 0, bmcSid, consoleRandom: Buffer.from(p.subarray(8, 24)), bmcRandom, guid, role: p[24] ?? 0, user: p.subarray(28, 28 + nameLen).toString('utf8') };
      return;
    }
    if (type === 0x14 && inputs) {
      const kuid = userKey(CAPTURE_PASSWORD);
      const sik = sessionIntegrityKey('hmac-sha256', kuid, inputs);
      return answer(wrap(0x15, Buffer.concat([Buffer.from([p[0] ?? 0, 0, 0, 0]), u32(inputs.consoleSid), rakp4Code('hmac-sha256', sik, inputs)])));
    }
    if (type === 0x00) done();
  });
  const u32 = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n >>> 0);
    return b;
  };
  // RAKP 2 needs the console session ID from the Open Session Request, so RAKP 1 is answered here.
  s.on('message', (m, r) => {
    const type = (m[5] ?? 0) & 0x3f;
    if (type !== 0x12 || !inputs) return;
    const open = packets.find((x) => x.from === 'console' && Buffer.from(x.hex, 'hex')[5] === 0x10);
    if (!open) return;
    inputs.consoleSid = Buffer.from(open.hex, 'hex').readUInt32LE(16 + 4);
    const code = rakp2Code('hmac-sha256', userKey(CAPTURE_PASSWORD), inputs);
    const b = wrap(0x13, Buffer.concat([Buffer.from([m[16] ?? 0, 0, 0, 0]), u32(inputs.consoleSid), bmcRandom, guid, code]));
    packets.push({ from: 'bmc', hex: b.toString('hex') });
    s.send(b, r.port, r.address);
  });
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  await Promise.race([Promise.all([ipmitool(s.address().port, 17, pwFile), finished]), new Promise((r) => setTimeout(r, 8000))]);
  s.close();
  return { packets };
}

const s3 = await relaySuite3();
const caps = s3.packets.find((p) => p.from === 'bmc' && Buffer.from(p.hex, 'hex')[4] === 0x00);
if (!caps) throw new Error('no Get Channel Authentication Capabilities reply captured');
const pwFile = join(await import('node:os').then((o) => o.tmpdir()), `kat-pw-${process.pid}`);
writeFileSync(pwFile, CAPTURE_PASSWORD, { mode: 0o600 });
const s17 = await responderSuite17(Buffer.from(caps.hex, 'hex'), pwFile);
console.log(JSON.stringify({ user: CAPTURE_USER, password: CAPTURE_PASSWORD, suite3: s3, suite17: s17 }, null, 1));
