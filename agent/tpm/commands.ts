// Command builders and their response parsers (Part 3). Pure: bytes in, bytes or typed results
// out; the client pairs them with a transport.

import { CAP, CC, PT, RH, ST, SU_CLEAR, algName } from './constants.ts';
import { Writer, type Reader } from './codec.ts';
import { readPcrSelection, writePcrSelection, type RawBankSelection } from './pcr-selection.ts';
import { akTemplate, readPublic, type PublicKey } from './public.ts';
import { readSignature, MAX_ATTEST, type Signature } from './attest.ts';
import { HEADER_SIZE, parseResponse } from './response.ts';
import type { PcrSelection, TpmResult } from './types.ts';

function command(code: number, handles: number[], params: Buffer, auth: boolean): Buffer {
  const w = new Writer();
  for (const h of handles) w.u32(h);
  if (auth) {
    // One TPMS_AUTH_COMMAND for TPM_RS_PW with the empty password (Part 1 section 19.8.4):
    // handle, empty nonce, sessionAttributes continueSession, empty hmac.
    const session = new Writer().u32(RH.RS_PW).tpm2b(Buffer.alloc(0)).u8(1).tpm2b(Buffer.alloc(0)).finish();
    w.u32(session.length).bytes(session);
  }
  const body = w.bytes(params).finish();
  return new Writer()
    .u16(auth ? ST.SESSIONS : ST.NO_SESSIONS)
    .u32(HEADER_SIZE + body.length)
    .u32(code)
    .bytes(body)
    .finish();
}

export const startup = (): Buffer => command(CC.Startup, [], new Writer().u16(SU_CLEAR).finish(), false);
export const parseStartup = (b: Uint8Array): TpmResult<null> => parseResponse(b, 0, () => null);

export const getRandom = (n: number): Buffer => command(CC.GetRandom, [], new Writer().u16(n).finish(), false);
export const parseGetRandom = (b: Uint8Array): TpmResult<Buffer> => parseResponse(b, 0, (r) => r.tpm2b('randomBytes', 64));

export const flushContext = (handle: number): Buffer => command(CC.FlushContext, [], new Writer().u32(handle).finish(), false);
export const parseFlushContext = (b: Uint8Array): TpmResult<null> => parseResponse(b, 0, () => null);

export const getCapability = (capability: number, property: number, count: number): Buffer =>
  command(CC.GetCapability, [], new Writer().u32(capability).u32(property).u32(count).finish(), false);

export type CapabilityData =
  | { capability: 'properties'; moreData: boolean; properties: Map<number, number> }
  | { capability: 'algs'; moreData: boolean; algs: { alg: number; name: string; attributes: number }[] }
  | { capability: 'pcrs'; moreData: boolean; banks: RawBankSelection[] };

const MAX_LIST = 256;
function listCount(r: Reader, what: string): number {
  const n = r.u32(`${what} count`);
  if (n > MAX_LIST) r.fail('MALFORMED', `${what} count ${n} > ${MAX_LIST}`);
  return n;
}

export const parseGetCapability = (b: Uint8Array): TpmResult<CapabilityData> =>
  parseResponse(b, 0, (r): CapabilityData => {
    const more = r.u8('moreData');
    if (more > 1) r.fail('MALFORMED', `moreData ${more} is not a TPMI_YES_NO`);
    const moreData = more === 1;
    const cap = r.u32('capability');
    if (cap === CAP.TPM_PROPERTIES) {
      const properties = new Map<number, number>();
      for (let i = listCount(r, 'TPML_TAGGED_TPM_PROPERTY'); i > 0; i--) properties.set(r.u32('property'), r.u32('value'));
      return { capability: 'properties', moreData, properties };
    }
    if (cap === CAP.ALGS) {
      const algs: { alg: number; name: string; attributes: number }[] = [];
      for (let i = listCount(r, 'TPML_ALG_PROPERTY'); i > 0; i--) {
        const alg = r.u16('alg');
        algs.push({ alg, name: algName(alg), attributes: r.u32('algProperties') });
      }
      return { capability: 'algs', moreData, algs };
    }
    if (cap === CAP.PCRS) return { capability: 'pcrs', moreData, banks: readPcrSelection(r) };
    return r.fail('UNSUPPORTED', `capability 0x${cap.toString(16)}`);
  });

export const propertiesRequest = (): Buffer => getCapability(CAP.TPM_PROPERTIES, PT.MANUFACTURER, PT.FIRMWARE_VERSION_2 - PT.MANUFACTURER + 1);

export const pcrRead = (sel: PcrSelection): Buffer => {
  const w = new Writer();
  writePcrSelection(w, sel);
  return command(CC.PCR_Read, [], w.finish(), false);
};

export interface PcrReadOut {
  updateCounter: number;
  selection: RawBankSelection[];
  digests: Buffer[];
}

export const parsePcrRead = (b: Uint8Array): TpmResult<PcrReadOut> =>
  parseResponse(b, 0, (r) => {
    const updateCounter = r.u32('pcrUpdateCounter');
    const selection = readPcrSelection(r);
    const digests: Buffer[] = [];
    // TPML_DIGEST holds at most 8 digests (Part 2 section 10.9.2).
    const n = r.u32('TPML_DIGEST count');
    if (n > 8) r.fail('MALFORMED', `TPML_DIGEST count ${n} > 8`);
    for (let i = 0; i < n; i++) digests.push(r.tpm2b('pcr digest', 64));
    const selected = selection.reduce((sum, s) => sum + s.pcrs.length, 0);
    if (selected !== n) r.fail('MALFORMED', `${selected} PCRs selected but ${n} digests returned`);
    return { updateCounter, selection, digests };
  });

export function createPrimaryAk(): Buffer {
  const tmpl = akTemplate();
  const params = new Writer()
    .u16(4)
    .tpm2b(Buffer.alloc(0)) // userAuth: empty, so quoting needs only the empty password
    .tpm2b(Buffer.alloc(0)) // data
    .tpm2b(tmpl)
    .tpm2b(Buffer.alloc(0)) // outsideInfo
    .u32(0) // creationPCR: none
    .finish();
  return command(CC.CreatePrimary, [RH.ENDORSEMENT], params, true);
}

function readPublic2b(r: Reader): PublicKey {
  const size = r.u16('TPM2B_PUBLIC size');
  const sub = r.sub(size, 'TPMT_PUBLIC');
  const pub = readPublic(sub);
  sub.done('TPMT_PUBLIC');
  return pub;
}

export const parseCreatePrimary = (b: Uint8Array): TpmResult<{ handle: number; pub: PublicKey; name: Buffer }> =>
  parseResponse(b, 1, (r, [handle]) => {
    const pub = readPublic2b(r);
    r.tpm2b('creationData');
    r.tpm2b('creationHash', 64);
    r.u16('creationTicket tag');
    r.u32('creationTicket hierarchy');
    r.tpm2b('creationTicket digest', 64);
    const name = r.tpm2b('name', 68);
    return { handle: handle as number, pub, name };
  });

export const readPublicCmd = (handle: number): Buffer => command(CC.ReadPublic, [handle], Buffer.alloc(0), false);
export const parseReadPublic = (b: Uint8Array): TpmResult<{ pub: PublicKey; name: Buffer }> =>
  parseResponse(b, 0, (r) => {
    const pub = readPublic2b(r);
    const name = r.tpm2b('name', 68);
    r.tpm2b('qualifiedName', 68);
    return { pub, name };
  });

export function quoteCmd(signHandle: number, qualifyingData: Uint8Array, sel: PcrSelection): Buffer {
  const w = new Writer().tpm2b(qualifyingData).u16(0x0010); // inScheme TPM_ALG_NULL: the key's own scheme
  writePcrSelection(w, sel);
  return command(CC.Quote, [signHandle], w.finish(), true);
}

export const parseQuote = (b: Uint8Array): TpmResult<{ attest: Buffer; signature: Signature; sigBytes: Buffer }> =>
  parseResponse(b, 0, (r) => {
    const attest = r.tpm2b('quoted', MAX_ATTEST);
    const start = r.offset;
    const signature = readSignature(r);
    const len = r.offset - start;
    // The reader's offsets are absolute in the response, so the signature's bytes are cut as sent.
    return { attest, signature, sigBytes: Buffer.from(b.subarray(start, start + len)) };
  });
