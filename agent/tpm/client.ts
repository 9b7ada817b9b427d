// Opening a TPM by URI and running one codec command over it. Async operations reject with
// TpmFailure (a typed error), never with a raw exception.

import * as cmd from './commands.ts';
import { CAP, HASH_SIZE, PT } from './constants.ts';
import { RC_INITIALIZE } from './rc.ts';
import { openDevice, openSwtpm, DEFAULT_TIMEOUT_MS } from './transport.ts';
import type { RawBankSelection } from './pcr-selection.ts';
import type { PublicKey } from './public.ts';
import { must, terr, tok, TpmFailure, type PcrSelection, type Tpm, type TpmResult } from './types.ts';

/** `/dev/tpmrm0`, `device:/dev/tpm0` or `swtpm:HOST:PORT`. */
export function parseTpmUri(uri: string): TpmResult<{ kind: 'device'; path: string } | { kind: 'swtpm'; host: string; port: number }> {
  const sw = /^swtpm:(.+):(\d{1,5})$/.exec(uri);
  if (sw) {
    const port = Number(sw[2]);
    if (port < 1 || port > 65535) return terr('USAGE', `TPM URI ${uri}: port out of range`);
    return tok({ kind: 'swtpm', host: (sw[1] as string).replace(/^\[(.*)\]$/, '$1'), port });
  }
  const path = uri.startsWith('device:') ? uri.slice('device:'.length) : uri;
  if (path.startsWith('/')) return tok({ kind: 'device', path });
  return terr('USAGE', `TPM URI '${uri}' is not /dev/tpmrm0, device:PATH or swtpm:HOST:PORT`);
}

/**
 * Opens the TPM. For swtpm it also sends Startup(CLEAR): a fresh simulator needs it, and one
 * already started answers TPM_RC_INITIALIZE, which is fine. The kernel starts device TPMs itself.
 */
export async function openTpm(uri: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<Tpm> {
  const u = must(parseTpmUri(uri));
  const tpm = must(u.kind === 'device' ? await openDevice(u.path, timeoutMs) : await openSwtpm(u.host, u.port, timeoutMs));
  if (u.kind === 'swtpm') {
    const r = cmd.parseStartup(must(await tpm.transmit(cmd.startup())));
    if (!r.ok && r.error.rc !== RC_INITIALIZE) {
      await tpm.close();
      throw new TpmFailure(r.error);
    }
  }
  return tpm;
}

/** Warnings after which Part 3 says to send the same command again (e.g. swtpm's key generation). */
const RETRYABLE = new Set([0x908 /* YIELDED */, 0x90a /* TESTING */, 0x922 /* RETRY */]);
const RETRIES = 20;

export async function exec<T>(tpm: Tpm, command: Buffer, parse: (b: Uint8Array) => TpmResult<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const r = parse(must(await tpm.transmit(command)));
    if (r.ok || attempt >= RETRIES || r.error.rc === undefined || !RETRYABLE.has(r.error.rc)) return must(r);
    await new Promise((res) => setTimeout(res, 20 * (attempt + 1)));
  }
}

export const getRandom = (tpm: Tpm, n: number): Promise<Buffer> => exec(tpm, cmd.getRandom(n), cmd.parseGetRandom);

export interface TpmInfo {
  manufacturer: string;
  firmwareVersion: string;
  /** TPM_PT_FIRMWARE_VERSION_1 and _2 as the TPM reports them. */
  firmwareRaw: [number, number];
  banks: RawBankSelection[];
  algorithms: string[];
}

const vendorText = (v: number): string => Buffer.from([v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]).toString('latin1').replace(/[^\x20-\x7e]/g, '').trim();

export async function info(tpm: Tpm): Promise<TpmInfo> {
  const props = await exec(tpm, cmd.propertiesRequest(), cmd.parseGetCapability);
  const pcrs = await exec(tpm, cmd.getCapability(CAP.PCRS, 0, 1), cmd.parseGetCapability);
  const algs = await exec(tpm, cmd.getCapability(CAP.ALGS, 0, 128), cmd.parseGetCapability);
  const p = props.capability === 'properties' ? props.properties : new Map<number, number>();
  const fw1 = p.get(PT.FIRMWARE_VERSION_1) ?? 0;
  const fw2 = p.get(PT.FIRMWARE_VERSION_2) ?? 0;
  return {
    manufacturer: vendorText(p.get(PT.MANUFACTURER) ?? 0),
    // Part 2 leaves the split to the vendor; most print FIRMWARE_VERSION_1 as two 16-bit halves.
    firmwareVersion: `${fw1 >>> 16}.${fw1 & 0xffff}.${fw2 >>> 16}.${fw2 & 0xffff}`,
    firmwareRaw: [fw1, fw2],
    banks: pcrs.capability === 'pcrs' ? pcrs.banks.filter((b) => b.pcrs.length > 0) : [],
    algorithms: algs.capability === 'algs' ? algs.algs.map((a) => a.name) : [],
  };
}

/** PCR values per bank and index. PCR_Read returns at most 8 digests per call, so it loops. */
export async function readPcrs(tpm: Tpm, sel: PcrSelection): Promise<Map<string, Map<number, Buffer>>> {
  const out = new Map<string, Map<number, Buffer>>();
  for (const bank of sel) {
    const values = new Map<number, Buffer>();
    let left = [...bank.pcrs];
    while (left.length > 0) {
      const r = await exec(tpm, cmd.pcrRead([{ hash: bank.hash, pcrs: left }]), cmd.parsePcrRead);
      if (r.selection.some((s) => s.hash !== bank.hash)) throw new TpmFailure({ code: 'MALFORMED', message: `PCR_Read of ${bank.hash} answered another bank` });
      const got = r.selection.flatMap((s) => s.pcrs);
      // An empty selection back means the bank (or those PCRs) does not exist on this TPM; one
      // with none of the PCRs asked for would never finish this loop.
      if (!got.some((p) => left.includes(p))) throw new TpmFailure({ code: 'UNSUPPORTED', message: `PCR bank ${bank.hash} has none of PCRs ${left.join(',')}` });
      got.forEach((p, i) => {
        const d = r.digests[i] as Buffer;
        if (d.length !== HASH_SIZE[bank.hash]) throw new TpmFailure({ code: 'MALFORMED', message: `PCR ${bank.hash}:${p} digest is ${d.length} bytes` });
        values.set(p, d);
      });
      left = left.filter((p) => !got.includes(p));
    }
    out.set(bank.hash, values);
  }
  return out;
}

/** Creates (re-derives) the fixed-template attestation key; the caller flushes the handle. */
export const createAk = (tpm: Tpm): Promise<{ handle: number; pub: PublicKey; name: Buffer }> =>
  exec(tpm, cmd.createPrimaryAk(), cmd.parseCreatePrimary);

export const flush = (tpm: Tpm, handle: number): Promise<null> => exec(tpm, cmd.flushContext(handle), cmd.parseFlushContext);

export const readPublic = (tpm: Tpm, handle: number): Promise<{ pub: PublicKey; name: Buffer }> =>
  exec(tpm, cmd.readPublicCmd(handle), cmd.parseReadPublic);
