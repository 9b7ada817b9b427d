// Server Technology Sentry PDUs, Sentry3-MIB and Sentry4-MIB (enterprise 1718).
// Sources: Sentry3-MIB (LAST-UPDATED 201601251630Z) and Sentry4-MIB (LAST-UPDATED
// 202303101100Z) as shipped in observium-community-edition (mibs/sentry/, commit df77e9d3).
// Sentry3: sentry3 = serverTech 3, outletTable = systemTables(2) 3, indexed by { towerIndex,
// infeedIndex, outletIndex }: outletName 3, outletStatus 5 (off(0) on(1) offWait(2) onWait(3)
// offError(4) onError(5) noComm(6) reading(7) offFuse(8) onFuse(9)), outletControlAction 11
// (none(0) on(1) off(2) reboot(3)), outletPostOnDelay 20 (0..900 s).
// Sentry4: sentry4 = serverTech 4, st4Outlets = st4Objects(1) 8, indexed by { st4UnitIndex,
// st4InputCordIndex, st4OutletIndex }: st4OutletConfigTable 2 (st4OutletName 3,
// st4OutletPostOnDelay 21), st4OutletMonitorTable 3 (st4OutletState 1: unknown(0) on(1)
// off(2)), st4OutletControlTable 5 (st4OutletControlState 1, st4OutletControlAction 2 on(1)
// off(2)). Sentry4 control paths cross-checked with a published snmpset example
// (.1718.4.1.8.5.1.2.1.1.N i 1/2). sysObjectIDs 1718.3 (Datadog's Sentry3 profile) and
// 1718.4 (a Sentry4 inventory script); both are the MIB module OIDs.
// Post-on delay: the MIBs say only "the post-on delay of the outlet"; we read it as the
// pause after this outlet before the next one switches and budget their sum (NOT confirmed
// how firmware applies it to outlets switched by separate SETs).

import { enumDecoder, type VendorTable } from './table.ts';

const S3 = '1.3.6.1.4.1.1718.3.2.3.1';
const S4 = '1.3.6.1.4.1.1718.4.1.8';
const sequence = (v: readonly number[]) => v.slice(0, -1).reduce((a, b) => a + Math.max(0, b), 0) * 1000;

export const SENTRY3: VendorTable = {
  vendor: 'servertech',
  model: 'ServerTech Sentry3-MIB (outletTable)',
  sysObjectIds: ['1.3.6.1.4.1.1718.3'],
  indexArity: 3,
  unitPrefix: '1.1',
  nameColumn: `${S3}.3`,
  stateColumn: `${S3}.5`,
  // The error, fuse and no-communication states say the outlet does not match its control: neither on nor off.
  decodeState: enumDecoder({ 0: 'off', 1: 'on', 2: 'switching', 3: 'switching', 4: 'unknown', 5: 'unknown', 6: 'unknown', 7: 'switching', 8: 'unknown', 9: 'unknown' }),
  off: { column: `${S3}.11`, value: 2 },
  on: () => ({ column: `${S3}.11`, value: 1 }),
  onDelay: { column: `${S3}.20`, scope: 'outlet', min: 0, max: 900, totalMs: sequence },
};

export const SENTRY4: VendorTable = {
  vendor: 'servertech',
  model: 'ServerTech Sentry4-MIB (st4Outlets)',
  sysObjectIds: ['1.3.6.1.4.1.1718.4'],
  indexArity: 3,
  unitPrefix: '1.1',
  nameColumn: `${S4}.2.1.3`,
  stateColumn: `${S4}.3.1.1`,
  decodeState: enumDecoder({ 0: 'unknown', 1: 'on', 2: 'off' }),
  // st4OutletControlState pendOn(8) pendOff(9) reboot(12) shutdown(13) are changes under way; 0..19 are all defined.
  pending: { column: `${S4}.5.1.1`, decode: (v) => (Number.isInteger(v) && v >= 0 && v <= 19 ? [8, 9, 12, 13].includes(v) : null) },
  off: { column: `${S4}.5.1.2`, value: 2 },
  on: () => ({ column: `${S4}.5.1.2`, value: 1 }),
  onDelay: { column: `${S4}.2.1.21`, scope: 'outlet', min: 0, max: 900, totalMs: sequence },
};
