// The simulated ME's PTHI (AMTHI) client: byte-for-byte answers from AmtState,
// written from the layouts in rpc-go pkg/pthi/types.go, MeshCentral amt-mei.js and
// intel/lms AMTHIClient (amt-me.md 1b/1c), independently of the agent's codecs so
// the two check each other. Strict like the firmware: a header that is not version
// 1.1 or whose length is not the message's, or a payload of the wrong size for its
// command, is answered with status 4 INVALID_MESSAGE_LENGTH. An unknown command is
// answered with status 1 INTERNAL_ERROR: no source we read shows what real firmware
// says there (UNVERIFIED), only that it answers with the response bit set.

import type { AmtState, SimClientSpec, SimPeer } from './types.ts';

export const PTHI_GUID = '12f80028-b4b7-4b2d-aca8-46e0ff65814c';

const S = { SUCCESS: 0, INTERNAL_ERROR: 1, INVALID_AMT_MODE: 3, INVALID_MESSAGE_LENGTH: 4, INVALID_PARAMETER: 36, INVALID_HANDLE: 2053 } as const;

function u32(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
}
function ansi(s: string): Buffer {
  const t = Buffer.from(s, 'utf8');
  const n = Buffer.alloc(2);
  n.writeUInt16LE(t.length);
  return Buffer.concat([n, t]);
}
function fixed(s: string | Uint8Array, n: number): Buffer {
  const b = Buffer.alloc(n);
  (typeof s === 'string' ? Buffer.from(s, 'utf8') : Buffer.from(s)).copy(b, 0, 0, n);
  return b;
}

/** The whole reply: header with length = bytes after the 12-byte header (status included). */
export function pthiReply(requestCode: number, status: number, body: Uint8Array = Buffer.alloc(0)): Uint8Array {
  const h = Buffer.alloc(16);
  h.writeUInt8(1, 0);
  h.writeUInt8(1, 1);
  const code = requestCode === 0x01000001 ? 0x01800001 : (requestCode | 0x00800000) >>> 0;
  h.writeUInt32LE(code, 4);
  h.writeUInt32LE(4 + body.length, 8);
  h.writeUInt32LE(status, 12);
  return Uint8Array.from(Buffer.concat([h, Buffer.from(body)]));
}

function codeVersions(st: AmtState): Buffer {
  const entries: [string, string][] = [
    ['Flash', st.amtVersion],
    ['Netstack', st.amtVersion],
    ['AMTApps', st.amtVersion],
    ['AMT', st.amtVersion],
    ['Sku', String(st.sku)],
    ['VendorID', '8086'],
    ['Build Number', st.buildNumber],
    ['Recovery Version', st.amtVersion],
    ['Recovery Build Num', st.buildNumber],
    ['Legacy Mode', 'False'],
  ];
  const parts = [fixed('SIM.BIOS.0042.2026.0101', 65), u32(entries.length)];
  for (const [d, v] of entries) {
    const dl = Buffer.alloc(2);
    dl.writeUInt16LE(d.length);
    const vl = Buffer.alloc(2);
    vl.writeUInt16LE(v.length);
    parts.push(dl, fixed(d, 20), vl, fixed(v, 20));
  }
  return Buffer.concat(parts);
}

function lan(st: AmtState, index: number): Buffer {
  const l = index === 0 ? st.lan.wired : st.lan.wireless;
  // A machine without that interface answers success with zeros (rpc amtinfo on AMT 21 shows MAC 00:00:00:00:00:00).
  const b = Buffer.alloc(20);
  if (!l) return b;
  b.writeUInt32LE(l.enabled ? 1 : 0, 0);
  b.writeUInt32LE(l.ipv4 >>> 0, 4);
  b.writeUInt32LE(l.dhcp ? 1 : 0, 8);
  b.writeUInt8(l.dhcpMode, 12);
  b.writeUInt8(l.link ? 1 : 0, 13);
  Buffer.from(l.mac).copy(b, 14, 0, 6);
  return b;
}

/** Handles are 1-based positions in certHashes, as stable as the list. */
function certEntry(st: AmtState, handle: number): Buffer | null {
  const e = st.certHashes[handle - 1];
  if (!e) return null;
  return Buffer.concat([u32(e.isDefault ? 1 : 0), u32(e.isActive ? 1 : 0), fixed(e.hash, 64), Buffer.of(e.algorithm), ansi(e.name)]);
}

/** Payload sizes the firmware insists on, per command. */
const PAYLOAD: ReadonlyMap<number, number> = new Map([
  [0x10, 4], [0x11, 0], [0x1a, 0], [0x2c, 0], [0x2d, 4], [0x36, 0], [0x46, 0], [0x48, 4], [0x5c, 0], [0x67, 40], [0x6b, 0],
]);

export function handlePthi(st: AmtState, req: Uint8Array): Uint8Array {
  const m = Buffer.from(req);
  if (m.length < 12) return pthiReply(0x04000000, S.INVALID_MESSAGE_LENGTH);
  const code = m.readUInt32LE(4);
  const length = m.readUInt32LE(8);
  if (m[0] !== 1 || m[1] !== 1 || length !== m.length - 12) return pthiReply(code, S.INVALID_MESSAGE_LENGTH);
  if ((code & 0xff000000) !== 0x04000000 || (code & 0x00800000) !== 0) return pthiReply(code, S.INTERNAL_ERROR);
  const cmd = code & 0xffff;
  const want = PAYLOAD.get(cmd);
  if (want === undefined) return pthiReply(code, S.INTERNAL_ERROR);
  if (length !== want) return pthiReply(code, S.INVALID_MESSAGE_LENGTH);
  const arg = want >= 4 ? m.readUInt32LE(12) : 0;
  switch (cmd) {
    case 0x1a:
      return pthiReply(code, S.SUCCESS, codeVersions(st));
    case 0x5c:
      return pthiReply(code, S.SUCCESS, st.uuid);
    case 0x6b:
      return pthiReply(code, S.SUCCESS, u32(st.controlMode));
    case 0x11:
      return pthiReply(code, S.SUCCESS, u32(st.provisioningState));
    case 0x36:
      return pthiReply(code, S.SUCCESS, ansi(st.dnsSuffix));
    case 0x46:
      return pthiReply(code, S.SUCCESS, Buffer.concat([u32(st.remoteAccess.network), u32(st.remoteAccess.remote), u32(st.remoteAccess.trigger), ansi(st.remoteAccess.mpsHostname)]));
    case 0x48:
      return arg > 1 ? pthiReply(code, S.INVALID_PARAMETER) : pthiReply(code, S.SUCCESS, lan(st, arg));
    case 0x2c:
      return pthiReply(code, S.SUCCESS, Buffer.concat([u32(st.certHashes.length), ...st.certHashes.map((_, i) => u32(i + 1))]));
    case 0x2d: {
      const e = certEntry(st, arg);
      return e ? pthiReply(code, S.SUCCESS, e) : pthiReply(code, S.INVALID_HANDLE);
    }
    case 0x67: {
      // 33 + 33 bytes, padded to 68 as MeshCentral expects of the firmware.
      const a = st.localSystemAccount;
      return pthiReply(code, S.SUCCESS, Buffer.concat([fixed(a.user, 33), fixed(a.password, 33), Buffer.alloc(2)]));
    }
    case 0x10:
      return unprovision(st, code);
    default:
      return pthiReply(code, S.INTERNAL_ERROR);
  }
}

/** Password-less unprovision: allowed from CCM (and harmless pre-provisioning), refused in ACM. */
function unprovision(st: AmtState, code: number): Uint8Array {
  if (st.controlMode === 2) {
    st.journal.push('pthi: unprovision refused (admin control mode)');
    return pthiReply(code, S.INVALID_AMT_MODE, u32(0));
  }
  const was = st.controlMode;
  st.controlMode = 0;
  st.provisioningState = 0;
  st.adminDigest = null;
  st.journal.push(`pthi: unprovision from control mode ${was}`);
  return pthiReply(code, S.SUCCESS, u32(0));
}

export function pthiSpec(over: Partial<Omit<SimClientSpec, 'create' | 'guid'>> = {}): SimClientSpec {
  return {
    guid: PTHI_GUID,
    // AMT's PTHI client advertises 4 KiB-ish messages; rpc-go's mock uses 5120.
    maxMessageLength: 5120,
    protocolVersion: 1,
    singleConnection: true,
    ...over,
    create: (peer: SimPeer, st: AmtState) => ({ onMessage: (m) => peer.push(handlePthi(st, m)) }),
  };
}
