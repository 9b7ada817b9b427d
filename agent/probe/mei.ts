// The Intel ME as the host sees it: /sys/class/mei/mei* (firmware version and
// status registers the mei driver publishes) and /sys/bus/mei/devices/* (the
// firmware's clients). When the BIOS hides the HECI function (HAP, or "ME
// disabled" in setup) none of that exists; the firmware then leaves copies of
// the status registers in SMBIOS type 219 (FWSTS) and versions in type 221.
//
// sysfs ABI: Documentation/ABI/testing/sysfs-class-mei (fw_status "one per line,
// between 1 and 6 depending on generation"; fw_ver up to three
// `<platform>:<major>.<minor>.<milestone>.<build_no>` blocks; dev_state; kind),
// drivers/misc/mei/bus.c (client devices named `<controller>-<uuid>`; older kernels
// used `mei:<name>:<uuid>:<ver>`; attributes name, uuid, version %02X).

import type { ErrorSink } from './errors.ts';
import type { SysRoot } from './sysroot.ts';
import type { FirmwareVersionSmbios, FwstsSmbios, SmbiosReport, VproSmbios } from './smbios/types.ts';
import { decodeHfsts, detectFamily, hex32, type FwVersion, type HfstsDecoded, type MeFamily } from './hfsts.ts';
import { parseDottedVersion, parseFwStatus, parseFwVer } from './hfsts-text.ts';
import { meVerdicts, type MeVerdicts } from './me-verdicts.ts';
import { MEI_CLIENT_PTHI, meiClientName } from './meiclients.ts';

const CLASS_MEI = '/sys/class/mei';
const BUS_MEI = '/sys/bus/mei/devices';

export interface MeiClient {
  /** Directory under /sys/bus/mei/devices. */
  id: string;
  /** Lower-case UUID. */
  uuid: string;
  /** What the UUID is, from Intel's published client list; null when not known. */
  protocol: string | null;
  /** The kernel's `name` attribute, null when empty. */
  kernelName: string | null;
  /** Client protocol version (`version`, %02X). */
  version: number | null;
  /** The controller it lives on (a PCI address), from the directory name. */
  parent: string | null;
}

export interface MeiDevice {
  /** "mei0". */
  name: string;
  /** The controller's device: a PCI address for the CSME, an auxiliary device for graphics GSC. */
  parent: string | null;
  driver: string | null;
  /** `kind`: "mei", "itouch", "gsc", "gscfi"; null before Linux 5.8. */
  kind: string | null;
  /** False for discrete-graphics GSC controllers, which are not the platform's ME. */
  platform: boolean;
  devState: string | null;
  hbmVersion: string | null;
  firmware: FwVersion[];
  /** HFSTS1..n as `0x%08X`. */
  fwStatus: string[];
  /** `malformed` when fw_status exists but did not parse (the reason is in the report's errors). */
  fwStatusState: 'ok' | 'absent' | 'malformed';
  family: MeFamily | null;
  hfsts: HfstsDecoded | null;
  verdicts: MeVerdicts | null;
}

export interface MeiReport {
  /** The host can see the ME: a platform MEI device in sysfs, or firmware-published FWSTS copies. */
  present: boolean;
  /** Where the registers came from. */
  source: 'sysfs' | 'smbios-219' | null;
  /** From HFSTS1 (working state, operation mode, error code); null when no registers were readable. */
  disabled: boolean | null;
  family: MeFamily | null;
  version: FwVersion | null;
  versionSource: 'fw_ver' | 'smbios-221' | 'smbios-131' | null;
  /** MEBx (the ME's BIOS extension) version from SMBIOS 221 or 131, for the AMT section. */
  mebxVersion: string | null;
  fwStatus: string[];
  hfsts: HfstsDecoded | null;
  verdicts: MeVerdicts | null;
  devices: MeiDevice[];
  clients: MeiClient[];
  /** The AMT host interface client (PTHI/AMTHI) is listed on the MEI bus. */
  pthiClient: boolean;
  evidence: string[];
}

export function readMei(sys: SysRoot, errs: ErrorSink, smbios: SmbiosReport | null): MeiReport {
  const devices = readDevices(sys, errs);
  const clients = readClients(sys, errs);
  const primary = pickPrimary(devices);
  const fromSmbios = smbiosFallback(smbios);
  const evidence: string[] = [];

  let source: MeiReport['source'] = null;
  let regs: number[] = [];
  if (primary && primary.fwStatus.length > 0) {
    source = 'sysfs';
    regs = primary.fwStatus.map((h) => parseInt(h, 16));
  } else if (fromSmbios.fwsts) {
    source = 'smbios-219';
    regs = fromSmbios.fwsts;
  }

  let version: FwVersion | null = primary?.firmware[0] ?? null;
  let versionSource: MeiReport['versionSource'] = version ? 'fw_ver' : null;
  if (!version && fromSmbios.version) ({ version, source: versionSource } = fromSmbios.version);

  const family = regs.length > 0 || version ? detectFamily(version, regs) : null;
  const hfsts = regs.length > 0 ? decodeHfsts(regs, family) : null;
  const verdicts = hfsts ? meVerdicts(hfsts, version) : null;

  for (const d of devices) evidence.push(describeDevice(d));
  if (!primary && source === 'smbios-219' && hfsts) {
    evidence.push(`no MEI device in ${CLASS_MEI}; SMBIOS type 219 FWSTS (MEI1) copy made by the firmware: HFSTS1 ${hex32(regs[0]!)}: ${hfsts.summary}`);
  } else if (primary && source === 'smbios-219' && hfsts) {
    evidence.push(`${primary.name} has no usable fw_status; SMBIOS type 219 FWSTS (MEI1): HFSTS1 ${hex32(regs[0]!)}: ${hfsts.summary}`);
  }
  if (version && versionSource !== 'fw_ver') evidence.push(`ME firmware ${version.text} from SMBIOS type ${versionSource === 'smbios-221' ? 221 : 131}`);
  if (verdicts?.disabled.disabled) evidence.push(`ME disabled: ${verdicts.disabled.reasons.join(', ')}`);
  const named = clients.flatMap((c) => (c.protocol ? [c.protocol] : []));
  if (named.length > 0) evidence.push(`ME clients on the MEI bus: ${[...new Set(named)].join(', ')}`);

  return {
    present: devices.some((d) => d.platform) || source === 'smbios-219',
    source,
    disabled: verdicts ? verdicts.disabled.disabled : null,
    family,
    version,
    versionSource,
    mebxVersion: fromSmbios.mebx,
    fwStatus: regs.map(hex32),
    hfsts,
    verdicts,
    devices,
    clients,
    pthiClient: clients.some((c) => c.uuid === MEI_CLIENT_PTHI),
    evidence,
  };
}

function readDevices(sys: SysRoot, errs: ErrorSink): MeiDevice[] {
  const names = errs.take(CLASS_MEI, sys.list(CLASS_MEI)) ?? [];
  return names.filter((n) => /^mei\d+$/.test(n)).sort((a, b) => Number(a.slice(3)) - Number(b.slice(3))).map((n) => readDevice(sys, errs, n));
}

function readDevice(sys: SysRoot, errs: ErrorSink, name: string): MeiDevice {
  const dir = `${CLASS_MEI}/${name}`;
  const kind = optionalText(sys, errs, `${dir}/kind`);
  const fwVerText = optionalText(sys, errs, `${dir}/fw_ver`);
  const fwStatusText = optionalText(sys, errs, `${dir}/fw_status`);
  const firmware = fwVerText === null ? [] : (errs.take(`${dir}/fw_ver`, parseFwVer(fwVerText)) ?? []);
  const regs = fwStatusText === null ? [] : (errs.take(`${dir}/fw_status`, parseFwStatus(fwStatusText)) ?? []);
  // Graphics GSC controllers (kind gsc/gscfi) carry the card's firmware, not the platform ME.
  const platform = kind !== 'gsc' && kind !== 'gscfi';
  const family = regs.length > 0 || firmware.length > 0 ? detectFamily(firmware[0] ?? null, regs) : null;
  const hfsts = regs.length > 0 ? decodeHfsts(regs, family) : null;
  return {
    name,
    parent: sys.linkName(`${dir}/device`) ?? null,
    driver: sys.linkName(`${dir}/device/driver`) ?? null,
    kind,
    platform,
    devState: optionalText(sys, errs, `${dir}/dev_state`),
    hbmVersion: optionalText(sys, errs, `${dir}/hbm_ver`),
    firmware,
    fwStatus: regs.map(hex32),
    fwStatusState: fwStatusText === null ? 'absent' : regs.length > 0 ? 'ok' : 'malformed',
    family,
    hfsts,
    verdicts: hfsts && platform ? meVerdicts(hfsts, firmware[0] ?? null) : null,
  };
}

/** The CSME's own interface: HECI1 at 00:16.0 when several platform devices exist. */
function pickPrimary(devices: MeiDevice[]): MeiDevice | null {
  const platform = devices.filter((d) => d.platform && d.kind !== 'itouch');
  return platform.find((d) => d.parent?.endsWith(':16.0')) ?? platform[0] ?? null;
}

/** An attribute that older kernels or other controller kinds lack: absent is null, unreadable is an error. */
function optionalText(sys: SysRoot, errs: ErrorSink, p: string): string | null {
  const r = sys.readText(p);
  if (r.ok) return r.value === '' ? null : r.value;
  if (r.error.code !== 'ENOENT') errs.add(p, r.error.code, r.error.message);
  return null;
}

function describeDevice(d: MeiDevice): string {
  const at = d.parent ? ` at ${d.parent}` : '';
  const drv = d.driver ? ` (${d.driver})` : '';
  if (!d.platform) return `MEI ${d.name}${at}${drv} is a graphics GSC controller (kind ${d.kind}), not the platform ME`;
  const fw = d.firmware[0] ? `fw ${d.firmware[0].text}` : 'fw version not published';
  const st = d.hfsts?.hfsts1 ? `HFSTS1 ${hex32(d.hfsts.hfsts1.raw)}: ${d.hfsts.summary}` : d.fwStatusState === 'malformed' ? 'fw_status unreadable' : 'no fw_status';
  const kind = d.kind && d.kind !== 'mei' ? ` [${d.kind}]` : '';
  return `MEI ${d.name}${at}${drv}${kind}, ${fw}, ${st}`;
}

// --- MEI bus clients ------------------------------------------------------------------

const UUID_RE = /[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}/;

function readClients(sys: SysRoot, errs: ErrorSink): MeiClient[] {
  const ids = errs.take(BUS_MEI, sys.list(BUS_MEI)) ?? [];
  const out: MeiClient[] = [];
  for (const id of ids) {
    const dir = `${BUS_MEI}/${id}`;
    const named = parseClientDirName(id);
    const uuidText = optionalText(sys, errs, `${dir}/uuid`);
    let uuid = named?.uuid ?? null;
    if (uuidText !== null) {
      if (UUID_RE.test(uuidText) && uuidText.length === 36) uuid = uuidText.toLowerCase();
      else errs.add(`${dir}/uuid`, 'MALFORMED', `${dir}/uuid: not a UUID: ${JSON.stringify(uuidText.slice(0, 40))}`);
    }
    if (!uuid) {
      errs.add(dir, 'MALFORMED', `${dir}: no client UUID in the name or the uuid attribute`);
      continue;
    }
    const versionText = optionalText(sys, errs, `${dir}/version`);
    let version: number | null = null;
    if (versionText !== null) {
      if (/^[0-9A-Fa-f]{1,2}$/.test(versionText)) version = parseInt(versionText, 16);
      else errs.add(`${dir}/version`, 'MALFORMED', `${dir}/version: expected %02X, got ${JSON.stringify(versionText.slice(0, 20))}`);
    }
    out.push({
      id,
      uuid,
      protocol: meiClientName(uuid),
      kernelName: optionalText(sys, errs, `${dir}/name`) ?? named?.name ?? null,
      version,
      parent: named?.parent ?? null,
    });
  }
  return out;
}

/** `0000:00:16.0-<uuid>` (current kernels) or `mei:<name>:<uuid>:<ver>` (older ones). */
export function parseClientDirName(id: string): { parent: string | null; uuid: string; name: string | null } | null {
  const modern = /^(.+)-([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$/.exec(id);
  if (modern) return { parent: modern[1]!, uuid: modern[2]!.toLowerCase(), name: null };
  const old = /^mei:([^:]*):([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}):[0-9A-Fa-f]{2}$/.exec(id);
  if (old) return { parent: null, uuid: old[2]!.toLowerCase(), name: old[1] || null };
  return null;
}

// --- SMBIOS fallback -------------------------------------------------------------------

interface SmbiosMe {
  fwsts: number[] | null;
  version: { version: FwVersion; source: 'smbios-221' | 'smbios-131' } | null;
  mebx: string | null;
}

function smbiosFallback(smbios: SmbiosReport | null): SmbiosMe {
  if (!smbios) return { fwsts: null, version: null, mebx: null };
  return {
    fwsts: mei1Registers(smbios.fwsts),
    version: meVersion(smbios.firmwareVersions, smbios.vpro),
    mebx: mebxVersion(smbios.firmwareVersions, smbios.vpro),
  };
}

/** fwupd's intel-me-smbios plugin reads the MEI1 record only. */
function mei1Registers(tables: FwstsSmbios[]): number[] | null {
  for (const t of tables) {
    for (const rec of t.records) {
      if (rec.component !== 'MEI1' || rec.hfsts.length === 0) continue;
      // All ones is what an absent PCI function reads as; the firmware copies it verbatim.
      if (rec.hfsts.every((v) => v === 0xffffffff)) continue;
      return rec.hfsts.slice(0, 6);
    }
  }
  return null;
}

/** Type 221 entries are named by the OEM; "ME Firmware Version" is Intel's reference name (fwupd test data). */
const ME_FW_ENTRY = /(^|[\s-])(CS)?ME\s+(Firmware|FW)\b/i;
const MEBX_ENTRY = /\bMEBx\b/i;

function meVersion(tables: FirmwareVersionSmbios[], vpro: VproSmbios | null): SmbiosMe['version'] {
  for (const t of tables) {
    for (const e of t.entries) {
      if (!e.name || !ME_FW_ENTRY.test(e.name)) continue;
      const v = parseDottedVersion(e.version);
      if (v && v.major > 0) return { version: v, source: 'smbios-221' };
    }
  }
  const v = vpro?.signatureOk && vpro.meVersion ? parseDottedVersion(vpro.meVersion) : null;
  return v && v.major > 0 ? { version: v, source: 'smbios-131' } : null;
}

function mebxVersion(tables: FirmwareVersionSmbios[], vpro: VproSmbios | null): string | null {
  for (const t of tables) {
    for (const e of t.entries) {
      // 0.0.0.0 is what boards without a MEBx publish (fwupd's SMBIOS test data).
      if (e.name && MEBX_ENTRY.test(e.name) && (parseDottedVersion(e.version)?.major ?? 0) > 0) return e.version;
    }
  }
  const v = vpro?.signatureOk && vpro.mebxVersion ? parseDottedVersion(vpro.mebxVersion) : null;
  return v && v.major > 0 ? v.text : null;
}
