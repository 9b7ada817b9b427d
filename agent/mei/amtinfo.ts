// `amtInfo(bus, d)`: everything `rpc amtinfo --json` reports over MEI, with its
// JSON key names (rpc-go internal/commands/amtinfo.go InfoResult; amt-me.md 1c)
// where they apply. Every field is asked for on its own: one that fails is left
// out and its reason recorded under `errors`, the rest still arrive. Nothing in
// the result is a secret (the local system account is reported by user name only).

import { remainingMs, type Deadline } from '../channels/types.ts';
import { monotonicMs } from '../clock.ts';
import { decodeAmtFeatures } from './amt-features.ts';
import { getOperationalState, watchdogClient } from './me-queries.ts';
import {
  getCertHashes,
  getCodeVersions,
  getControlMode,
  getDnsSuffix,
  getLanSettings,
  getLocalSystemAccount,
  getProvisioningState,
  getRemoteAccessStatus,
  getUuid,
  pthiClient,
} from './pthi-queries.ts';
import { UUID_SENTINELS, type CodeVersions, type LanSettings } from './pthi-replies.ts';
import { PTHI_STATUS } from './pthi.ts';
import type { MeiClient } from './client.ts';
import type { MeiBus, MeiError, MeiResult } from './types.ts';

export const CONTROL_MODES = ['not activated', 'client control mode', 'admin control mode'] as const;
export const PROVISIONING_STATES = ['pre-provisioning', 'in provisioning', 'post-provisioning'] as const;
const NETWORK_STATUS = ['direct (LAN)', 'vpn', 'outside enterprise (CIRA)'];
const REMOTE_STATUS = ['not connected', 'connecting', 'connected'];
const REMOTE_TRIGGER = ['user initiated', 'alert', 'periodic', 'provisioning'];
const named = (table: readonly string[], v: number): string => table[v] ?? `unknown (${v})`;

export interface InterfaceSettings {
  isEnable: boolean;
  linkStatus: 'up' | 'down';
  dhcpEnabled: boolean;
  /** 1 active, 2 passive (MeshCentral); rpc-go prints anything but 1 as passive. */
  dhcpMode: 'active' | 'passive' | string;
  ipAddress: string;
  /** The OS address on the interface with the same MAC, "0.0.0.0" when none. */
  osIpAddress: string;
  macAddress: string;
}

export interface CertHashInfo {
  Hash: string;
  Name: string;
  Algorithm: string;
  AlgorithmNumber: number;
  IsActive: boolean;
  IsDefault: boolean;
  /** Algorithm 3 only: rpc-go v3 reads SHA384 (our choice), MeshCentral and rpc-go v2 SHA512. */
  AlgorithmAmbiguity?: string;
}

export interface AmtInfo {
  heciAvailable: boolean;
  amt?: string;
  buildNumber?: string;
  sku?: string;
  features?: string;
  uuid?: string;
  controlMode?: string;
  provisioningState?: string;
  /** "enabled" / "disabled": only on ME >= 16.1 (new-interface bit), as rpc-go shows it. */
  operationalState?: 'enabled' | 'disabled';
  tlsOnLocalPorts?: boolean;
  dnsSuffix?: string;
  ras?: { networkStatus: string; remoteStatus: string; remoteTrigger: string; mpsHostname: string };
  wiredAdapter?: InterfaceSettings;
  wirelessAdapter?: InterfaceSettings;
  certificateHashes?: Record<string, CertHashInfo>;
  localSystemAccount?: { exists: true; user: string };
  /** The numbers behind the strings, for policy code that must not parse text. */
  raw: { controlMode?: number; provisioningState?: number; operationalStateFlags?: number; amtMajor?: number; uuidSource?: string };
  /** Why each missing field is missing, keyed by the field's name. */
  errors: Record<string, MeiError>;
}

export interface AmtInfoOptions {
  /** Per-question limit inside the overall deadline (rpc-go's HECI read timeout is 3 s). */
  perQueryMs?: number;
  /** NOT_READY from GetCodeVersions: how many more times to ask, and the pause between (default 3, 2000 ms). */
  notReadyRetries?: number;
  notReadyPauseMs?: number;
  /** The SMBIOS system UUID (/sys/class/dmi/id/product_uuid), used when GetUUID fails. */
  fallbackUuid?: () => string | null;
  /** OS interfaces (name -> addresses with mac), to fill osIpAddress; defaults to none. */
  osInterfaces?: () => Record<string, { mac: string; family: string | number; address: string }[] | undefined>;
}

/** Connect-level failures: the client cannot be reached at all, so asking again is pointless. */
const UNREACHABLE: ReadonlySet<MeiError['code']> = new Set(['NO_DEVICE', 'NO_CLIENT', 'PERMISSION', 'BUSY']);
const PTHI_FIELDS = ['uuid', 'controlMode', 'provisioningState', 'dnsSuffix', 'ras', 'wiredAdapter', 'wirelessAdapter', 'certificateHashes', 'localSystemAccount'];

/** A deadline that ends at the earlier of `d` and `ms` from now. */
const within = (d: Deadline, ms: number): Deadline => ({ at: Math.min(d.at, monotonicMs() + ms) });

export async function amtInfo(bus: MeiBus, d: Deadline, opts: AmtInfoOptions = {}): Promise<AmtInfo> {
  const per = opts.perQueryMs ?? 3000;
  const info: AmtInfo = { heciAvailable: true, raw: {}, errors: {} };
  const take = <T>(key: string, r: MeiResult<T>, use: (v: T) => void): void => {
    if (r.ok) use(r.value);
    else info.errors[key] = r.error;
  };
  const pthi = pthiClient(bus);

  await pthi.hold(async () => {
    const versions = await codeVersionsWhenReady(pthi, d, per, opts);
    take('amt', versions, (v) => {
      const get = (k: string): string | undefined => v.versions.find((e) => e.description === k)?.version;
      const amt = get('AMT');
      const build = get('Build Number');
      const sku = get('Sku');
      if (amt !== undefined) info.amt = amt;
      else info.errors.amt = { code: 'PROTOCOL', message: 'GetCodeVersions has no "AMT" entry' };
      if (build !== undefined) info.buildNumber = build;
      else info.errors.buildNumber = { code: 'PROTOCOL', message: 'GetCodeVersions has no "Build Number" entry' };
      if (sku !== undefined) info.sku = sku;
      else info.errors.sku = { code: 'PROTOCOL', message: 'GetCodeVersions has no "Sku" entry' };
      if (amt !== undefined && sku !== undefined) {
        const f = decodeAmtFeatures(amt, sku);
        if (f.ok) info.features = f.features;
        else info.errors.features = { code: 'PROTOCOL', message: f.reason };
      } else info.errors.features = { code: 'PROTOCOL', message: 'needs both the AMT version and the SKU' };
      const major = amt ? Number(/^(\d+)\./.exec(amt)?.[1]) : NaN;
      if (Number.isFinite(major)) info.raw.amtMajor = major;
    });
    if (!versions.ok) {
      for (const k of ['buildNumber', 'sku', 'features']) info.errors[k] = versions.error;
      // Without a connection every other question would fail the same way, each after its own retries.
      if (UNREACHABLE.has(versions.error.code)) {
        for (const k of [...PTHI_FIELDS, 'operationalState']) info.errors[k] = versions.error;
        info.heciAvailable = versions.error.code !== 'NO_DEVICE' && versions.error.code !== 'PERMISSION';
        return;
      }
    }

    const uuid = await getUuid(pthi, within(d, per));
    const fallback = uuid.ok ? null : opts.fallbackUuid?.() ?? null;
    if (!uuid.ok && fallback && !UUID_SENTINELS.includes(fallback)) {
      // rpc-go does the same: the firmware's placeholder identifies nothing, SMBIOS may.
      info.uuid = fallback;
      info.raw.uuidSource = `SMBIOS product_uuid (PTHI: ${uuid.error.message})`;
    } else take('uuid', uuid, (v) => (info.uuid = v));
    take('controlMode', await getControlMode(pthi, within(d, per)), (v) => {
      info.controlMode = named(CONTROL_MODES, v);
      info.raw.controlMode = v;
    });
    take('provisioningState', await getProvisioningState(pthi, within(d, per)), (v) => {
      info.provisioningState = named(PROVISIONING_STATES, v);
      info.raw.provisioningState = v;
    });
    take('dnsSuffix', await getDnsSuffix(pthi, within(d, per)), (v) => (info.dnsSuffix = v));
    take('ras', await getRemoteAccessStatus(pthi, within(d, per)), (v) => {
      info.ras = {
        networkStatus: named(NETWORK_STATUS, v.networkStatus),
        remoteStatus: named(REMOTE_STATUS, v.remoteStatus),
        remoteTrigger: named(REMOTE_TRIGGER, v.remoteTrigger),
        mpsHostname: v.mpsHostname,
      };
    });
    const osIfs = opts.osInterfaces?.() ?? {};
    take('wiredAdapter', await getLanSettings(pthi, 0, within(d, per)), (v) => (info.wiredAdapter = adapter(v, osIfs)));
    take('wirelessAdapter', await getLanSettings(pthi, 1, within(d, per)), (v) => (info.wirelessAdapter = adapter(v, osIfs)));
    take('certificateHashes', await getCertHashes(pthi, within(d, per * 4)), (list) => {
      const out: Record<string, CertHashInfo> = {};
      for (const e of list) {
        const h: CertHashInfo = { Hash: e.hash, Name: e.name, Algorithm: e.algorithmName, AlgorithmNumber: e.algorithm, IsActive: e.isActive, IsDefault: e.isDefault };
        if (e.ambiguous) {
          h.AlgorithmAmbiguity = `algorithm 3 read as SHA384 (rpc-go v3); MeshCentral and rpc-go v2 read SHA512${e.ambiguous.bytes48to63NonZero ? '; bytes 48-63 are not zero, which fits SHA512' : ''}`;
        }
        out[e.name] = h;
      }
      info.certificateHashes = out;
    });
    take('localSystemAccount', await getLocalSystemAccount(pthi, within(d, per)), (a) => (info.localSystemAccount = { exists: true, user: a.user }));
  });

  if (!info.errors.operationalState) await operationalState(bus, d, per, info);
  return info;
}

/**
 * Early in boot (the preboot agent runs then) the firmware may answer NOT_READY;
 * rpc-go keeps asking for two minutes. We ask again a bounded number of times
 * within the deadline.
 */
async function codeVersionsWhenReady(pthi: MeiClient, d: Deadline, per: number, opts: AmtInfoOptions): Promise<MeiResult<CodeVersions>> {
  const retries = opts.notReadyRetries ?? 3;
  const pause = opts.notReadyPauseMs ?? 2000;
  for (let attempt = 0; ; attempt++) {
    const r = await getCodeVersions(pthi, within(d, per));
    if (r.ok || r.error.code !== 'STATUS' || r.error.status !== PTHI_STATUS.NOT_READY) return r;
    if (attempt >= retries || remainingMs(d) <= pause) return r;
    await new Promise((res) => setTimeout(res, pause));
  }
}

/** rpc-go asks only when AMT's major is above 11, and shows it only with the new-interface bit. */
async function operationalState(bus: MeiBus, d: Deadline, per: number, info: AmtInfo): Promise<void> {
  if (info.raw.amtMajor === undefined) {
    info.errors.operationalState = { code: 'PROTOCOL', message: 'not asked: the AMT version is unknown' };
    return;
  }
  if (info.raw.amtMajor <= 11) {
    info.errors.operationalState = { code: 'NO_CLIENT', message: `not reported by AMT ${info.raw.amtMajor} (needs ME 16.1 or later)` };
    return;
  }
  const r = await getOperationalState(watchdogClient(bus), within(d, per));
  if (!r.ok) {
    info.errors.operationalState = r.error;
    return;
  }
  info.raw.operationalStateFlags = r.value.raw;
  if (r.value.amtEnabled === null) {
    info.errors.operationalState = { code: 'NO_CLIENT', message: 'the firmware does not set the new-interface bit (ME before 16.1)' };
    return;
  }
  info.operationalState = r.value.amtEnabled ? 'enabled' : 'disabled';
  if (r.value.tlsOnLocalPorts !== null) info.tlsOnLocalPorts = r.value.tlsOnLocalPorts;
}

function adapter(v: LanSettings, osIfs: NonNullable<ReturnType<NonNullable<AmtInfoOptions['osInterfaces']>>>): InterfaceSettings {
  let osIp = '0.0.0.0';
  for (const addrs of Object.values(osIfs)) {
    const hit = addrs?.find((a) => a.mac.toLowerCase() === v.mac && (a.family === 'IPv4' || a.family === 4));
    if (hit) {
      osIp = hit.address;
      break;
    }
  }
  return {
    isEnable: v.enabled,
    linkStatus: v.linkUp ? 'up' : 'down',
    dhcpEnabled: v.dhcpEnabled,
    dhcpMode: v.dhcpMode === 1 ? 'active' : v.dhcpMode === 2 ? 'passive' : `unknown (${v.dhcpMode})`,
    ipAddress: v.ipv4,
    osIpAddress: osIp,
    macAddress: v.mac,
  };
}

