// Is this machine a guest, under which hypervisor, at which cloud provider?
// Gathers the strings firmware and kernel expose (DMI, SMBIOS, /sys/hypervisor,
// fw_cfg, ACPI table headers, clocksources, the CPUID hypervisor bit) and
// matches them against hypervisor-signatures.ts.

import * as fs from 'node:fs';
import { fail, ok, type ErrorSink, type Result } from './errors.ts';
import type { SmbiosReport } from './smbios/types.ts';
import { BLOB_CAP, type SysRoot } from './sysroot.ts';
import { HYPERVISOR_PRECEDENCE, SIGNATURES, WEAK_PRECEDENCE, type Fact, type Signature } from './hypervisor-signatures.ts';

export interface AcpiTableHeader {
  /** Name of the file under /sys/firmware/acpi/tables. */
  table: string;
  signature: string;
  length: number;
  revision: number;
  oemId: string;
  oemTableId: string;
  oemRevision: number;
  creatorId: string;
  creatorRevision: number;
}

export interface HypervisorReport {
  /** true: a guest; false: bare metal; null: nothing to tell (no CPU flags, no signature). */
  virtualized: boolean | null;
  hypervisor: string | null;
  provider: string | null;
  evidence: string[];
  /** The facts that were read, each with where it came from. */
  facts: { fact: Fact; value: string; source: string }[];
  acpiTables: AcpiTableHeader[];
}

interface FactValue {
  fact: Fact;
  value: string;
  source: string;
}

export const ACPI_HEADER_LENGTH = 36;
const ACPI_TABLE_LIMIT = 64;

/** The 36-byte ACPI System Description Table header (ACPI 6.5, 5.2.6). */
export function parseAcpiHeader(table: string, bytes: Uint8Array): Result<AcpiTableHeader> {
  if (bytes.length < ACPI_HEADER_LENGTH) {
    return fail('TRUNCATED', `${table}: ${bytes.length} bytes, an ACPI table header has ${ACPI_HEADER_LENGTH}`, bytes.length);
  }
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, ACPI_HEADER_LENGTH);
  const signature = buf.toString('latin1', 0, 4);
  if (!/^[A-Z0-9_!]{4}$/.test(signature)) return fail('MALFORMED', `${table}: signature is not 4 upper-case characters`, 0);
  const length = buf.readUInt32LE(4);
  if (length < ACPI_HEADER_LENGTH) return fail('MALFORMED', `${table}: length ${length} is shorter than the header`, 4);
  return ok({
    table,
    signature,
    length,
    revision: buf.readUInt8(8),
    oemId: idString(buf, 10, 6),
    oemTableId: idString(buf, 16, 8),
    oemRevision: buf.readUInt32LE(24),
    creatorId: idString(buf, 28, 4),
    creatorRevision: buf.readUInt32LE(32),
  });
}

/** OEM ids are space- or NUL-padded; anything unprintable is dropped so it cannot reach the report. */
function idString(buf: Buffer, at: number, len: number): string {
  return buf
    .toString('latin1', at, at + len)
    .replace(/[^\x20-\x7e]/g, '')
    .trim();
}

const DMI_FIELDS: readonly Fact[] = [
  'sys_vendor',
  'product_name',
  'product_version',
  'product_serial',
  'product_uuid',
  'bios_vendor',
  'bios_version',
  'board_vendor',
  'board_name',
  'chassis_vendor',
  'chassis_asset_tag',
];
// Readable by root only; as another user these are simply not facts.
const ROOT_ONLY = new Set<Fact>(['product_serial', 'product_uuid']);

function readDmi(sys: SysRoot, errs: ErrorSink, out: FactValue[]): Set<Fact> {
  const seen = new Set<Fact>();
  for (const fact of DMI_FIELDS) {
    const p = `/sys/class/dmi/id/${fact}`;
    const r = sys.readText(p);
    if (!r.ok) {
      if (r.error.code === 'ENOENT' || (r.error.code === 'EACCES' && ROOT_ONLY.has(fact))) continue;
      errs.add(p, r.error.code, r.error.message);
      continue;
    }
    seen.add(fact);
    if (r.value.trim() !== '') out.push({ fact, value: r.value.trim(), source: p });
  }
  return seen;
}

/** SMBIOS fills in what /sys/class/dmi/id lacks (old kernels, no sysfs DMI, or a fixture with only the table). */
function fromSmbios(smbios: SmbiosReport, have: Set<Fact>, out: FactValue[]): void {
  const sys = smbios.system;
  const bios = smbios.bios;
  const board = smbios.baseboards[0];
  const chassis = smbios.chassis[0];
  const candidates: [Fact, string | null | undefined, string][] = [
    ['sys_vendor', sys?.manufacturer, 'SMBIOS type 1 manufacturer'],
    ['product_name', sys?.productName, 'SMBIOS type 1 product name'],
    ['product_version', sys?.version, 'SMBIOS type 1 version'],
    ['product_serial', sys?.serialNumber, 'SMBIOS type 1 serial number'],
    ['product_uuid', sys?.uuid, 'SMBIOS type 1 UUID'],
    ['bios_vendor', bios?.vendor, 'SMBIOS type 0 vendor'],
    ['bios_version', bios?.version, 'SMBIOS type 0 version'],
    ['board_vendor', board?.manufacturer, 'SMBIOS type 2 manufacturer'],
    ['board_name', board?.productName, 'SMBIOS type 2 product name'],
    ['chassis_vendor', chassis?.manufacturer, 'SMBIOS type 3 manufacturer'],
    ['chassis_asset_tag', chassis?.assetTag, 'SMBIOS type 3 asset tag'],
  ];
  for (const [fact, value, source] of candidates) {
    if (!have.has(fact) && value) out.push({ fact, value: value.trim(), source });
  }
  smbios.oemStrings.forEach((s, i) => out.push({ fact: 'oem_string', value: s, source: `SMBIOS type 11 string ${i + 1}` }));
}

function readAcpi(sys: SysRoot, errs: ErrorSink, out: FactValue[]): AcpiTableHeader[] {
  const dir = '/sys/firmware/acpi/tables';
  const names = (errs.take(dir, sys.list(dir)) ?? []).slice(0, ACPI_TABLE_LIMIT);
  const headers: AcpiTableHeader[] = [];
  let denied = 0;
  for (const name of names) {
    const p = `${dir}/${name}`;
    const head = readHead(sys, p, ACPI_HEADER_LENGTH);
    if (head === 'skip') continue;
    if (head === 'denied') {
      denied++;
      continue;
    }
    const r = head.ok ? parseAcpiHeader(name, head.value) : head;
    const h = errs.take(p, r);
    if (!h) continue;
    headers.push(h);
    if (h.oemId !== '' && !out.some((f) => f.fact === 'acpi_oem_id' && f.value === h.oemId)) {
      out.push({ fact: 'acpi_oem_id', value: h.oemId, source: `ACPI ${h.signature} OEM id` });
    }
  }
  // Tables are root-only: one entry says so instead of one per table.
  if (denied > 0) errs.add(dir, 'EACCES', `${dir}: ${denied} table(s) not readable (root only)`);
  return headers;
}

/** The first n bytes of a file without reading the rest; 'skip' for directories (dynamic/, data/). */
function readHead(sys: SysRoot, p: string, n: number): Result<Uint8Array> | 'skip' | 'denied' {
  let fd: number;
  try {
    if (!fs.statSync(sys.resolve(p)).isFile()) return 'skip';
    fd = fs.openSync(sys.resolve(p), 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM') return 'denied';
    if (code === 'ENOENT') return 'skip';
    return fail('EIO', `${p}: ${code ?? 'error'}`);
  }
  try {
    const buf = Buffer.alloc(n);
    let got = 0;
    while (got < n) {
      const k = fs.readSync(fd, buf, got, n - got, got);
      if (k === 0) break;
      got += k;
    }
    return ok(buf.subarray(0, got));
  } catch (e) {
    return fail('EIO', `${p}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  } finally {
    fs.closeSync(fd);
  }
}

function optional(sys: SysRoot, errs: ErrorSink, p: string, cap?: number): string | undefined {
  const r = sys.readText(p, cap);
  if (r.ok) return r.value.trim();
  if (r.error.code !== 'ENOENT') errs.add(p, r.error.code, r.error.message);
  return undefined;
}

/** Whether /proc/cpuinfo has x86 `flags` lines (so a missing `hypervisor` flag means bare metal), and whether any has it. */
function readCpuFlags(sys: SysRoot, errs: ErrorSink): { known: boolean; hypervisor: boolean } {
  // About 1.5 KiB per CPU: a big server's cpuinfo is far past the sysfs attribute cap.
  const text = optional(sys, errs, '/proc/cpuinfo', BLOB_CAP);
  if (text === undefined) return { known: false, hypervisor: false };
  const lines = [...text.matchAll(/^flags\s*:(.*)$/gm)].map((m) => m[1] as string);
  return { known: lines.length > 0, hypervisor: lines.some((l) => /(?:^|\s)hypervisor(?:\s|$)/.test(l)) };
}

function matches(sig: Signature, facts: readonly FactValue[]): FactValue | null {
  const hit = facts.find((f) => sig.facts.includes(f.fact) && sig.pattern.test(f.value));
  if (!hit) return null;
  if (sig.and) {
    const cond = sig.and;
    if (!facts.some((f) => f.fact === cond.fact && cond.pattern.test(f.value))) return null;
  }
  return hit;
}

export function readHypervisor(sys: SysRoot, errs: ErrorSink, smbios: SmbiosReport | null): HypervisorReport {
  const facts: FactValue[] = [];
  const dmiSeen = readDmi(sys, errs, facts);
  if (smbios) fromSmbios(smbios, dmiSeen, facts);

  const uuid = facts.find((f) => f.fact === 'product_uuid')?.value;
  const serial = facts.find((f) => f.fact === 'product_serial')?.value;
  if (uuid && serial && uuid.toLowerCase() === serial.toLowerCase()) {
    facts.push({ fact: 'uuid_equal_serial', value: uuid, source: 'product_uuid = product_serial' });
  }

  const hvType = optional(sys, errs, '/sys/hypervisor/type');
  if (hvType) facts.push({ fact: 'hypervisor_type', value: hvType, source: '/sys/hypervisor/type' });
  const hvUuid = optional(sys, errs, '/sys/hypervisor/uuid');
  if (hvUuid) facts.push({ fact: 'hypervisor_uuid', value: hvUuid, source: '/sys/hypervisor/uuid' });
  if (sys.exists('/sys/firmware/qemu_fw_cfg')) facts.push({ fact: 'qemu_fw_cfg', value: 'present', source: '/sys/firmware/qemu_fw_cfg' });

  const acpiTables = readAcpi(sys, errs, facts);

  const clocks = optional(sys, errs, '/sys/devices/system/clocksource/clocksource0/available_clocksource');
  for (const c of clocks?.split(/\s+/).filter(Boolean) ?? []) {
    facts.push({ fact: 'clocksource', value: c, source: 'available_clocksource' });
  }
  const cpu = readCpuFlags(sys, errs);
  if (cpu.hypervisor) facts.push({ fact: 'cpu_flag', value: 'hypervisor', source: '/proc/cpuinfo flags' });

  const hits = SIGNATURES.map((sig) => ({ sig, fact: matches(sig, facts) })).filter(
    (h): h is { sig: Signature; fact: FactValue } => h.fact !== null,
  );
  const evidence = hits.map(({ sig, fact }) => `${fact.source} "${fact.value}": ${sig.means}`);

  const named = (weak: boolean) => hits.filter((h) => h.sig.hypervisor && Boolean(h.sig.weak) === weak).map((h) => h.sig.hypervisor);
  const strong = named(false);
  const weak = named(true);
  const hypervisor =
    strong.length > 0 ? (HYPERVISOR_PRECEDENCE.find((h) => strong.includes(h)) ?? null) : (WEAK_PRECEDENCE.find((h) => weak.includes(h)) ?? null);
  const provider = hits.find((h) => h.sig.provider)?.sig.provider ?? null;

  const guest = hits.some((h) => h.sig.guest === true || (h.sig.hypervisor !== undefined && h.sig.guest !== false));
  const metal = hits.some((h) => h.sig.guest === false);
  let virtualized: boolean | null;
  if (cpu.hypervisor) virtualized = true;
  else if (metal) virtualized = false;
  else if (guest) virtualized = true;
  else virtualized = cpu.known ? false : null;

  return { virtualized, hypervisor, provider, evidence, facts, acpiTables };
}
