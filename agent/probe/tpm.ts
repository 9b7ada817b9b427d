// TPM devices from /sys/class/tpm: the version, the device nodes the agent can
// open, the driver and the PCR banks the TPM has allocated.
//
// `tpm_version_major` and the `pcr-<alg>` directories are described in
// Documentation/ABI/stable/sysfs-class-tpm; only TPM 2.0 has a resource-managed
// node (/dev/tpmrmN), which is what the agent opens.

import type { ErrorSink } from './errors.ts';
import type { SysRoot } from './sysroot.ts';
import { followDevice, isDir } from './nics.ts';

export interface TpmDevice {
  name: string;
  /** 1 or 2 from `tpm_version_major`, or 2 inferred from a /dev/tpmrmN node; null when unknown. */
  versionMajor: 1 | 2 | null;
  versionSource: 'sysfs' | 'tpmrm-node' | null;
  devNode: string | null;
  rmDevNode: string | null;
  driver: string | null;
  /** Firmware device name below the link, e.g. ACPI "MSFT0101:00". */
  firmwareDevice: string | null;
  description: string | null;
  /** Hash algorithms with an allocated PCR bank, e.g. ["sha1", "sha256"]. */
  pcrBanks: string[];
}

export interface TpmReport {
  present: boolean;
  devices: TpmDevice[];
}

function readOne(sys: SysRoot, errs: ErrorSink, name: string): TpmDevice {
  const dir = `/sys/class/tpm/${name}`;
  const n = name.slice(3);

  let versionMajor: TpmDevice['versionMajor'] = null;
  let versionSource: TpmDevice['versionSource'] = null;
  const v = sys.readText(`${dir}/tpm_version_major`);
  if (v.ok) {
    if (v.value === '1' || v.value === '2') {
      versionMajor = v.value === '1' ? 1 : 2;
      versionSource = 'sysfs';
    } else {
      errs.add(`${dir}/tpm_version_major`, 'MALFORMED', `${dir}/tpm_version_major: expected 1 or 2, got ${JSON.stringify(v.value.slice(0, 40))}`);
    }
  } else if (v.error.code !== 'ENOENT') {
    errs.add(`${dir}/tpm_version_major`, v.error.code, v.error.message);
  }
  const rmDevNode = sys.exists(`/dev/tpmrm${n}`) ? `/dev/tpmrm${n}` : null;
  if (versionMajor === null && rmDevNode) {
    versionMajor = 2;
    versionSource = 'tpmrm-node';
  }

  const dev = followDevice(sys, `${dir}/device`);
  let description: string | null = null;
  if (dev) {
    const d = sys.readText(`${dir}/device/description`);
    if (d.ok) description = d.value;
    else if (d.error.code !== 'ENOENT') errs.add(`${dir}/device/description`, d.error.code, d.error.message);
  }

  const entries = errs.take(dir, sys.list(dir)) ?? [];
  const pcrBanks = entries
    .map((e) => /^pcr-([a-z0-9_]+)$/.exec(e)?.[1])
    .filter((alg): alg is string => alg !== undefined && isDir(sys, `${dir}/pcr-${alg}`));

  return {
    name,
    versionMajor,
    versionSource,
    devNode: sys.exists(`/dev/tpm${n}`) ? `/dev/tpm${n}` : null,
    rmDevNode,
    driver: dev ? (sys.linkName(`${dir}/device/driver`) ?? null) : null,
    firmwareDevice: dev ? (dev.parts[dev.parts.length - 1] ?? null) : null,
    description,
    pcrBanks,
  };
}

export function readTpm(sys: SysRoot, errs: ErrorSink): TpmReport {
  const names = errs.take('/sys/class/tpm', sys.list('/sys/class/tpm')) ?? [];
  const devices = names
    .filter((n) => /^tpm\d+$/.test(n) && isDir(sys, `/sys/class/tpm/${n}`))
    .sort((a, b) => Number(a.slice(3)) - Number(b.slice(3)))
    .map((n) => readOne(sys, errs, n));
  return { present: devices.length > 0, devices };
}
