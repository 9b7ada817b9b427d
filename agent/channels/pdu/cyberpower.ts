// CyberPower switched ePDUs, CPS-MIB (enterprise 3808).
// Source: CPS-MIB as shipped in observium-community-edition (mibs/cyberpower/CPS-MIB,
// commit df77e9d3): ePDU = hardware(3808.1.1) 3, ePDUOutlet 3 with ePDUOutletControl 3,
// ePDUOutletConfig 4, ePDUOutletStatus 5 (same shape as APC's rPDU tables).
// sysObjectID: the subtree 1.3.6.1.4.1.3808.1.1 (Datadog's cyberpower-pdu profile matches
// "1.3.6.1.4.1.3808.1.1.*"); the exact per-model values are NOT confirmed from a source.
// On: delayedOn(4) when ePDUOutletConfigPowerOnTime is 1..7200 s, so the PDU applies the
// configured delay itself; immediateOn(1) for 0 and for -1 (never on at cold start).

import { enumDecoder, type VendorTable } from './table.ts';

const OUTLET = '1.3.6.1.4.1.3808.1.1.3.3';

export const CYBERPOWER: VendorTable = {
  vendor: 'cyberpower',
  model: 'CyberPower ePDU (CPS-MIB ePDUOutlet)',
  sysObjectIds: ['1.3.6.1.4.1.3808.1.1'],
  indexArity: 1,
  unitPrefix: '',
  nameColumn: `${OUTLET}.5.1.1.2`, // ePDUOutletStatusOutletName
  stateColumn: `${OUTLET}.5.1.1.4`, // ePDUOutletStatusOutletState: outletStatusOn(1) outletStatusOff(2)
  decodeState: enumDecoder({ 1: 'on', 2: 'off' }),
  // ePDUOutletStatusCommandPending: outletStatusCommandPending(1) outletStatusNoCommandPending(2)
  pending: { column: `${OUTLET}.5.1.1.5`, decode: (v) => (v === 1 ? true : v === 2 ? false : null) },
  off: { column: `${OUTLET}.3.1.1.4`, value: 2 }, // ePDUOutletControlOutletCommand immediateOff(2)
  on: (delay) => ({ column: `${OUTLET}.3.1.1.4`, value: delay !== null && delay > 0 ? 4 : 1 }), // delayedOn(4) / immediateOn(1)
  onDelay: { column: `${OUTLET}.4.1.1.4`, scope: 'outlet', min: -1, max: 7200, totalMs: (v) => Math.max(0, ...v) * 1000 }, // ePDUOutletConfigPowerOnTime
};
