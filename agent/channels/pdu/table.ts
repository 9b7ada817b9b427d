// What the driver needs to know about one vendor's outlet table: where the
// name, state and control columns are, how their integers read, and how the
// PDU delays a power-on. Each vendor file fills one of these from its MIB and
// cites it. (The test PDU writes its own copy from the MIBs, so that a wrong
// OID here fails a test instead of being mirrored.)

export type VendorName = 'apc' | 'raritan' | 'eaton' | 'servertech' | 'cyberpower';
export const VENDORS: readonly VendorName[] = ['apc', 'raritan', 'eaton', 'servertech', 'cyberpower'];

/** One outlet as its PDU reports it. `switching`: the PDU says a change is under way (pendingOn, onWait...). */
export type OutletReading = 'on' | 'off' | 'switching' | 'unknown';

/** A SET of an INTEGER column: the whole control vocabulary of these MIBs. */
export interface Command {
  column: string;
  value: number;
}

export interface OnDelay {
  /** The column (per outlet) or object (per unit) holding the delay. */
  column: string;
  /** 'outlet': instance = the outlet's; 'unit': instance = the outlet's unit (first index component). */
  scope: 'outlet' | 'unit';
  /** The values the MIB allows; anything else is not this MIB. */
  min: number;
  max: number;
  /** Milliseconds until every outlet has been switched on, from the delays read (one per outlet or per unit). */
  totalMs(values: readonly number[], outlets: number): number;
}

export interface VendorTable {
  vendor: VendorName;
  /** Which MIB and table, for messages and describe(). */
  model: string;
  /** sysObjectID values (or subtrees) that select this table. */
  sysObjectIds: readonly string[];
  /** Index components of an outlet row; an outlet number N becomes `${unitPrefix}.N` (or N when the prefix is ''). */
  indexArity: number;
  unitPrefix: string;
  /** A column of names, walked to resolve --outlet NAME. */
  nameColumn: string;
  stateColumn: string;
  /** null: not a value this MIB defines for the column (the reply is not the MIB: PROTOCOL). */
  decodeState(v: number): OutletReading | null;
  /** A column saying a command is queued (APC, CyberPower) or a control state (Sentry4); the reading wins when it is definite. */
  pending?: { column: string; decode(v: number): boolean | null };
  off: Command;
  /** The on command for an outlet whose configured delay is `delay` (null when the vendor has no per-outlet delay). */
  on(delay: number | null): Command;
  onDelay?: OnDelay;
}

/** An integer -> reading map as the MIB lists it. */
export function enumDecoder(map: Readonly<Record<number, OutletReading>>): (v: number) => OutletReading | null {
  return (v) => (Object.hasOwn(map, v) ? (map[v] ?? null) : null);
}

/** The row instance of outlet `n` in this table. */
export const outletInstance = (t: VendorTable, n: number): string => (t.unitPrefix === '' ? String(n) : `${t.unitPrefix}.${n}`);
