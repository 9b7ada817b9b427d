// Eaton ePDUs (G2 Marlin / G3), EATON-EPDU-MIB (enterprise 534).
// Source: EATON-EPDU-MIB (LAST-UPDATED 202303311500Z) as shipped in observium-community-edition
// (mibs/eaton/EATON-EPDU-MIB, commit df77e9d3): eatonEpdu = pduAgent(534.6.6) 7, outlets 6,
// outletTable 1 (outletName column 3), outletControlTable 6 (outletControlStatus 2,
// outletControlOffCmd 3, outletControlOnCmd 4, outletControlSequenceDelay 7), both indexed
// by { strappingIndex, outletIndex }; strappingIndex is 0 on a unit without daisy-chaining.
// sysObjectID 1.3.6.1.4.1.534.6.6.7: NUT drivers/eaton-pdu-marlin-mib.c (EATON_MARLIN_SYSOID).
// The command columns take a delay: "0-n: time in seconds until the outlet command is
// issued". On writes the outlet's outletControlSequenceDelay ("also used as a power-on
// delay"; -1 only excludes the outlet from a global sequence, so it counts as 0), and
// outletControlStatus reads pendingOn(3) until it fires.

import { enumDecoder, type VendorTable } from './table.ts';

const OUTLETS = '1.3.6.1.4.1.534.6.6.7.6';

export const EATON: VendorTable = {
  vendor: 'eaton',
  model: 'Eaton ePDU (EATON-EPDU-MIB outletControlTable)',
  sysObjectIds: ['1.3.6.1.4.1.534.6.6.7'],
  indexArity: 2,
  unitPrefix: '0',
  nameColumn: `${OUTLETS}.1.1.3`, // outletName
  stateColumn: `${OUTLETS}.6.1.2`, // outletControlStatus: off(0) on(1) pendingOff(2) pendingOn(3)
  decodeState: enumDecoder({ 0: 'off', 1: 'on', 2: 'switching', 3: 'switching' }),
  off: { column: `${OUTLETS}.6.1.3`, value: 0 }, // outletControlOffCmd, 0 s: now
  on: (delay) => ({ column: `${OUTLETS}.6.1.4`, value: Math.max(0, delay ?? 0) }), // outletControlOnCmd, seconds until on
  onDelay: { column: `${OUTLETS}.6.1.7`, scope: 'outlet', min: -1, max: 99999, totalMs: (v) => Math.max(0, ...v) * 1000 },
};
