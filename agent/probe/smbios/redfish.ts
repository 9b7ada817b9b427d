// Type 42, Management Controller Host Interface (DMTF DSP0134 7.43, SMBIOS 3.2
// layout), with the Network (0x40) interface data and protocol records of the
// Redfish Host Interface Specification (DMTF DSP0270).

import { ok, type ParseError, type Result } from '../errors.ts';
import { hostInterfaceType, ipAssignment, protocolType } from './enums.ts';
import { ipv4Text, ipv6Text } from './ip-text.ts';
import { hexBytes, tooShort, where, type StructureView } from './structure.ts';
import { uuidFormat } from './system.ts';
import type { RedfishHostInterface, RedfishOverIp } from './types.ts';

const NETWORK = 0x40;
const REDFISH_OVER_IP = 0x04;
/** DSP0270 8.6: fixed part of a Redfish-over-IP record, up to the hostname length byte. */
const REDFISH_RECORD_MIN = 91;

export function decodeRedfishHostInterface(v: StructureView): Result<RedfishHostInterface> {
  // 0x04 type, 0x05 data length n, 0x06 n bytes of data, then the protocol count.
  if (v.length < 0x0b) return tooShort(v, 0x0b);
  const code = v.u8(0x04);
  const dataLength = v.u8(0x05);
  const countAt = 0x06 + dataLength;
  if (countAt > v.length) return issue(v, 'MALFORMED', `interface data of ${dataLength} bytes runs past the ${v.length}-byte structure`, 0x05);
  const device = code === NETWORK && dataLength > 0 ? decodeDevice(v, 0x06, dataLength) : null;
  return ok({ handle: v.s.handle, interfaceType: hostInterfaceType(code), device, protocols: decodeProtocols(v, countAt) });
}

function issue(v: StructureView, code: ParseError['code'], message: string, off: number): Result<never> {
  return { ok: false, error: { code, message: `${where(v.s)}: ${message}`, offset: v.s.offset + off } };
}

function note(v: StructureView, code: ParseError['code'], message: string, off: number): void {
  v.issues.push({ code, message: `${where(v.s)}: ${message}`, offset: v.s.offset + off });
}

const macText = (b: readonly number[]): string | null => (b.every((x) => x === 0) ? null : hexBytes(b, ':'));

// DSP0270 8.3: the first data byte is the device type; the descriptor follows.
function decodeDevice(v: StructureView, at: number, n: number): RedfishHostInterface['device'] {
  const type = v.u8(at);
  const d = at + 1;
  const short = (need: number, name: string) => {
    note(v, 'MALFORMED', `${name} device descriptor needs ${need} data bytes, has ${n}`, at);
    return null;
  };
  switch (type) {
    case 0x02: // USB network interface: idVendor, idProduct, serial as a USB string descriptor
      if (n < 5) return short(5, 'USB');
      return { type: 'USB', vendorId: v.u16(d), productId: v.u16(d + 2), serialNumber: usbSerial(v, d + 4, at + n) };
    case 0x03: // PCI/PCIe network interface
      if (n < 9) return short(9, 'PCI/PCIe');
      return { type: 'PCI/PCIe', vendorId: v.u16(d), deviceId: v.u16(d + 2), subsystemVendorId: v.u16(d + 4), subsystemId: v.u16(d + 6) };
    case 0x04: // USB v2: descriptor length, idVendor, idProduct, serial string number, MAC
      if (n < 0x0d) return short(0x0d, 'USB v2');
      return { type: 'USB v2', vendorId: v.u16(d + 1), productId: v.u16(d + 3), serialNumber: v.str(d + 5), mac: macText(v.bytes(d + 6, 6)) };
    case 0x05: // PCI/PCIe v2: descriptor length, ids, MAC, segment, bus, device/function
      if (n < 0x14) return short(0x14, 'PCI/PCIe v2');
      return {
        type: 'PCI/PCIe v2',
        vendorId: v.u16(d + 1),
        deviceId: v.u16(d + 3),
        subsystemVendorId: v.u16(d + 5),
        subsystemId: v.u16(d + 7),
        mac: macText(v.bytes(d + 9, 6)),
        segment: v.u16(d + 15),
        bus: v.u8(d + 17),
        devfn: v.u8(d + 18),
      };
    default:
      if (type >= 0x80) {
        if (n < 5) return short(5, 'OEM');
        // The vendor's IANA enterprise number, most significant byte first.
        const iana = ((v.u8(d) << 24) | (v.u8(d + 1) << 16) | (v.u8(d + 2) << 8) | v.u8(d + 3)) >>> 0;
        return { type: 'OEM', vendorIana: iana };
      }
      return { type: 'unknown', code: type };
  }
}

// USB 2.0 9.6.7 string descriptor: bLength, bDescriptorType 0x03, UTF-16LE text.
function usbSerial(v: StructureView, at: number, end: number): string | null {
  const len = v.u8(at);
  if (at >= end || len === 0) return null;
  if (len < 2 || at + len > end || v.u8(at + 1) !== 0x03) {
    note(v, 'MALFORMED', 'USB serial number is not a USB string descriptor', at);
    return null;
  }
  let s = '';
  for (let i = at + 2; i + 1 < at + len; i += 2) s += String.fromCharCode(v.u16(i));
  return s === '' ? null : s;
}

// DSP0134 7.43: protocol count, then records of (type, length n, n data bytes).
function decodeProtocols(v: StructureView, countAt: number): RedfishHostInterface['protocols'] {
  const out: RedfishHostInterface['protocols'] = [];
  if (countAt >= v.length) {
    note(v, 'TRUNCATED', 'no protocol record count after the interface data', countAt);
    return out;
  }
  const count = v.u8(countAt);
  let at = countAt + 1;
  for (let i = 0; i < count; i++) {
    const code = v.u8(at);
    const n = v.u8(at + 1);
    if (at + 2 > v.length || at + 2 + n > v.length) {
      note(v, 'TRUNCATED', `protocol record ${i + 1} of ${count} runs past the ${v.length}-byte structure`, at);
      return out;
    }
    if (code === REDFISH_OVER_IP) {
      if (n < REDFISH_RECORD_MIN) note(v, 'MALFORMED', `Redfish-over-IP record ${i + 1} is ${n} bytes, needs ${REDFISH_RECORD_MIN}`, at + 1);
      else {
        out.push({ type: 'Redfish over IP', record: redfishOverIp(v, at + 2, n) });
      }
    } else {
      out.push({ type: protocolType(code), code });
    }
    at += 2 + n;
  }
  return out;
}

const FORMATS: readonly RedfishOverIp['hostIpAddressFormat'][] = ['unknown', 'IPv4', 'IPv6'];
// DSP0270 8.6: addresses are meaningful for Static (1) and AutoConf (3) only.
const carriesAddress = (assignment: number): boolean => assignment === 1 || assignment === 3;

function address(v: StructureView, at: number, format: number): string | null {
  if (format === 1) return ipv4Text(v.bytes(at, 4));
  if (format === 2) return ipv6Text(v.bytes(at, 16));
  return null;
}

// DSP0270 8.6 Redfish over IP protocol data (offsets from the record data).
function redfishOverIp(v: StructureView, r: number, n: number): RedfishOverIp {
  const hostAssign = v.u8(r + 16);
  const hostFormat = v.u8(r + 17);
  const serviceAssign = v.u8(r + 50);
  const serviceFormat = v.u8(r + 51);
  const hostnameLength = v.u8(r + 90);
  let serviceHostname: string | null = null;
  if (REDFISH_RECORD_MIN + hostnameLength > n) {
    note(v, 'MALFORMED', `Redfish service hostname of ${hostnameLength} bytes runs past its ${n}-byte record`, r + 90);
  } else {
    // The name may carry a trailing NUL; dmidecode stops at the first one.
    const raw = String.fromCharCode(...v.bytes(r + 91, hostnameLength)).split('\0')[0] ?? '';
    serviceHostname = raw === '' ? null : raw.replace(/[^\x20-\x7e]/g, '.');
  }
  return {
    // Little-endian first fields, as SMBIOS >= 2.6 stores UUIDs (dmidecode reads it so too).
    serviceUuid: uuidFormat(v.bytes(r, 16), 0x0301),
    hostIpAssignment: ipAssignment(hostAssign),
    hostIpAddressFormat: FORMATS[hostFormat] ?? 'unknown',
    hostIpAddress: carriesAddress(hostAssign) ? address(v, r + 18, hostFormat) : null,
    hostIpMask: carriesAddress(hostAssign) ? address(v, r + 34, hostFormat) : null,
    serviceIpDiscovery: ipAssignment(serviceAssign),
    serviceIpAddressFormat: FORMATS[serviceFormat] ?? 'unknown',
    serviceIpAddress: carriesAddress(serviceAssign) ? address(v, r + 52, serviceFormat) : null,
    serviceIpMask: carriesAddress(serviceAssign) ? address(v, r + 68, serviceFormat) : null,
    servicePort: v.u16(r + 84),
    vlanId: v.u32(r + 86),
    serviceHostname,
  };
}
