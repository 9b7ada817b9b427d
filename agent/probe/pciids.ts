// Names for PCI ids from the pci.ids database (the PCI ID Project's file that
// lspci reads). The file is ~1.3 MB; the report looks up a handful of ids, so
// this never parses it whole: one regex scan finds the wanted vendor lines,
// one per vendor block its devices, one over the class section; only those
// lines are decoded.
//
// Format (header of pci.ids): vendor lines `vvvv  name` at column 0, device lines
// `\tdddd  name`, subsystem lines `\t\tssss dddd  name`; the class section has
// `C cc  name`, subclass `\tss  name`, prog-if `\t\tpp  name`. `#` starts a comment.

import { SysRoot } from './sysroot.ts';
import type { Result } from './errors.ts';

/** Where Debian (`pci.ids` package) and Fedora/Arch (`hwdata`) install it. Live paths: it is a database, not machine state. */
export const PCI_IDS_PATHS = ['/usr/share/misc/pci.ids', '/usr/share/hwdata/pci.ids'] as const;
/** Real files are ~1.3 MB; anything far larger is not pci.ids. */
export const PCI_IDS_CAP = 16 * 1024 * 1024;

export interface PciNameQuery {
  /** vendor id -> device ids wanted under it (the vendor's own name is always looked up). */
  devices: Map<number, Set<number>>;
  /** 16-bit class<<8|subclass values. */
  classes: Set<number>;
}

export interface PciNames {
  vendor(vendorId: number): string | null;
  device(vendorId: number, deviceId: number): string | null;
  /** The subclass name, else the base class name, as lspci prints them (without its " [xxxx]"). */
  className(classCode24: number): string | null;
}

export const NO_NAMES: PciNames = { vendor: () => null, device: () => null, className: () => null };

export function readPciIds(path: string): Result<Buffer> {
  return new SysRoot('/').readBytes(path, PCI_IDS_CAP);
}

/** The first pci.ids that exists on this machine, or null. */
export function findPciIds(paths: readonly string[] = PCI_IDS_PATHS): string | null {
  const live = new SysRoot('/');
  return paths.find((p) => live.exists(p)) ?? null;
}

const NL = 0x0a;

export function lookupPciNames(db: Buffer, q: PciNameQuery): PciNames {
  // One byte per character, so string offsets are byte offsets into `db` and
  // indexOf/RegExp scan the file natively instead of a JS loop per line.
  const text = db.toString('latin1');
  const vendors = new Map<number, string>();
  const devices = new Map<number, string>();
  const classes = new Map<number, string>();
  const subclasses = new Map<number, string>();

  // The class section is the file's tail: searching backwards for its first line reads only that tail.
  const classStart = text.lastIndexOf('\nC 00  ');
  const vendorEnd = classStart < 0 ? text.length : classStart;

  for (const [vendorId, at] of findLines(text, 0, vendorEnd, '', [...q.devices.keys()].map(hex4))) {
    vendors.set(vendorId, nameOf(db, at, 6));
    const wanted = [...(q.devices.get(vendorId) ?? [])].map(hex4);
    for (const [id, line] of findLines(text, at, blockEnd(text, at), '\\t', wanted)) devices.set(key(vendorId, id), nameOf(db, line, 7));
  }

  if (classStart >= 0) {
    const bases = [...new Set([...q.classes].map((c) => c >> 8))].map(hex2);
    for (const [base, at] of findLines(text, classStart, text.length, 'C ', bases)) {
      classes.set(base, nameOf(db, at, 6));
      const subs = [...q.classes].filter((c) => c >> 8 === base).map((c) => hex2(c & 0xff));
      for (const [id, line] of findLines(text, at, blockEnd(text, at), '\\t', subs)) subclasses.set((base << 8) | id, nameOf(db, line, 5));
    }
  }

  return {
    vendor: (v) => vendors.get(v) ?? null,
    device: (v, d) => devices.get(key(v, d)) ?? null,
    className: (c) => subclasses.get((c >> 8) & 0xffff) ?? classes.get((c >> 16) & 0xff) ?? null,
  };
}

const key = (v: number, d: number): number => v * 0x10000 + d;
const hex4 = (n: number): string => n.toString(16).padStart(4, '0');
const hex2 = (n: number): string => n.toString(16).padStart(2, '0');

/** Where the block below the top-level line at `start` ends: the next vendor or class line, or EOF. */
function blockEnd(text: string, start: number): number {
  const next = /\n(?:[0-9a-f]|C )/g;
  next.lastIndex = start;
  return next.exec(text)?.index ?? text.length;
}

/**
 * Offsets of the lines `<lead><id>  name` in [from, to) for the wanted hex ids, in
 * one native regex scan: vendors (lead ''), classes ('C '), devices and
 * subclasses ('\\t', written as a regex escape).
 */
function findLines(text: string, from: number, to: number, lead: string, ids: string[]): Map<number, number> {
  const found = new Map<number, number>();
  if (ids.length === 0) return found;
  // ids are hex digits and `lead` is fixed text, so nothing needs escaping. Anchoring
  // on "\n" rather than (^|\n) keeps the scan a fast literal search; pci.ids starts
  // with comment lines, so no id line sits at offset 0.
  const want = new RegExp(`\\n${lead}(${ids.join('|')})  `, 'g');
  want.lastIndex = Math.max(0, from - 1);
  for (let m = want.exec(text); m && m.index < to && found.size < ids.length; m = want.exec(text)) {
    const id = parseInt(m[1]!, 16);
    if (!found.has(id)) found.set(id, m.index + 1);
  }
  return found;
}

/** The name after `skip` characters on the line at `start` (pci.ids is UTF-8). */
function nameOf(db: Buffer, start: number, skip: number): string {
  let end = db.indexOf(NL, start);
  if (end < 0) end = db.length;
  return db.toString('utf8', start + skip, end).trim();
}
