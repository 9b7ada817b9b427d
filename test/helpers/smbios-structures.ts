// Formatted areas of the SMBIOS structures the probe decodes, built byte by byte
// from DMTF DSP0134 / DSP0270 and the Intel OEM layouts in
// ../shared/reference/amt-me.md, for tools/smbios/build.ts to wrap into tables.

export const u16 = (n: number): number[] => [n & 0xff, (n >> 8) & 0xff];
export const u32 = (n: number): number[] => [...u16(n & 0xffff), ...u16((n >>> 16) & 0xffff)];
export const u64 = (n: bigint): number[] => [...u32(Number(n & 0xffffffffn)), ...u32(Number(n >> 32n))];
export const ascii = (s: string): number[] => [...Buffer.from(s, 'latin1')];

export interface Ipmi {
  iface: number;
  rev?: number;
  i2c?: number;
  nv?: number;
  base: bigint;
  modifier?: number;
  irq?: number;
}

/** Type 38 formatted area after the header (0x12-byte structure). */
export const ipmi = (x: Ipmi): number[] => [x.iface, x.rev ?? 0x20, x.i2c ?? 0x20, x.nv ?? 0xff, ...u64(x.base), x.modifier ?? 0, x.irq ?? 0];

export interface RedfishIp {
  uuid: number[];
  hostAssign: number;
  hostFormat: number;
  hostIp: number[];
  hostMask: number[];
  serviceDiscovery: number;
  serviceFormat: number;
  serviceIp: number[];
  serviceMask: number[];
  port: number;
  vlan: number;
  hostname: string;
}

const pad16 = (b: number[]): number[] => [...b, ...new Array<number>(16 - b.length).fill(0)];

/** DSP0270 8.6 Redfish-over-IP protocol record (type 0x04), length byte included. */
export function redfishRecord(r: RedfishIp): number[] {
  const data = [
    ...r.uuid,
    r.hostAssign,
    r.hostFormat,
    ...pad16(r.hostIp),
    ...pad16(r.hostMask),
    r.serviceDiscovery,
    r.serviceFormat,
    ...pad16(r.serviceIp),
    ...pad16(r.serviceMask),
    ...u16(r.port),
    ...u32(r.vlan),
    r.hostname.length,
    ...ascii(r.hostname),
  ];
  return [0x04, data.length, ...data];
}

/** Type 42 formatted area: interface type, data (device type + descriptor), protocol records. */
export function hostInterface(ifType: number, device: number[], records: number[][]): number[] {
  return [ifType, device.length, ...device, records.length, ...records.flat()];
}
