// The simulated ME's watchdog ("state independence") client, the part rpc-go uses
// for the AMT operational state: get {05 02 51 10} -> one flags byte; set
// {05 03 53 10 enable} -> {05 03 53 10} + u32 status (rpc-go pkg/pthi; intel/lms
// MNGIsChangeToAMTEnabledCommand.h). Flags: bit0 change allowed, bit1 AMT enabled,
// bit6 TLS on local ports, bit7 new interface (set only on ME >= 16.1). The
// mei_wdt START/PING protocol is not simulated. Any other request gets no answer
// (what real firmware does with one is not in the sources: UNVERIFIED).

import type { AmtState, SimClientSpec, SimPeer } from './types.ts';

export const WATCHDOG_GUID = '05b79a6f-4628-4d7f-899d-a91514cb32ab';

const newInterface = (st: AmtState): boolean => st.meVersion.major > 16 || (st.meVersion.major === 16 && st.meVersion.minor >= 1);

/** Bit 0 is always set here: when real firmware clears it is not in the sources (UNVERIFIED). */
export function operationalFlags(st: AmtState): number {
  let f = 0x01;
  if (!newInterface(st)) return f;
  f |= 0x80;
  if (st.amtEnabled) f |= 0x02;
  if (st.tlsEnforcedOnLocalPorts) f |= 0x40;
  return f;
}

export function handleWatchdog(st: AmtState, req: Uint8Array): Uint8Array | null {
  const m = Buffer.from(req);
  if (m.length === 4 && m[0] === 0x05 && m[1] === 0x02 && m[2] === 0x51 && m[3] === 0x10) return Uint8Array.of(operationalFlags(st));
  if (m.length === 5 && m[0] === 0x05 && m[1] === 0x03 && m[2] === 0x53 && m[3] === 0x10) {
    const status = Buffer.alloc(4);
    if (!newInterface(st) || (m[4] !== 0 && m[4] !== 1)) {
      status.writeUInt32LE(36);
    } else {
      st.amtEnabled = m[4] === 1;
      st.journal.push(`wd: operational state ${st.amtEnabled ? 'enabled' : 'disabled'}`);
    }
    return Uint8Array.from(Buffer.concat([Buffer.of(0x05, 0x03, 0x53, 0x10), status]));
  }
  return null;
}

export function watchdogSpec(): SimClientSpec {
  return {
    guid: WATCHDOG_GUID,
    maxMessageLength: 32,
    protocolVersion: 1,
    singleConnection: true,
    create: (peer: SimPeer, st: AmtState) => ({
      onMessage: (m) => {
        const r = handleWatchdog(st, m);
        if (r) peer.push(r);
      },
    }),
  };
}
