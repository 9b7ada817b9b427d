// What the test PDU serves for each vendor, written from the MIBs themselves
// (not from the driver's tables, so that a wrong OID in the driver fails the
// tests instead of being mirrored): PowerNet-MIB rPDU/rPDU2, CPS-MIB ePDU,
// EATON-EPDU-MIB, PDU2-MIB, Sentry3-MIB and Sentry4-MIB, all as shipped in
// observium-community-edition (mibs/, commit df77e9d3). Column numbers and
// enumerations are the MIBs'; the comments name the objects.

import type { FakeOutlet } from './outlet.ts';

export interface Unit {
  /** Raritan inrushGuardDelay, ms between two outlets switching on. */
  inrushMs: number;
  nextOnAt: number;
}

export interface FakeColumn {
  number: number;
  name: string;
  kind: 'int' | 'text';
  read(o: FakeOutlet, u: Unit): number | string;
  /** A SET; false answers wrongValue. Absent: read-only. */
  write?(o: FakeOutlet, v: number, u: Unit): boolean;
}

export interface FakeTable {
  name: string;
  /** The table's entry OID. */
  entry: string;
  columns: FakeColumn[];
}

export interface FakeProfile {
  sysObjectId: string;
  /** Index components before the outlet number: [] APC, [0] Eaton strapping, [1] Raritan pduId, [1, 1] Sentry tower.infeed. */
  unitIndex: number[];
  tables: FakeTable[];
  /** The column the malformed-reply tests corrupt. */
  state: { table: string; column: number };
  /** A per-unit scalar column (Raritan unitConfigurationTable.inrushGuardDelay). */
  unitTable?: FakeTable;
}

const name = (n: number): FakeColumn => ({ number: n, name: `name${n}`, kind: 'text', read: (o) => o.name });
const relayOn = (o: FakeOutlet): boolean => o.power() === 'on' || o.power() === 'stopping';

/** APC rPDU and CyberPower ePDU share the layout: control 3, config 4, status 5 under the outlet group. */
function rpduLike(base: string, sysObjectId: string): FakeProfile {
  const command = (o: FakeOutlet, v: number): boolean => {
    if (v === 1) o.on(); // immediateOn
    else if (v === 2) o.off(); // immediateOff
    else if (v === 4) o.on(o.onDelay * 1000); // delayedOn: after ...ConfigPowerOnTime
    else return false;
    return true;
  };
  return {
    sysObjectId,
    unitIndex: [],
    state: { table: 'status', column: 4 },
    tables: [
      { name: 'control', entry: `${base}.3.1.1`, columns: [name(2), { number: 4, name: 'command', kind: 'int', read: (o) => (relayOn(o) ? 1 : 2), write: command }] },
      { name: 'config', entry: `${base}.4.1.1`, columns: [name(2), { number: 4, name: 'powerOnTime', kind: 'int', read: (o) => o.onDelay }] },
      {
        name: 'status',
        entry: `${base}.5.1.1`,
        columns: [name(2), { number: 4, name: 'state', kind: 'int', read: (o) => (relayOn(o) ? 1 : 2) }, { number: 5, name: 'pending', kind: 'int', read: (o) => (o.pending() ? 1 : 2) }],
      },
    ],
  };
}

export const PROFILES = {
  // PowerNet-MIB rPDUOutlet (318.1.1.12.3), masterSwitchrPDU sysObjectID 318.1.3.4.5
  apc: rpduLike('1.3.6.1.4.1.318.1.1.12.3', '1.3.6.1.4.1.318.1.3.4.5'),
  // PowerNet-MIB rPDU2OutletSwitched (318.1.1.26.9.2): Config 1 (name 3, PowerOnTime 5), Status 3 (name 3, state off(1)/on(2) 5, pending 6), Control 4 (command 5)
  apc2: {
    sysObjectId: '1.3.6.1.4.1.318.1.3.4.6',
    unitIndex: [],
    state: { table: 'status', column: 5 },
    tables: [
      { name: 'config', entry: '1.3.6.1.4.1.318.1.1.26.9.2.1.1', columns: [name(3), { number: 5, name: 'powerOnTime', kind: 'int', read: (o) => o.onDelay }] },
      {
        name: 'status',
        entry: '1.3.6.1.4.1.318.1.1.26.9.2.3.1',
        columns: [name(3), { number: 5, name: 'state', kind: 'int', read: (o) => (relayOn(o) ? 2 : 1) }, { number: 6, name: 'pending', kind: 'int', read: (o) => (o.pending() ? 1 : 2) }],
      },
      {
        name: 'control',
        entry: '1.3.6.1.4.1.318.1.1.26.9.2.4.1',
        columns: [
          name(3),
          {
            number: 5,
            name: 'command',
            kind: 'int',
            read: (o) => (relayOn(o) ? 1 : 2),
            write: (o, v) => (v === 1 ? (o.on(), true) : v === 2 ? (o.off(), true) : v === 5 ? (o.on(o.onDelay * 1000), true) : false),
          },
        ],
      },
    ],
  },
  // CPS-MIB ePDUOutlet (3808.1.1.3.3)
  cyberpower: rpduLike('1.3.6.1.4.1.3808.1.1.3.3', '1.3.6.1.4.1.3808.1.1.3'),
  // EATON-EPDU-MIB outlets (534.6.6.7.6): outletTable 1 (outletName 3), outletControlTable 6 (status 2, offCmd 3, onCmd 4, sequenceDelay 7), index {strappingIndex, outletIndex}
  eaton: {
    sysObjectId: '1.3.6.1.4.1.534.6.6.7',
    unitIndex: [0],
    state: { table: 'control', column: 2 },
    tables: [
      { name: 'outlet', entry: '1.3.6.1.4.1.534.6.6.7.6.1.1', columns: [name(3)] },
      {
        name: 'control',
        entry: '1.3.6.1.4.1.534.6.6.7.6.6.1',
        columns: [
          { number: 2, name: 'status', kind: 'int', read: (o) => ({ off: 0, on: 1, stopping: 2, starting: 3 })[o.power()] },
          { number: 3, name: 'offCmd', kind: 'int', read: () => -1, write: (o, v) => (v === 0 ? (o.off(), true) : false) },
          { number: 4, name: 'onCmd', kind: 'int', read: (o) => o.countdown(), write: (o, v) => (v >= 0 && v <= 99999 ? (o.on(v * 1000), true) : v === -1 ? (o.cancel(), true) : false) },
          { number: 7, name: 'sequenceDelay', kind: 'int', read: (o) => o.onDelay },
        ],
      },
    ],
  },
  // PDU2-MIB (13742.6): outletConfigurationTable 3.5.3 (outletName 3), outletSwitchControlTable 4.1.2 (switchingOperation 2, outletSwitchingState 3: on(7) off(8)), index {pduId, outletId}
  raritan: {
    sysObjectId: '1.3.6.1.4.1.13742.6',
    unitIndex: [1],
    state: { table: 'switch', column: 3 },
    tables: [
      { name: 'config', entry: '1.3.6.1.4.1.13742.6.3.5.3.1', columns: [{ number: 2, name: 'label', kind: 'text', read: (o) => String(o.number) }, name(3)] },
      {
        name: 'switch',
        entry: '1.3.6.1.4.1.13742.6.4.1.2.1',
        columns: [
          {
            number: 2,
            name: 'switchingOperation',
            kind: 'int',
            read: (o) => (relayOn(o) ? 1 : 0),
            write: (o, v, u) => {
              if (v === 0) o.off();
              else if (v === 1) {
                // The inrush guard: outlets switched on one after another, inrushGuardDelay apart.
                const now = performance.now();
                const at = Math.max(now, u.nextOnAt);
                u.nextOnAt = at + u.inrushMs;
                o.on(at - now);
              } else return false;
              return true;
            },
          },
          { number: 3, name: 'switchingState', kind: 'int', read: (o) => (relayOn(o) ? 7 : 8) },
        ],
      },
    ],
    // unitConfigurationTable (3.2.2), inrushGuardDelay 57, index {pduId}
    unitTable: { name: 'unit', entry: '1.3.6.1.4.1.13742.6.3.2.2.1', columns: [{ number: 57, name: 'inrushGuardDelay', kind: 'int', read: (_o, u) => u.inrushMs }] },
  },
  // Sentry3-MIB outletTable (1718.3.2.3.1), index {towerIndex, infeedIndex, outletIndex}: name 3, status 5, controlAction 11, postOnDelay 20
  sentry3: {
    sysObjectId: '1.3.6.1.4.1.1718.3',
    unitIndex: [1, 1],
    state: { table: 'outlet', column: 5 },
    tables: [
      {
        name: 'outlet',
        entry: '1.3.6.1.4.1.1718.3.2.3.1',
        columns: [
          name(3),
          { number: 5, name: 'status', kind: 'int', read: (o) => ({ off: 0, on: 1, stopping: 2, starting: 3 })[o.power()] },
          { number: 11, name: 'controlAction', kind: 'int', read: () => 0, write: (o, v) => (v === 1 ? (o.on(), true) : v === 2 ? (o.off(), true) : false) },
          { number: 20, name: 'postOnDelay', kind: 'int', read: (o) => o.onDelay },
        ],
      },
    ],
  },
  // Sentry4-MIB st4Outlets (1718.4.1.8): config 2 (name 3, postOnDelay 21), monitor 3 (state 1: on(1) off(2)), control 5 (controlState 1, action 2)
  sentry4: {
    sysObjectId: '1.3.6.1.4.1.1718.4',
    unitIndex: [1, 1],
    state: { table: 'monitor', column: 1 },
    tables: [
      { name: 'config', entry: '1.3.6.1.4.1.1718.4.1.8.2.1', columns: [name(3), { number: 21, name: 'postOnDelay', kind: 'int', read: (o) => o.onDelay }] },
      { name: 'monitor', entry: '1.3.6.1.4.1.1718.4.1.8.3.1', columns: [{ number: 1, name: 'state', kind: 'int', read: (o) => (relayOn(o) ? 1 : 2) }] },
      {
        name: 'control',
        entry: '1.3.6.1.4.1.1718.4.1.8.5.1',
        columns: [
          { number: 1, name: 'controlState', kind: 'int', read: (o) => ({ off: 10, on: 11, stopping: 9, starting: 8 })[o.power()] },
          { number: 2, name: 'action', kind: 'int', read: () => 0, write: (o, v) => (v === 1 ? (o.on(), true) : v === 2 ? (o.off(), true) : false) },
        ],
      },
    ],
  },
} satisfies Record<string, FakeProfile>;

export type ProfileName = keyof typeof PROFILES;
