// The channels `agent oob` and the healer can drive. Adding one: a folder with
// an index.ts exporting its ChannelModule (and a flags.ts when it takes settings
// of its own), and one entry here. Each module loads only when used, so a status
// call does not pay for the other protocols.

import type { ChannelEntry, ChannelModule } from './types.ts';
import { AWS_FLAGS } from './aws/flags.ts';
import { GCE_FLAGS } from './gce/flags.ts';
import { HETZNER_ROBOT_FLAGS } from './hetzner-robot/flags.ts';
import { OVH_FLAGS } from './ovh/flags.ts';
import { HETZNER_CLOUD_FLAGS } from './hetzner-cloud/flags.ts';
import { DIGITALOCEAN_FLAGS } from './digitalocean/flags.ts';
import { VULTR_FLAGS } from './vultr/flags.ts';
import { LINODE_FLAGS } from './linode/flags.ts';
import { PDU_FLAGS } from './pdu/flags.ts';
import { LIBVIRT_FLAGS } from './libvirt/flags.ts';
import { WOL_FLAGS } from './wol/flags.ts';
import { PROXMOX_FLAGS } from './proxmox/flags.ts';
import { VSPHERE_FLAGS } from './vsphere/flags.ts';

/** The four BMC and management-engine channels take only the common options. */
const bmc = (load: () => Promise<ChannelModule>): ChannelEntry => ({ host: 'required', password: 'required', flags: [], load });

export const CHANNELS = {
  ipmi: bmc(async () => (await import('./ipmi/index.ts')).ipmiChannel),
  redfish: bmc(async () => (await import('./redfish/index.ts')).redfishChannel),
  amt: bmc(async () => (await import('./amt/index.ts')).amtChannel),
  dash: bmc(async () => (await import('./dash/index.ts')).dashChannel),
  wol: { host: 'optional', password: 'none', flags: WOL_FLAGS, load: async () => (await import('./wol/index.ts')).wolChannel },
  proxmox: { host: 'none', password: 'optional', flags: PROXMOX_FLAGS, load: async () => (await import('./proxmox/index.ts')).proxmoxChannel },
  vsphere: { host: 'none', password: 'required', flags: VSPHERE_FLAGS, load: async () => (await import('./vsphere/index.ts')).vsphereChannel },
  libvirt: { host: 'none', password: 'none', flags: LIBVIRT_FLAGS, load: async () => (await import('./libvirt/index.ts')).libvirtChannel },
  pdu: { host: 'required', password: 'none', flags: PDU_FLAGS, load: async () => (await import('./pdu/index.ts')).pduChannel },
  'hetzner-cloud': { host: 'none', password: 'none', flags: HETZNER_CLOUD_FLAGS, load: async () => (await import('./hetzner-cloud/index.ts')).hetznerCloudChannel },
  digitalocean: { host: 'none', password: 'none', flags: DIGITALOCEAN_FLAGS, load: async () => (await import('./digitalocean/index.ts')).digitaloceanChannel },
  vultr: { host: 'none', password: 'none', flags: VULTR_FLAGS, load: async () => (await import('./vultr/index.ts')).vultrChannel },
  linode: { host: 'none', password: 'none', flags: LINODE_FLAGS, load: async () => (await import('./linode/index.ts')).linodeChannel },
  aws: { host: 'none', password: 'none', flags: AWS_FLAGS, load: async () => (await import('./aws/index.ts')).awsChannel },
  gce: { host: 'none', password: 'none', flags: GCE_FLAGS, load: async () => (await import('./gce/index.ts')).gceChannel },
  'hetzner-robot': { host: 'none', password: 'required', flags: HETZNER_ROBOT_FLAGS, load: async () => (await import('./hetzner-robot/index.ts')).hetznerRobotChannel },
  ovh: { host: 'none', password: 'none', flags: OVH_FLAGS, load: async () => (await import('./ovh/index.ts')).ovhChannel },
} as const satisfies Record<string, ChannelEntry>;

export type ChannelName = keyof typeof CHANNELS;

export const isChannelName = (s: string): s is ChannelName => Object.hasOwn(CHANNELS, s);
