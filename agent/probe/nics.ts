// Network interfaces from /sys/class/net: which bus each one sits on, the PCI
// function or USB device behind it, and link state. The Redfish probe matches
// SMBIOS 42 descriptors against these (a BMC's host interface is a USB
// CDC-Ethernet or PCI NIC), and Wake-on-LAN needs the physical PCI ones.
//
// Attribute formats follow Documentation/ABI/testing/sysfs-class-net: `speed`
// is Mb/s and reads -1 (or EINVAL) when the link is down, `carrier` is 0/1 and
// EINVAL when the interface is down, `type` is an ARPHRD_* number.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ErrorSink } from './errors.ts';
import type { SysRoot } from './sysroot.ts';

export type NicBus = 'pci' | 'usb' | 'virtio' | 'platform' | 'vmbus' | 'xen' | 'virtual' | 'other';

export interface PciIds {
  vendorId: number;
  deviceId: number;
  subsystemVendorId: number | null;
  subsystemId: number | null;
}

export interface UsbIds {
  vendorId: number;
  productId: number;
  serial: string | null;
}

export interface Nic {
  name: string;
  mac: string | null;
  driver: string | null;
  bus: NicBus;
  /** The PCI function that carries the NIC (for virtio, the function above the virtio device). */
  pciAddress: string | null;
  pciIds: PciIds | null;
  /** Set for USB NICs, e.g. a BMC's Redfish host interface. */
  usb: UsbIds | null;
  /** No `device` link: loopback, bridges, veth, ifb, tunnels. */
  virtual: boolean;
  speedMbps: number | null;
  operstate: string | null;
  carrier: boolean | null;
  mtu: number | null;
  /** ARPHRD_* (1 = Ethernet, 772 = loopback). */
  type: number | null;
}

export const PCI_ADDRESS = /^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$/;
// USB device and interface directory names: "1-1.2" and "1-1.2:1.0" (bus-port[.port]:config.interface).
const USB_DEVICE = /^\d+-\d+(?:\.\d+)*$/;
const USB_INTERFACE = /^\d+-\d+(?:\.\d+)*:\d+\.\d+$/;
const VIRTIO = /^virtio\d+$/;

/** Where a sysfs `device` link leads: the machine path when it stays inside the root, and its components. */
export interface DeviceRef {
  path: string | null;
  parts: string[];
}

/**
 * Follows a `device` link. On a live system the class entry is itself a link
 * into /sys/devices, so only realpath gives the right target; a dangling link
 * in a fixture is still read lexically so its components count.
 */
export function followDevice(sys: SysRoot, link: string): DeviceRef | null {
  const abs = sys.resolve(link);
  let target: string;
  try {
    target = fs.realpathSync(abs);
  } catch {
    try {
      target = path.resolve(path.dirname(abs), fs.readlinkSync(abs));
    } catch {
      return null;
    }
  }
  let rootReal: string;
  try {
    rootReal = fs.realpathSync(sys.root);
  } catch {
    rootReal = path.resolve(sys.root);
  }
  const rel = path.relative(rootReal, target);
  const inside = rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
  const machine = inside ? `/${rel.split(path.sep).join('/')}` : null;
  return { path: machine, parts: (machine ?? target).split(/[\\/]/).filter(Boolean) };
}

/** The nearest PCI function at or above a device, as its machine path and address. */
export function pciFunctionOf(dev: DeviceRef): { address: string; path: string | null } | null {
  for (let i = dev.parts.length - 1; i >= 0; i--) {
    const part = dev.parts[i] as string;
    if (PCI_ADDRESS.test(part)) {
      return { address: part, path: dev.path === null ? null : `/${dev.parts.slice(0, i + 1).join('/')}` };
    }
  }
  return null;
}

/**
 * Integer attribute: decimal, or hex with 0x (the watchdog `status` and
 * `options` files are printed with "0x%x"). Absent is undefined; anything
 * else that is not a number is an error entry and undefined.
 */
export function readIntAttr(sys: SysRoot, errs: ErrorSink, p: string, optional = false): number | undefined {
  const r = sys.readText(p);
  if (!r.ok) {
    if (r.error.code !== 'ENOENT' && !optional) errs.add(p, r.error.code, r.error.message);
    return undefined;
  }
  const n = parseSysInt(r.value);
  if (n === null) {
    errs.add(p, 'MALFORMED', `${p}: not a number: ${JSON.stringify(r.value.slice(0, 40))}`);
    return undefined;
  }
  return n;
}

/** "30", "-1", "0x200" -> number; anything else -> null. */
export function parseSysInt(text: string): number | null {
  const t = text.trim();
  if (/^-?\d{1,15}$/.test(t)) return Number(t);
  if (/^0x[0-9a-f]{1,12}$/i.test(t)) return Number.parseInt(t.slice(2), 16);
  return null;
}

/** A hex id attribute such as PCI `vendor` ("0x8086") or USB `idVendor` ("0b1f"). */
function readHexId(sys: SysRoot, errs: ErrorSink, p: string): number | null {
  const r = sys.readText(p);
  if (!r.ok) {
    if (r.error.code !== 'ENOENT') errs.add(p, r.error.code, r.error.message);
    return null;
  }
  const m = /^(?:0x)?([0-9a-f]{1,4})$/i.exec(r.value.trim());
  if (!m) {
    errs.add(p, 'MALFORMED', `${p}: not a 16-bit hex id: ${JSON.stringify(r.value.slice(0, 40))}`);
    return null;
  }
  return Number.parseInt(m[1] as string, 16);
}

export function readPciIds(sys: SysRoot, errs: ErrorSink, dir: string): PciIds | null {
  const vendorId = readHexId(sys, errs, `${dir}/vendor`);
  const deviceId = readHexId(sys, errs, `${dir}/device`);
  if (vendorId === null || deviceId === null) return null;
  return {
    vendorId,
    deviceId,
    subsystemVendorId: readHexId(sys, errs, `${dir}/subsystem_vendor`),
    subsystemId: readHexId(sys, errs, `${dir}/subsystem_device`),
  };
}

function busOf(dev: DeviceRef): NicBus {
  const last = dev.parts[dev.parts.length - 1] ?? '';
  if (USB_INTERFACE.test(last) || USB_DEVICE.test(last)) return 'usb';
  if (VIRTIO.test(last)) return 'virtio';
  if (PCI_ADDRESS.test(last)) return 'pci';
  if (dev.parts.some((p) => /^vmbus/i.test(p) || /^VMBUS:/.test(p))) return 'vmbus';
  if (dev.parts.includes('xen') || /^vif-\d+$/.test(last)) return 'xen';
  if (dev.parts.includes('platform')) return 'platform';
  return 'other';
}

function readUsbIds(sys: SysRoot, errs: ErrorSink, dev: DeviceRef): UsbIds | null {
  if (dev.path === null) return null;
  const last = dev.parts[dev.parts.length - 1] ?? '';
  // The NIC binds to a USB interface; the ids live on its parent, the USB device.
  const usbDir = USB_INTERFACE.test(last) ? path.posix.dirname(dev.path) : dev.path;
  const vendorId = readHexId(sys, errs, `${usbDir}/idVendor`);
  const productId = readHexId(sys, errs, `${usbDir}/idProduct`);
  if (vendorId === null || productId === null) return null;
  return { vendorId, productId, serial: sys.textOr(`${usbDir}/serial`) ?? null };
}

function readNic(sys: SysRoot, errs: ErrorSink, name: string): Nic {
  const dir = `/sys/class/net/${name}`;
  const dev = followDevice(sys, `${dir}/device`);
  const bus: NicBus = dev ? busOf(dev) : 'virtual';
  const pci = dev && bus !== 'usb' ? pciFunctionOf(dev) : null;
  const mac = sys.readText(`${dir}/address`);
  if (!mac.ok && mac.error.code !== 'ENOENT') errs.add(`${dir}/address`, mac.error.code, mac.error.message);
  const macText = mac.ok ? mac.value.toLowerCase() : '';
  if (macText !== '' && !/^[0-9a-f]{2}(?::[0-9a-f]{2})*$/.test(macText)) {
    errs.add(`${dir}/address`, 'MALFORMED', `${dir}/address: not a link-layer address: ${JSON.stringify(macText.slice(0, 40))}`);
  }
  // speed and carrier answer EINVAL while the link is down: optional, not errors.
  const speed = readIntAttr(sys, errs, `${dir}/speed`, true);
  const carrier = readIntAttr(sys, errs, `${dir}/carrier`, true);
  const operstate = sys.readText(`${dir}/operstate`);
  if (!operstate.ok && operstate.error.code !== 'ENOENT') errs.add(`${dir}/operstate`, operstate.error.code, operstate.error.message);
  if (operstate.ok && !/^[a-z]+$/.test(operstate.value)) {
    errs.add(`${dir}/operstate`, 'MALFORMED', `${dir}/operstate: not an RFC 2863 state: ${JSON.stringify(operstate.value.slice(0, 40))}`);
  }
  return {
    name,
    mac: /^[0-9a-f]{2}(?::[0-9a-f]{2})*$/.test(macText) ? macText : null,
    driver: dev ? (sys.linkName(`${dir}/device/driver`) ?? null) : null,
    bus,
    pciAddress: pci?.address ?? null,
    pciIds: pci?.path ? readPciIds(sys, errs, pci.path) : null,
    usb: dev && bus === 'usb' ? readUsbIds(sys, errs, dev) : null,
    virtual: dev === null,
    speedMbps: speed !== undefined && speed >= 0 ? speed : null,
    operstate: operstate.ok && /^[a-z]+$/.test(operstate.value) ? operstate.value : null,
    carrier: carrier === undefined ? null : carrier !== 0,
    mtu: readIntAttr(sys, errs, `${dir}/mtu`) ?? null,
    type: readIntAttr(sys, errs, `${dir}/type`) ?? null,
  };
}

export function readNics(sys: SysRoot, errs: ErrorSink): Nic[] {
  const names = errs.take('/sys/class/net', sys.list('/sys/class/net')) ?? [];
  // `bonding_masters` is a plain file in the same directory.
  return names.filter((n) => isDir(sys, `/sys/class/net/${n}`)).map((n) => readNic(sys, errs, n));
}

export function isDir(sys: SysRoot, p: string): boolean {
  try {
    return fs.statSync(sys.resolve(p)).isDirectory();
  } catch {
    return false;
  }
}
