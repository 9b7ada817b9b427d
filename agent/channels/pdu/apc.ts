// APC Switched Rack PDUs, PowerNet-MIB (enterprise 318).
// Source: PowerNet-MIB as shipped in observium-community-edition (mibs/apc/PowerNet-MIB,
// commit df77e9d3, 2025-07-20): rPDU = hardware(318.1.1) 12, rPDUOutletControl/Config/Status
// = rPDUOutlet(3) 3/4/5; rPDU2 = hardware 26, rPDU2OutletSwitched = rPDU2Outlet(9) 2 with
// Config 1, Status 3, Control 4. sysObjectIDs masterSwitchrPDU = 318.1.3.4.5 and
// masterSwitchrPDU2 = 318.1.3.4.6 from the same file (system 3 -> masterSwitch 4).
// NOT confirmed against devices, and NUT's drivers/apc-pdu-mib.c names them differently
// (its APC_PDU_MIB_SYSOID_RPDU is .4.4, RPDU2 .4.5, MSP .4.6, against the MIB's MSP 4,
// rPDU 5, rPDU2 6): we follow the MIB; another APC sysObjectID is a CONFIG error that
// points at --vendor apc (which takes rPDU2, the current generation).
// Note the two generations encode state differently: rPDUOutletStatusOutletState on(1)
// off(2), rPDU2OutletSwitchedStatusState off(1) on(2).
// On: the outlet's configured PowerOnTime is respected by sending delayedOn when it is
// 1..7200 s; 0 is immediate anyway and -1 ("never power on", i.e. stay off at cold start)
// would never fire a delayedOn, so both send immediateOn.

import { enumDecoder, type VendorTable } from './table.ts';

const RPDU = '1.3.6.1.4.1.318.1.1.12.3';
const RPDU2 = '1.3.6.1.4.1.318.1.1.26.9.2';
const powerOnTime = { min: -1, max: 7200, totalMs: (v: readonly number[]) => Math.max(0, ...v) * 1000 };

export const APC_RPDU: VendorTable = {
  vendor: 'apc',
  model: 'APC rPDU (PowerNet-MIB rPDUOutlet)',
  sysObjectIds: ['1.3.6.1.4.1.318.1.3.4.5'],
  indexArity: 1,
  unitPrefix: '',
  nameColumn: `${RPDU}.5.1.1.2`, // rPDUOutletStatusOutletName
  stateColumn: `${RPDU}.5.1.1.4`, // rPDUOutletStatusOutletState: outletStatusOn(1) outletStatusOff(2)
  decodeState: enumDecoder({ 1: 'on', 2: 'off' }),
  // rPDUOutletStatusCommandPending: outletStatusCommandPending(1) outletStatusNoCommandPending(2)
  pending: { column: `${RPDU}.5.1.1.5`, decode: (v) => (v === 1 ? true : v === 2 ? false : null) },
  off: { column: `${RPDU}.3.1.1.4`, value: 2 }, // rPDUOutletControlOutletCommand immediateOff(2)
  on: (delay) => ({ column: `${RPDU}.3.1.1.4`, value: delay !== null && delay > 0 ? 4 : 1 }), // delayedOn(4) / immediateOn(1)
  onDelay: { column: `${RPDU}.4.1.1.4`, scope: 'outlet', ...powerOnTime }, // rPDUOutletConfigPowerOnTime, seconds
};

export const APC_RPDU2: VendorTable = {
  vendor: 'apc',
  model: 'APC rPDU2 (PowerNet-MIB rPDU2OutletSwitched)',
  sysObjectIds: ['1.3.6.1.4.1.318.1.3.4.6'],
  indexArity: 1,
  unitPrefix: '',
  nameColumn: `${RPDU2}.3.1.3`, // rPDU2OutletSwitchedStatusName
  stateColumn: `${RPDU2}.3.1.5`, // rPDU2OutletSwitchedStatusState: off(1) on(2)
  decodeState: enumDecoder({ 1: 'off', 2: 'on' }),
  // rPDU2OutletSwitchedStatusCommandPending: commandPending(1) noCommandPending(2) commandPendingUnknown(3)
  pending: { column: `${RPDU2}.3.1.6`, decode: (v) => (v === 1 ? true : v === 2 ? false : v === 3 ? false : null) },
  off: { column: `${RPDU2}.4.1.5`, value: 2 }, // rPDU2OutletSwitchedControlCommand immediateOff(2)
  on: (delay) => ({ column: `${RPDU2}.4.1.5`, value: delay !== null && delay > 0 ? 5 : 1 }), // delayedOn(5) / immediateOn(1)
  onDelay: { column: `${RPDU2}.1.1.5`, scope: 'outlet', ...powerOnTime }, // rPDU2OutletSwitchedConfigPowerOnTime, seconds
};
