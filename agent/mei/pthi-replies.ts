// Decoders for the bodies of PTHI replies (the bytes after the 16-byte header),
// one per command amtinfo needs. Layouts: rpc-go pkg/pthi/types.go, MeshCentral
// amt-mei.js, intel/lms AMTHIClient (see amt-me.md 1b/1c). Each returns a value or
// PROTOCOL; none throws, none reads past the body.

import { cString, decodeLe, type LeReader } from './le.ts';
import { uuidLeToGuid } from './guid.ts';
import type { MeiResult } from './types.ts';

const BIOS_VERSION_LENGTH = 65;
const VERSIONS_MAX = 50;
const UNICODE_STRING_LENGTH = 20;
const CERT_HASH_MAX_LENGTH = 64;
const CERT_HASH_MAX_NUMBER = 33;
const ACCOUNT_FIELD_LENGTH = 33;

/** AMTANSIString: u16 length then that many bytes (not NUL-terminated). */
function ansiString(r: LeReader, what: string): string {
  const n = r.u16(`${what} length`);
  return Buffer.from(r.bytes(n, what)).toString('utf8');
}

export interface CodeVersions {
  biosVersion: string;
  /** Description -> version, in the firmware's order ("AMT", "Build Number", "Sku", ...). */
  versions: { description: string; version: string }[];
}

/** GetCodeVersions (0x1A): BiosVersion[65], u32 count, count x {u16 len; char[20]; u16 len; char[20]}. */
export function decodeCodeVersions(body: Uint8Array): MeiResult<CodeVersions> {
  return decodeLe(body, 'GetCodeVersions', (r) => {
    const biosVersion = cString(r.bytes(BIOS_VERSION_LENGTH, 'BiosVersion'));
    const count = r.u32('VersionsCount');
    if (count > VERSIONS_MAX) r.fail(`VersionsCount ${count} exceeds ${VERSIONS_MAX}`);
    const versions: CodeVersions['versions'] = [];
    for (let i = 0; i < count; i++) {
      const dl = r.u16(`Versions[${i}].Description length`);
      const d = r.bytes(UNICODE_STRING_LENGTH, `Versions[${i}].Description`);
      const vl = r.u16(`Versions[${i}].Version length`);
      const v = r.bytes(UNICODE_STRING_LENGTH, `Versions[${i}].Version`);
      if (dl > UNICODE_STRING_LENGTH || vl > UNICODE_STRING_LENGTH) r.fail(`Versions[${i}]: string length over ${UNICODE_STRING_LENGTH}`);
      versions.push({ description: cString(d.subarray(0, dl)), version: cString(v.subarray(0, vl)) });
    }
    return { biosVersion, versions };
  });
}

/** Placeholder UUIDs firmware and BIOSes answer when none was programmed (rpc-go rejects these). */
export const UUID_SENTINELS: readonly string[] = [
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '03000200-0400-0500-0006-000700080009',
];

/** GetUUID (0x5C): 16 bytes, first three groups little-endian. A placeholder is refused: it identifies nothing. */
export function decodeUuid(body: Uint8Array): MeiResult<string> {
  return decodeLe(body, 'GetUUID', (r) => {
    const text = uuidLeToGuid(r.bytes(16, 'UUID')) as string;
    if (UUID_SENTINELS.includes(text)) r.fail(`placeholder UUID ${text}`);
    return text;
  });
}

/** A reply whose body is one u32: GetControlMode (0x6B), GetProvisioningState (0x11), Unprovision (0x10). */
export function decodeU32(body: Uint8Array, what: string): MeiResult<number> {
  return decodeLe(body, what, (r) => r.u32(what));
}

/** GetPkiFqdnSuffix (0x36): one AMTANSIString. */
export function decodeDnsSuffix(body: Uint8Array): MeiResult<string> {
  return decodeLe(body, 'GetPkiFqdnSuffix', (r) => ansiString(r, 'suffix'));
}

export interface RemoteAccessStatus {
  networkStatus: number;
  remoteStatus: number;
  remoteTrigger: number;
  mpsHostname: string;
}

/** GetRemoteAccessConnectionStatus (0x46): u32 network, u32 remote, u32 trigger, AMTANSIString MPS host. */
export function decodeRemoteAccess(body: Uint8Array): MeiResult<RemoteAccessStatus> {
  return decodeLe(body, 'GetRemoteAccessConnectionStatus', (r) => ({
    networkStatus: r.u32('NetworkStatus'),
    remoteStatus: r.u32('RemoteStatus'),
    remoteTrigger: r.u32('RemoteTrigger'),
    mpsHostname: ansiString(r, 'MPSHostname'),
  }));
}

export interface LanSettings {
  enabled: boolean;
  /** Dotted quad, most significant byte first, as rpc-go and MeshCentral print it. */
  ipv4: string;
  dhcpEnabled: boolean;
  dhcpMode: number;
  linkUp: boolean;
  mac: string;
}

/** GetLanInterfaceSettings (0x48): u32 enabled, u32 ipv4, u32 dhcp, u8 mode, u8 link, u8 mac[6]. */
export function decodeLanSettings(body: Uint8Array): MeiResult<LanSettings> {
  return decodeLe(body, 'GetLanInterfaceSettings', (r) => {
    const enabled = r.u32('Enabled') !== 0;
    const ip = r.u32('Ipv4Address');
    const dhcpEnabled = r.u32('DhcpEnabled') !== 0;
    const dhcpMode = r.u8('DhcpIpMode');
    const linkUp = r.u8('LinkStatus') !== 0;
    const mac = Array.from(r.bytes(6, 'MacAddress'), (b) => b.toString(16).padStart(2, '0')).join(':');
    const ipv4 = [ip >>> 24, (ip >>> 16) & 0xff, (ip >>> 8) & 0xff, ip & 0xff].join('.');
    return { enabled, ipv4, dhcpEnabled, dhcpMode, linkUp, mac };
  });
}

/** EnumerateHashHandles (0x2C): u32 count (at most 33), then count u32 handles. */
export function decodeHashHandles(body: Uint8Array): MeiResult<number[]> {
  return decodeLe(body, 'EnumerateHashHandles', (r) => {
    const n = r.u32('count');
    if (n > CERT_HASH_MAX_NUMBER) r.fail(`count ${n} exceeds ${CERT_HASH_MAX_NUMBER}`);
    const handles: number[] = [];
    for (let i = 0; i < n; i++) handles.push(r.u32(`handle[${i}]`));
    return handles;
  });
}

/**
 * Hash algorithm numbers of the AMT certificate-hash store. Algorithm 3 is
 * ambiguous in the sources: rpc-go v3 (pkg/utils/helper.go) reads SHA384, 48 bytes;
 * rpc-go v2 and MeshCentral amt-mei.js getCertHashEntry read SHA512, 64 bytes. We
 * report SHA384 and take 48 bytes because the firmware's own enum says so where it
 * is unambiguous: StartConfigurationHBased sends 2 for SHA256 and 3 for a 48-byte
 * SHA384 hash in both rpc-go and MeshCentral, and 5 is SHA512 in rpc-go v3. The
 * entry carries `ambiguous` so a reader can see it, plus whether bytes 48..63 held
 * anything (they would if the firmware meant SHA512).
 */
export const CERT_HASH_ALGORITHMS: ReadonlyMap<number, { name: string; length: number }> = new Map([
  [0, { name: 'MD5', length: 16 }],
  [1, { name: 'SHA1', length: 20 }],
  [2, { name: 'SHA256', length: 32 }],
  [3, { name: 'SHA384', length: 48 }],
  [4, { name: 'SHA224', length: 28 }],
  [5, { name: 'SHA512', length: 64 }],
]);

export interface CertHashEntry {
  name: string;
  algorithm: number;
  /** "SHA384" etc.; "unknown" for a number outside the table (then `hash` is all 64 bytes). */
  algorithmName: string;
  /** Lower-case hex of the first `length` bytes the algorithm implies. */
  hash: string;
  isDefault: boolean;
  isActive: boolean;
  /** Present for algorithm 3: the SHA384/SHA512 reading conflict, and what the extra bytes held. */
  ambiguous?: { chosen: 'SHA384'; alternative: 'SHA512'; bytes48to63NonZero: boolean };
}

/** GetCertHashEntry (0x2D): u32 isDefault, u32 isActive, u8 hash[64], u8 algorithm, AMTANSIString name. */
export function decodeCertHashEntry(body: Uint8Array): MeiResult<CertHashEntry> {
  return decodeLe(body, 'GetCertHashEntry', (r) => {
    const isDefault = r.u32('IsDefault') !== 0;
    const isActive = r.u32('IsActive') !== 0;
    const raw = r.bytes(CERT_HASH_MAX_LENGTH, 'CertificateHash');
    const algorithm = r.u8('HashAlgorithm');
    const name = ansiString(r, 'Name');
    const known = CERT_HASH_ALGORITHMS.get(algorithm);
    const length = known?.length ?? CERT_HASH_MAX_LENGTH;
    const entry: CertHashEntry = {
      name,
      algorithm,
      algorithmName: known?.name ?? 'unknown',
      hash: Buffer.from(raw.subarray(0, length)).toString('hex'),
      isDefault,
      isActive,
    };
    if (algorithm === 3) entry.ambiguous = { chosen: 'SHA384', alternative: 'SHA512', bytes48to63NonZero: raw.subarray(48).some((b) => b !== 0) };
    return entry;
  });
}

/**
 * The local system account AMT creates for the host OS (user `$$OsAdmin`). Its
 * password is a secret: kept in a private field, left out of JSON and inspection,
 * handed out only by `revealPassword()` to the activation flow that needs it.
 */
export class LocalSystemAccount {
  readonly #password: string;
  constructor(readonly user: string, password: string) {
    this.#password = password;
  }
  revealPassword(): string {
    return this.#password;
  }
  toJSON(): { user: string } {
    return { user: this.user };
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `LocalSystemAccount { user: ${JSON.stringify(this.user)}, password: [redacted] }`;
  }
}

/** GetLocalSystemAccount (0x67): char user[33], char password[33] (the firmware pads the body to 68). */
export function decodeLocalSystemAccount(body: Uint8Array): MeiResult<LocalSystemAccount> {
  return decodeLe(body, 'GetLocalSystemAccount', (r) => {
    const user = cString(r.bytes(ACCOUNT_FIELD_LENGTH, 'Username'));
    const password = cString(r.bytes(ACCOUNT_FIELD_LENGTH, 'Password'));
    if (user === '') r.fail('empty user name');
    return new LocalSystemAccount(user, password);
  });
}
