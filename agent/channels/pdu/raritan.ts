// Raritan PX2/PX3, PDU2-MIB (enterprise 13742).
// Source: PDU2-MIB (LAST-UPDATED 202209210000Z) as shipped in observium-community-edition
// (mibs/raritan/PDU2-MIB, commit df77e9d3): pdu2 = raritan 6; outletSwitchControlTable =
// control(4) outletControl(1) 2 with switchingOperation 2 (OutletSwitchingOperationsEnumeration
// off(0) on(1) cycle(2)) and outletSwitchingState 3 (SensorStateEnumeration: on(7) off(8),
// unavailable(-1) and the sensor states); outletConfigurationTable = configuration(3)
// outlets(5) 3 with outletName 3; both indexed by { pduId, outletId } (pduId 1 standalone);
// inrushGuardDelay = unitConfigurationTable (configuration(3) unit(2) 2) column 57, in ms,
// "the time interval between switching on two outlets".
// sysObjectID 1.3.6.1.4.1.13742.6: NUT drivers/raritan-px2-mib.c (RARITAN_PX2_MIB_SYSOID).
// switchingOperation on is applied outlet by outlet with the inrush guard between them, so
// switching n outlets on takes up to (n-1) x inrushGuardDelay.

import { enumDecoder, type OutletReading, type VendorTable } from './table.ts';

const PDU2 = '1.3.6.1.4.1.13742.6';
/** Every SensorStateEnumeration value: only on(7)/off(8) mean anything for a switched outlet. */
const SENSOR_STATES: Record<number, OutletReading> = { 7: 'on', 8: 'off' };
for (const v of [-1, 0, 1, 2, 3, 4, 5, 6, 9, 10, 11, 12, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30]) SENSOR_STATES[v] = 'unknown';

export const RARITAN: VendorTable = {
  vendor: 'raritan',
  model: 'Raritan PDU2-MIB (outletSwitchControlTable)',
  sysObjectIds: ['1.3.6.1.4.1.13742.6'],
  indexArity: 2,
  unitPrefix: '1',
  nameColumn: `${PDU2}.3.5.3.1.3`, // outletName
  stateColumn: `${PDU2}.4.1.2.1.3`, // outletSwitchingState
  decodeState: enumDecoder(SENSOR_STATES),
  off: { column: `${PDU2}.4.1.2.1.2`, value: 0 }, // switchingOperation off(0)
  on: () => ({ column: `${PDU2}.4.1.2.1.2`, value: 1 }), // switchingOperation on(1)
  onDelay: { column: `${PDU2}.3.2.2.1.57`, scope: 'unit', min: 100, max: 10000, totalMs: (v, n) => Math.max(0, ...v) * Math.max(0, n - 1) },
};
