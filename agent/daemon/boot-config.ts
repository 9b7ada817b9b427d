// Where the preboot's daemon finds its config (DESIGN.md, image contract):
// `fortros.config=PATH` on the kernel command line names a file in the image;
// without it, QEMU or the firmware may provide fw_cfg `opt/fortros/config`,
// which the qemu_fw_cfg driver exposes in sysfs.

import type { SysRoot } from '../probe/sysroot.ts';
import { parseCmdline } from './cmdline.ts';
import { CONFIG_CAP, ConfigError } from './config.ts';

export const FW_CFG_CONFIG = '/sys/firmware/qemu_fw_cfg/by_name/opt/fortros/config/raw';

export interface BootConfigSource {
  text: string;
  /** "fortros.config=/etc/fortros/agent.json" or "fw_cfg opt/fortros/config". */
  source: string;
}

export function resolveBootConfig(sys: SysRoot): BootConfigSource {
  const cmdline = sys.readText('/proc/cmdline');
  if (!cmdline.ok) throw new ConfigError('/proc/cmdline', cmdline.error.message);
  const named = parseCmdline(cmdline.value).get('fortros.config');
  if (typeof named === 'string' && named) {
    const r = sys.readText(named, CONFIG_CAP);
    if (!r.ok) throw new ConfigError(`fortros.config=${named}`, r.error.message);
    return { text: r.value, source: `fortros.config=${named}` };
  }
  const fw = sys.readText(FW_CFG_CONFIG, CONFIG_CAP);
  if (fw.ok) return { text: fw.value, source: 'fw_cfg opt/fortros/config' };
  if (fw.error.code !== 'ENOENT') throw new ConfigError('fw_cfg opt/fortros/config', fw.error.message);
  throw new ConfigError('boot', 'no config: neither fortros.config= on the kernel command line nor fw_cfg opt/fortros/config');
}
