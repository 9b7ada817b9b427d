// PCI functions from /sys/bus/pci/devices, with the roles that matter for
// out-of-band management recognised from their ids.

import type { ErrorSink } from './errors.ts';
import type { SysRoot } from './sysroot.ts';
import { findPciIds, lookupPciNames, NO_NAMES, readPciIds, type PciNames } from './pciids.ts';

/** What a PCI function means for out-of-band management; most are 'other'. */
export type PciRole =
  | 'mei' // Intel HECI/MEI (CSME) controller: the host side of the ME
  | 'amt-sol' // AMT Serial-over-LAN (KT) function
  | 'amt-ider' // AMT IDE redirection function
  | 'dash' // Realtek RealManage DASH function (10ec:816a-816e)
  | 'bmc-video' // BMC's VGA (ASPEED AST2x00, Matrox G200e/eR/eH/eW ...)
  | 'nic'
  | 'watchdog' // e.g. Intel 6300ESB
  | 'other';

export interface PciDevice {
  /** "0000:00:16.0" */
  address: string;
  vendorId: number;
  deviceId: number;
  subsystemVendorId: number | null;
  subsystemId: number | null;
  /** 24-bit class code, e.g. 0x078000. */
  classCode: number;
  revision: number | null;
  /** Bound driver's name, e.g. "mei_me", "e1000e", null when none. */
  driver: string | null;
  /** From pci.ids when it is installed, else null. */
  vendorName: string | null;
  deviceName: string | null;
  className: string | null;
  role: PciRole;
}

const DEVICES = '/sys/bus/pci/devices';

const INTEL = 0x8086;
const REALTEK = 0x10ec;
const ASPEED = 0x1a03;
const MATROX = 0x102b;

/**
 * HECI/MEI host functions the Linux drivers bind: `PCI_DEVICE_ID_INTEL_MEI_*` in
 * drivers/misc/mei/hw-me-regs.h (mei_me) and drivers/misc/mei/pci-txe.c (mei_txe:
 * 0x0F18 Bay Trail, 0x2298 Cherry Trail). The second and third HECI functions of a
 * chipset are not all listed there; pci.ids names and the 00:16.x slot catch those.
 */
export const MEI_DEVICE_IDS: ReadonlySet<number> = new Set([
  0x2974, 0x2984, 0x2994, 0x29a4, 0x2a04, 0x2a14, 0x29b4, 0x29c4, 0x29d4, 0x29e4, 0x29f4,
  0x28b4, 0x28c4, 0x28d4, 0x28e4, 0x28f4, 0x2a44, 0x2a54, 0x2a64, 0x2a74, 0x2e04, 0x2e14,
  0x2e24, 0x2e34, 0x3b64, 0x3b65, 0x1c3a, 0x1d3a, 0x1e3a, 0x1cba, 0x1dba, 0x8c3a, 0x8d3a,
  0x9c3a, 0x8cba, 0x9cba, 0x9cbb, 0x9d3a, 0x9d3b, 0x9d3e, 0xa13a, 0xa13b, 0xa1ba, 0x1a9a,
  0x5a9a, 0x19e5, 0x319a, 0xa2ba, 0xa2bb, 0xa2be, 0x9de0, 0x9de4, 0xa360, 0xa364, 0x02e0,
  0x02e4, 0xa3ba, 0x06e0, 0x06e4, 0x18d3, 0x34e0, 0x38e0, 0x4de0, 0xa0e0, 0x43e0, 0x4b70,
  0x4b75, 0x1be0, 0x7ae8, 0x7a60, 0x51e0, 0x54e0, 0x7a68, 0x7e70, 0x7f68, 0x7770, 0xa870,
  0xe370, 0xe470, 0x4d70, 0x6e68,
  0x0f18, 0x2298,
]);

/** Server-BMC VGA: ASPEED AST2x00 and the Matrox G200 variants the kernel's mgag200 driver binds for BMCs (G200 PCI/AGP cards 0520/0521 are add-in boards, not BMCs). */
const BMC_VIDEO: ReadonlyMap<number, ReadonlySet<number>> = new Map([
  [ASPEED, new Set([0x2000])],
  // mgag200_drv.c: 0522 G200e SE_A, 0524 SE_B, 0530 G200EV, 0532 G200eW, 0533 G200EH, 0534 G200eR, 0536 G200eW3, 0538 G200eH3.
  [MATROX, new Set([0x0522, 0x0524, 0x0530, 0x0532, 0x0533, 0x0534, 0x0536, 0x0538])],
]);

/** Realtek RealManage (DASH) functions, pci.ids vendor 10ec: 816a/816b UARTs, 816c IPMI, 816d EHCI, 816e BMC. */
export const REALMANAGE_IDS: ReadonlySet<number> = new Set([0x816a, 0x816b, 0x816c, 0x816d, 0x816e]);

/** Intel 6300ESB watchdog timer (i6300esb driver; QEMU's `-device i6300esb`). */
const WATCHDOG_IDS: ReadonlyMap<number, ReadonlySet<number>> = new Map([[INTEL, new Set([0x25ab])]]);

export interface ReadPciOptions {
  /** Path of pci.ids; default: the first of PCI_IDS_PATHS that exists. null: no names. */
  pciIds?: string | null;
}

export function readPci(sys: SysRoot, errs: ErrorSink, opts: ReadPciOptions = {}): PciDevice[] {
  const names = errs.take(DEVICES, sys.list(DEVICES));
  if (!names) return [];
  const raw: RawFunction[] = [];
  for (const address of names) {
    const f = readFunction(sys, errs, address);
    if (f) raw.push(f);
  }
  raw.sort((a, b) => compareAddress(a.address, b.address));
  const db = raw.length > 0 ? loadNames(raw, errs, opts) : NO_NAMES;
  return raw.map((f) => {
    const vendorName = db.vendor(f.vendorId);
    const deviceName = db.device(f.vendorId, f.deviceId);
    return { ...f, vendorName, deviceName, className: db.className(f.classCode), role: pciRole(f, deviceName) };
  });
}

type RawFunction = Omit<PciDevice, 'vendorName' | 'deviceName' | 'className' | 'role'>;

function readFunction(sys: SysRoot, errs: ErrorSink, address: string): RawFunction | null {
  const dir = `${DEVICES}/${address}`;
  const need = (attr: string, max: number): number | null => {
    const p = `${dir}/${attr}`;
    const text = errs.take(p, sys.readText(p));
    if (text === undefined) return null;
    const v = parseSysfsHex(text, max);
    if (v === null) errs.add(p, 'MALFORMED', `${p}: expected a hex number up to 0x${max.toString(16)}, got ${JSON.stringify(text.slice(0, 20))}`);
    return v;
  };
  const optional = (attr: string, max: number): number | null => {
    const p = `${dir}/${attr}`;
    const r = sys.readText(p);
    if (!r.ok) {
      if (r.error.code !== 'ENOENT') errs.add(p, r.error.code, r.error.message);
      return null;
    }
    const v = parseSysfsHex(r.value, max);
    if (v === null) errs.add(p, 'MALFORMED', `${p}: expected a hex number up to 0x${max.toString(16)}, got ${JSON.stringify(r.value.slice(0, 20))}`);
    return v;
  };
  const vendorId = need('vendor', 0xffff);
  const deviceId = need('device', 0xffff);
  const classCode = need('class', 0xffffff);
  if (vendorId === null || deviceId === null || classCode === null) return null;
  return {
    address,
    vendorId,
    deviceId,
    subsystemVendorId: optional('subsystem_vendor', 0xffff),
    subsystemId: optional('subsystem_device', 0xffff),
    classCode,
    revision: optional('revision', 0xff),
    driver: sys.linkName(`${dir}/driver`) ?? null,
  };
}

/** sysfs prints these ids as `0x%04x` / `0x%06x` / `0x%02x`. */
export function parseSysfsHex(text: string, max: number): number | null {
  const m = /^0x([0-9a-fA-F]{1,8})$/.exec(text.trim());
  if (!m) return null;
  const v = parseInt(m[1]!, 16);
  return v <= max ? v : null;
}

function loadNames(fns: RawFunction[], errs: ErrorSink, opts: ReadPciOptions): PciNames {
  const path = opts.pciIds === undefined ? findPciIds() : opts.pciIds;
  if (path === null) return NO_NAMES;
  const r = readPciIds(path);
  if (!r.ok) {
    // A missing database only costs the names; anything else is worth reporting.
    if (r.error.code !== 'ENOENT') errs.add(path, r.error.code, r.error.message);
    return NO_NAMES;
  }
  const devices = new Map<number, Set<number>>();
  const classes = new Set<number>();
  for (const f of fns) {
    let set = devices.get(f.vendorId);
    if (!set) devices.set(f.vendorId, (set = new Set()));
    set.add(f.deviceId);
    classes.add(f.classCode >> 8);
  }
  return lookupPciNames(r.value, { devices, classes });
}

interface Bdf {
  domain: number;
  bus: number;
  device: number;
  fn: number;
}

/** "0000:00:16.0" -> parts, or null for a name that is not a PCI address. */
export function parseAddress(address: string): Bdf | null {
  const m = /^([0-9a-fA-F]{4,8}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\.([0-7])$/.exec(address);
  if (!m) return null;
  return { domain: parseInt(m[1]!, 16), bus: parseInt(m[2]!, 16), device: parseInt(m[3]!, 16), fn: Number(m[4]) };
}

function compareAddress(a: string, b: string): number {
  const pa = parseAddress(a);
  const pb = parseAddress(b);
  if (!pa || !pb) return pa ? -1 : pb ? 1 : a < b ? -1 : a > b ? 1 : 0;
  return pa.domain - pb.domain || pa.bus - pb.bus || pa.device - pb.device || pa.fn - pb.fn;
}

/** The same slot (domain:bus:device), so functions of one multi-function card. */
export function sameSlot(a: string, b: string): boolean {
  const pa = parseAddress(a);
  const pb = parseAddress(b);
  return !!pa && !!pb && pa.domain === pb.domain && pa.bus === pb.bus && pa.device === pb.device;
}

const KT_NAME = /\bKT\b|\bSOL\b|Keyboard and Text|Serial[- ]over[- ]LAN/i;
const IDER_NAME = /\bIDE-?R\b|\bIDER\b|IDE Redirection/i;
const MEI_NAME = /\bHECI\b|\bMEI\b|Management Engine Interface|\bME Interface\b|Trusted Execution Engine\b/i;

/**
 * What a function is for out-of-band management. Intel's ME functions sit at
 * 00:16.0/.1/.4 (HECI1-3, class 0x0780), 00:16.2 (IDE-R, class 0x0101) and 00:16.3
 * (KT/SOL, class 0x0700) on chipsets since the 965 (pci.ids names them so).
 */
export function pciRole(f: Pick<PciDevice, 'address' | 'vendorId' | 'deviceId' | 'classCode' | 'driver'>, deviceName: string | null): PciRole {
  const { vendorId: v, deviceId: d } = f;
  if (v === REALTEK && REALMANAGE_IDS.has(d)) return 'dash';
  if (BMC_VIDEO.get(v)?.has(d)) return 'bmc-video';
  if (WATCHDOG_IDS.get(v)?.has(d)) return 'watchdog';
  if (v === INTEL) {
    const role = intelMeRole(f, deviceName);
    if (role) return role;
  }
  if (f.classCode >> 16 === 0x02) return 'nic';
  return 'other';
}

function intelMeRole(f: Pick<PciDevice, 'address' | 'deviceId' | 'classCode' | 'driver'>, name: string | null): PciRole | null {
  if (MEI_DEVICE_IDS.has(f.deviceId) || f.driver === 'mei_me' || f.driver === 'mei_txe') return 'mei';
  // "8 Series HECI KT" and "8 Series HECI IDER" name HECI too, so KT/IDE-R go first.
  if (name && KT_NAME.test(name)) return 'amt-sol';
  if (name && IDER_NAME.test(name)) return 'amt-ider';
  if (name && MEI_NAME.test(name) && f.classCode >> 8 === 0x0780) return 'mei';
  const a = parseAddress(f.address);
  if (!a || a.bus !== 0 || a.device !== 0x16) return null;
  const cls = f.classCode >> 8;
  if (cls === 0x0780 && (a.fn === 0 || a.fn === 1 || a.fn === 4)) return 'mei';
  if (cls === 0x0101 && a.fn === 2) return 'amt-ider';
  if (cls === 0x0700 && a.fn === 3) return 'amt-sol';
  return null;
}
