// AMT operational state, asked of the watchdog ("state independence") client:
// get {cmd 0x05, byte count 0x02, subcmd 0x51, version 0x10} answers one flags byte;
// set {0x05, 0x03, 0x53, 0x10, u8 enable} answers the 4-byte header echoed then a
// u32 status (rpc-go pkg/pthi IsChangeToAMTEnabled/SetAmtOperationalState; intel/lms
// ManageabilityClient MNGIsChangeToAMTEnabledCommand.h). The flags other than bit 0
// mean something only with bit 7 (the "new interface", ME 16.1 and later).
// The get reply has no command code to check, so only its length can be: we take
// exactly one byte, as both sources read it (UNVERIFIED that no firmware pads it).

import { decodeLe } from './le.ts';
import { merr, mok, type MeiResult } from './types.ts';

export const OPSTATE_GET_REQUEST = Uint8Array.of(0x05, 0x02, 0x51, 0x10);
export const encodeSetOperationalState = (enable: boolean): Uint8Array => Uint8Array.of(0x05, 0x03, 0x53, 0x10, enable ? 1 : 0);

export interface OperationalState {
  raw: number;
  /** Bit 0: a change of the AMT state from the host is allowed. */
  transitionAllowed: boolean;
  /** Bit 7: the firmware speaks the new interface (ME >= 16.1); without it the rest is not reported. */
  newInterface: boolean;
  /** Bit 1 (with bit 7): AMT is enabled (the BIOS/MEBx switch); null when not reported. */
  amtEnabled: boolean | null;
  /** Bit 6 (with bit 7): AMT enforces TLS on its local ports (16993); null when not reported. */
  tlsOnLocalPorts: boolean | null;
}

export function decodeOperationalState(bytes: Uint8Array): MeiResult<OperationalState> {
  return decodeLe(bytes, 'IsChangeToAMTEnabled reply', (r) => {
    if (bytes.length !== 1) r.fail(`reply of ${bytes.length} bytes, expected 1`);
    const raw = r.u8('flags');
    const newInterface = (raw & 0x80) !== 0;
    return {
      raw,
      transitionAllowed: (raw & 0x01) !== 0,
      newInterface,
      amtEnabled: newInterface ? (raw & 0x02) !== 0 : null,
      tlsOnLocalPorts: newInterface ? (raw & 0x40) !== 0 : null,
    };
  });
}

/** The set reply: the request's header echoed (0x05, 0x03, 0x53, 0x10) then u32 status (0 success). */
export function decodeSetOperationalStateReply(bytes: Uint8Array): MeiResult<void> {
  const r = decodeLe(bytes, 'SetAmtOperationalState reply', (rd) => {
    if (bytes.length !== 8) rd.fail(`reply of ${bytes.length} bytes, expected 8`);
    const head = [rd.u8('cmd'), rd.u8('byte count'), rd.u8('subcmd'), rd.u8('version')];
    if (head[0] !== 0x05 || head[2] !== 0x53) rd.fail(`reply command ${head.map((b) => b.toString(16)).join(' ')}, expected 5 _ 53 _`);
    return rd.u32('status');
  });
  if (!r.ok) return r;
  if (r.value !== 0) return merr('STATUS', `SetAmtOperationalState: status ${r.value}`, r.value);
  return mok(undefined);
}

