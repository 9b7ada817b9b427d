// The simulated ME's MKHI client: GEN GET_FW_VERSION and FWCAPS GET_RULE from
// AmtState, laid out as intel/lms MKHIClient and Linux bus-fixup.c read them
// (header {group, command | 0x80, reserved, result}). Anything else is answered
// with result 0x8D INVALID_COMMAND; a GET_RULE without its 4-byte rule id with
// 0x05 SIZE_ERROR (MKHI_STATUS names from intel/lms MKHIErrorException.h).

import type { AmtState, SimClientSpec, SimPeer } from './types.ts';

export const MKHI_GUID = '8e6a6715-9abc-4043-88ef-9e39c6f63e0f';

/** Capability bitmaps per rule id; a test may replace or delete rules (a platform that does not answer). */
export interface SimMkhiConfig {
  rules: Map<number, number>;
}

/** Full+Std manageability... as a Corporate vPro part: AMT (b2), PSR (b5), PAVP (b12), IPv6 (b17), KVM (b18), TLS (b21). */
export const CORPORATE_CAPS = (1 << 0) | (1 << 2) | (1 << 5) | (1 << 12) | (1 << 17) | (1 << 18) | (1 << 21);

export const defaultMkhiConfig = (): SimMkhiConfig => ({
  rules: new Map([
    [0, CORPORATE_CAPS],
    [32, CORPORATE_CAPS],
    [39, CORPORATE_CAPS],
  ]),
});

const header = (group: number, cmd: number, result: number): Buffer => Buffer.of(group, (cmd & 0x7f) | 0x80, 0, result);

export function handleMkhi(st: AmtState, cfg: SimMkhiConfig, req: Uint8Array): Uint8Array {
  const m = Buffer.from(req);
  if (m.length < 4) return Uint8Array.from(header(0, 0, 0x05));
  const group = m[0] as number;
  const cmd = (m[1] as number) & 0x7f;
  if (group === 0xff && cmd === 0x02) {
    if (m.length !== 4) return Uint8Array.from(header(group, cmd, 0x05));
    const v = st.meVersion;
    const block = (platform: number): Buffer => {
      const b = Buffer.alloc(8);
      b.writeUInt16LE(v.minor, 0);
      b.writeUInt8(v.major, 2);
      b.writeUInt8(platform, 3);
      b.writeUInt16LE(v.build, 4);
      b.writeUInt16LE(v.hotfix, 6);
      return b;
    };
    return Uint8Array.from(Buffer.concat([header(group, cmd, 0), block(0), block(0)]));
  }
  if (group === 0x03 && cmd === 0x02) {
    if (m.length !== 8) return Uint8Array.from(header(group, cmd, 0x05));
    const id = m.readUInt32LE(4);
    const bits = cfg.rules.get(id);
    if (bits === undefined) return Uint8Array.from(header(group, cmd, 0x81));
    const body = Buffer.alloc(9);
    body.writeUInt32LE(id, 0);
    body.writeUInt8(4, 4);
    body.writeUInt32LE(bits >>> 0, 5);
    return Uint8Array.from(Buffer.concat([header(group, cmd, 0), body]));
  }
  return Uint8Array.from(header(group, cmd, 0x8d));
}

export function mkhiSpec(cfg: SimMkhiConfig = defaultMkhiConfig()): SimClientSpec {
  return {
    guid: MKHI_GUID,
    maxMessageLength: 2048,
    protocolVersion: 1,
    singleConnection: false,
    create: (peer: SimPeer, st: AmtState) => ({ onMessage: (m) => peer.push(handleMkhi(st, cfg, m)) }),
  };
}
