// A VM profile: the hardware one kind of FortrOS node has (watchdog, TPM, BMC,
// firmware tables, DMI identity, NICs), read from tools/qemu/profiles/*.json.
// What to boot is not part of a profile: the caller picks a kernel or a UKI.

import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bool, int, list, onlyKeys, oneOf, ProfileError, record, str, strings, type Json } from './json-check.ts';
import { encodeSmbiosEntry, parseSmbiosEntry, type SmbiosEntry } from './smbios-entries.ts';

export type BmcSpec =
  /** QEMU's own BMC model behind a KCS interface: the guest sees /dev/ipmi0, nothing listens on the network. */
  | { kind: 'inband' }
  /** openipmi's ipmi_sim is the BMC: RMCP+ on a loopback port, and it powers the VM on, off and reset. */
  | { kind: 'external'; user: string };

export interface NicSpec {
  model: 'e1000' | 'virtio-net-pci';
  /** Fixed MAC; without it the harness derives one from the VM's index. */
  mac?: string;
}

export interface FwCfgSpec {
  /** QEMU requires user entries under "opt/". */
  name: string;
  /** A host file, relative to the working directory... */
  file?: string;
  /** ...or literal contents. */
  string?: string;
}

/** QEMU's `-smbios type=N,key=value` fields, by type; the keys are QEMU 7.2's. */
export type SmbiosFields = Partial<Record<'type0' | 'type1' | 'type2' | 'type3', Record<string, string>>>;

export interface Profile {
  name: string;
  description: string;
  memoryMiB: number;
  machine: 'q35';
  /** i6300ESB with `-action watchdog=reset`. */
  watchdog: boolean;
  /** A swtpm TPM 2.0 on TIS. */
  tpm: boolean;
  bmc: BmcSpec | null;
  smbios: SmbiosEntry[];
  smbiosFields: SmbiosFields;
  fwCfg: FwCfgSpec[];
  nics: NicSpec[];
  /** Kernel arguments this profile always wants (before the caller's). */
  append: string;
}

/** QEMU 7.2 `-smbios` keys per type (qemu-options.hx). */
export const SMBIOS_FIELD_KEYS = {
  type0: ['vendor', 'version', 'date', 'release', 'uefi'],
  type1: ['manufacturer', 'product', 'version', 'serial', 'uuid', 'sku', 'family'],
  type2: ['manufacturer', 'product', 'version', 'serial', 'asset', 'location'],
  type3: ['manufacturer', 'version', 'serial', 'asset', 'sku'],
} as const;

export const PROFILE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'profiles');

function parseBmc(v: Json, at: string): BmcSpec | null {
  if (v === undefined || v === null) return null;
  const o = record(v, at);
  const kind = oneOf(o.kind, `${at}.kind`, ['inband', 'external'] as const);
  if (kind === 'inband') {
    onlyKeys(o, at, ['kind']);
    return { kind };
  }
  onlyKeys(o, at, ['kind', 'user']);
  const user = o.user === undefined ? 'fortros-test' : str(o.user, `${at}.user`);
  // IPMI 2.0 user names are at most 16 bytes (Set User Name, 22.28).
  if (!/^[A-Za-z0-9_.-]{1,16}$/.test(user)) throw new ProfileError(`${at}.user: "${user}" is not a 1-16 character IPMI user name`);
  return { kind, user };
}

function parseFields(v: Json, at: string): SmbiosFields {
  if (v === undefined) return {};
  const o = record(v, at);
  onlyKeys(o, at, Object.keys(SMBIOS_FIELD_KEYS));
  const out: SmbiosFields = {};
  for (const [type, keys] of Object.entries(SMBIOS_FIELD_KEYS) as [keyof SmbiosFields, readonly string[]][]) {
    if (o[type] === undefined) continue;
    const fields = strings(o[type], `${at}.${type}`);
    onlyKeys(fields, `${at}.${type}`, keys);
    out[type] = fields;
  }
  return out;
}

function parseFwCfg(v: Json, at: string): FwCfgSpec {
  const o = record(v, at);
  onlyKeys(o, at, ['name', 'file', 'string']);
  const name = str(o.name, `${at}.name`);
  if (!/^opt\/[A-Za-z0-9._/-]+$/.test(name) || name.length > 55) throw new ProfileError(`${at}.name: "${name}" must start with opt/ and fit fw_cfg's 56-byte name`);
  if ((o.file === undefined) === (o.string === undefined)) throw new ProfileError(`${at}: give exactly one of file or string`);
  return o.file !== undefined ? { name, file: str(o.file, `${at}.file`) } : { name, string: str(o.string, `${at}.string`) };
}

function parseNic(v: Json, at: string): NicSpec {
  const o = record(v, at);
  onlyKeys(o, at, ['model', 'mac']);
  const nic: NicSpec = { model: oneOf(o.model, `${at}.model`, ['e1000', 'virtio-net-pci'] as const) };
  if (o.mac !== undefined) {
    const mac = str(o.mac, `${at}.mac`).toLowerCase();
    if (!/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/.test(mac)) throw new ProfileError(`${at}.mac: "${mac}" is not a MAC address`);
    nic.mac = mac;
  }
  return nic;
}

export function parseProfile(v: Json, at = 'profile'): Profile {
  const o = record(v, at);
  onlyKeys(o, at, ['name', 'description', 'memoryMiB', 'machine', 'watchdog', 'tpm', 'bmc', 'smbios', 'smbiosFields', 'fwCfg', 'nics', 'append']);
  const smbios = o.smbios === undefined ? [] : list(o.smbios, `${at}.smbios`).map((e, i) => parseSmbiosEntry(e, `${at}.smbios[${i}]`));
  smbios.forEach((e, i) => {
    try {
      encodeSmbiosEntry(e);
    } catch (err) {
      throw new ProfileError(`${at}.smbios[${i}]: ${(err as Error).message}`);
    }
  });
  const handles = smbios.map((e) => e.handle);
  if (new Set(handles).size !== handles.length) throw new ProfileError(`${at}.smbios: two structures share a handle`);
  return {
    name: str(o.name, `${at}.name`),
    description: o.description === undefined ? '' : str(o.description, `${at}.description`),
    memoryMiB: o.memoryMiB === undefined ? 512 : int(o.memoryMiB, `${at}.memoryMiB`, 128, 16384),
    machine: o.machine === undefined ? 'q35' : oneOf(o.machine, `${at}.machine`, ['q35'] as const),
    watchdog: o.watchdog === undefined ? false : bool(o.watchdog, `${at}.watchdog`),
    tpm: o.tpm === undefined ? false : bool(o.tpm, `${at}.tpm`),
    bmc: parseBmc(o.bmc, `${at}.bmc`),
    smbios,
    smbiosFields: parseFields(o.smbiosFields, `${at}.smbiosFields`),
    fwCfg: o.fwCfg === undefined ? [] : list(o.fwCfg, `${at}.fwCfg`).map((e, i) => parseFwCfg(e, `${at}.fwCfg[${i}]`)),
    nics: o.nics === undefined ? [] : list(o.nics, `${at}.nics`).map((e, i) => parseNic(e, `${at}.nics[${i}]`)),
    append: o.append === undefined ? '' : str(o.append, `${at}.append`),
  };
}

/** A profile by name (from tools/qemu/profiles) or by path to a JSON file. */
export function loadProfile(nameOrPath: string): Profile {
  const path = nameOrPath.includes('/') || nameOrPath.endsWith('.json') ? nameOrPath : join(PROFILE_DIR, `${nameOrPath}.json`);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ProfileError(`profile ${nameOrPath}: cannot read ${path}: ${(err as Error).message}`);
  }
  let json: Json;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ProfileError(`profile ${path}: not JSON: ${(err as Error).message}`);
  }
  return parseProfile(json, path);
}

export function profileNames(): string[] {
  return readdirSync(PROFILE_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => f.slice(0, -5))
    .sort();
}
