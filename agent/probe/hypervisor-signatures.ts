// What a machine's firmware strings say about the hypervisor or cloud under it:
// one row per signature. The facts come from hypervisor.ts; this file is data.
//
// Sources (facts only, no code):
// - systemd src/basic/virt.c detect_vm_dmi_vendor(): prefixes looked for in
//   product_name, sys_vendor, board_vendor, bios_vendor and product_version
//   ("KVM", "QEMU", "VMware", "VMW", "innotek GmbH", "VirtualBox", "Xen",
//   "Bochs", "Hyper-V", "Amazon EC2", "Google Compute Engine"); systemd issue
//   #21816 for Hyper-V's "Microsoft Corporation" / "Virtual Machine"; the
//   ".metal" product name of EC2 bare-metal instances.
// - cloud-init tools/ds-identify (dscheck_*) and tests/unittests/test_ds_identify.py:
//   Azure's chassis asset tag, GCE's product name and serial, EC2's
//   /sys/hypervisor/uuid and product uuid/serial, DigitalOcean, Hetzner,
//   Vultr, Scaleway and Linode/Akamai sys_vendor, OpenStack product names and
//   asset tags.
// - Fixtures captured from real kernels: QEMU's fw_cfg and "BOCHS" ACPI OEM id
//   (test/fixtures/qemu-q35), Firecracker's "FIRECK" (test/fixtures/this-machine).
// - Proxmox VE's qemu-server names its machine types with a "+pve<N>" suffix
//   ("pc-q35-8.1+pve0"), which QEMU puts in SMBIOS type 1 version.

export type Fact =
  | 'sys_vendor'
  | 'product_name'
  | 'product_version'
  | 'product_serial'
  | 'product_uuid'
  | 'bios_vendor'
  | 'bios_version'
  | 'board_vendor'
  | 'board_name'
  | 'chassis_vendor'
  | 'chassis_asset_tag'
  | 'oem_string'
  /** product_uuid when it equals product_serial (ignoring case), which EC2 HVM guests show. */
  | 'uuid_equal_serial'
  | 'hypervisor_type'
  | 'hypervisor_uuid'
  | 'qemu_fw_cfg'
  | 'acpi_oem_id'
  | 'clocksource'
  | 'cpu_flag';

export type Hypervisor = 'Proxmox VE' | 'Firecracker' | 'VirtualBox' | 'VMware' | 'Hyper-V' | 'Xen' | 'QEMU/KVM';
export type Provider = 'AWS' | 'GCE' | 'Azure' | 'DigitalOcean' | 'Hetzner Cloud' | 'Vultr' | 'Linode/Akamai' | 'Scaleway' | 'OpenStack';

export interface Signature {
  /** Facts any one of which may carry the pattern. */
  facts: readonly Fact[];
  pattern: RegExp;
  /** A second condition on another fact, for signatures that need two strings. */
  and?: { fact: Fact; pattern: RegExp };
  hypervisor?: Hypervisor;
  provider?: Provider;
  /** true: the machine is a guest; false: the machine is bare metal (EC2 .metal). Rows naming a hypervisor imply true. */
  guest?: boolean;
  /** Weak signals (paravirt clocksources) are offered by several hypervisors; they only decide when nothing strong does. */
  weak?: boolean;
  means: string;
}

/** systemd checks these DMI fields, in this order, for its vendor prefixes. */
const SYSTEMD_DMI: readonly Fact[] = ['product_name', 'sys_vendor', 'board_vendor', 'bios_vendor', 'product_version'];

export const SIGNATURES: readonly Signature[] = [
  // Hypervisors.
  { facts: ['product_version'], pattern: /\+pve\d*$/, hypervisor: 'Proxmox VE', means: 'Proxmox VE machine type (+pve suffix)' },
  { facts: ['acpi_oem_id'], pattern: /^FIRECK$/, hypervisor: 'Firecracker', means: 'Firecracker ACPI tables' },
  { facts: SYSTEMD_DMI, pattern: /^(?:innotek GmbH|VirtualBox)/, hypervisor: 'VirtualBox', means: 'VirtualBox DMI strings' },
  { facts: ['oem_string'], pattern: /^vboxVer_/, hypervisor: 'VirtualBox', means: 'VirtualBox version in SMBIOS OEM strings' },
  { facts: ['acpi_oem_id'], pattern: /^VBOX$/, hypervisor: 'VirtualBox', means: 'VirtualBox ACPI tables' },
  { facts: SYSTEMD_DMI, pattern: /^(?:VMware|VMW)/, hypervisor: 'VMware', means: 'VMware DMI strings' },
  { facts: ['product_version'], pattern: /^Hyper-V/, hypervisor: 'Hyper-V', means: 'Hyper-V DMI version' },
  { facts: ['sys_vendor'], pattern: /^Microsoft Corporation$/, and: { fact: 'product_name', pattern: /^Virtual Machine$/ }, hypervisor: 'Hyper-V', means: 'Hyper-V virtual machine' },
  { facts: ['acpi_oem_id'], pattern: /^VRTUAL$/, hypervisor: 'Hyper-V', means: 'Hyper-V ACPI tables' },
  { facts: ['hypervisor_type'], pattern: /^xen$/, hypervisor: 'Xen', means: 'Xen guest (/sys/hypervisor)' },
  { facts: SYSTEMD_DMI, pattern: /^Xen/, hypervisor: 'Xen', means: 'Xen DMI strings' },
  { facts: ['acpi_oem_id'], pattern: /^Xen$/, hypervisor: 'Xen', means: 'Xen HVM ACPI tables' },
  { facts: ['qemu_fw_cfg'], pattern: /^present$/, hypervisor: 'QEMU/KVM', means: 'QEMU firmware configuration device' },
  { facts: SYSTEMD_DMI, pattern: /^(?:QEMU|KVM|Bochs)/, hypervisor: 'QEMU/KVM', means: 'QEMU/KVM DMI strings' },
  { facts: ['chassis_vendor'], pattern: /^(?:QEMU|Bochs)$/, hypervisor: 'QEMU/KVM', means: 'QEMU chassis' },
  { facts: ['acpi_oem_id'], pattern: /^BOCHS$/, hypervisor: 'QEMU/KVM', means: 'QEMU/SeaBIOS ACPI tables' },
  { facts: ['clocksource'], pattern: /^kvm-clock$/, hypervisor: 'QEMU/KVM', weak: true, means: 'KVM paravirtual clock' },
  { facts: ['clocksource'], pattern: /^xen$/, hypervisor: 'Xen', weak: true, means: 'Xen paravirtual clock' },
  { facts: ['clocksource'], pattern: /^hyperv_clocksource_tsc_page$/, hypervisor: 'Hyper-V', weak: true, means: 'Hyper-V reference TSC page' },
  { facts: ['cpu_flag'], pattern: /^hypervisor$/, guest: true, means: 'CPUID reports a hypervisor' },

  // Cloud providers.
  { facts: ['hypervisor_uuid'], pattern: /^ec2/, provider: 'AWS', guest: true, means: 'EC2 Xen instance' },
  { facts: ['uuid_equal_serial'], pattern: /^ec2/i, provider: 'AWS', guest: true, means: 'EC2 instance (product uuid = serial, starting ec2)' },
  { facts: ['sys_vendor'], pattern: /^Amazon EC2$/, provider: 'AWS', means: 'EC2 (Nitro) instance' },
  { facts: ['product_name'], pattern: /\.metal(?:-|$)/, and: { fact: 'sys_vendor', pattern: /^Amazon EC2$/ }, provider: 'AWS', guest: false, means: 'EC2 bare-metal instance type' },
  { facts: ['product_name'], pattern: /^Google Compute Engine$/, provider: 'GCE', means: 'Google Compute Engine' },
  { facts: ['product_serial'], pattern: /^GoogleCloud-/, provider: 'GCE', means: 'Google Compute Engine serial' },
  { facts: ['chassis_asset_tag'], pattern: /^7783-7084-3265-9085-8269-3286-77$/, provider: 'Azure', means: 'Azure chassis asset tag' },
  { facts: ['sys_vendor'], pattern: /^DigitalOcean$/, provider: 'DigitalOcean', means: 'DigitalOcean droplet' },
  { facts: ['sys_vendor'], pattern: /^Hetzner$/, provider: 'Hetzner Cloud', means: 'Hetzner Cloud server' },
  { facts: ['sys_vendor'], pattern: /^Vultr$/, provider: 'Vultr', means: 'Vultr instance' },
  { facts: ['sys_vendor'], pattern: /^(?:Linode|Akamai)$/, provider: 'Linode/Akamai', means: 'Linode/Akamai instance' },
  { facts: ['sys_vendor'], pattern: /^Scaleway$/, provider: 'Scaleway', means: 'Scaleway instance' },
  // OVHcloud's public cloud is OpenStack and presents the OpenStack strings; no OVH-specific DMI value is published.
  { facts: ['product_name'], pattern: /^OpenStack (?:Nova|Compute)$/i, provider: 'OpenStack', means: 'OpenStack Nova instance' },
  { facts: ['chassis_asset_tag'], pattern: /^(?:OpenStack Nova|OpenStack Compute|OpenTelekomCloud|SAP CCloud VM|HUAWEICLOUD)$/, provider: 'OpenStack', means: 'OpenStack cloud asset tag' },
];

/** When several hypervisors match, the more specific wins: Proxmox and Firecracker run on KVM, VirtualBox offers kvm-clock. */
export const HYPERVISOR_PRECEDENCE: readonly Hypervisor[] = ['Proxmox VE', 'Firecracker', 'VirtualBox', 'VMware', 'Hyper-V', 'Xen', 'QEMU/KVM'];

/**
 * Among clocksources alone: KVM and Xen both offer the Hyper-V reference TSC
 * page to guests with Hyper-V enlightenments, while Hyper-V never offers
 * kvm-clock or the Xen clock, so those two outrank it.
 */
export const WEAK_PRECEDENCE: readonly Hypervisor[] = ['Xen', 'QEMU/KVM', 'Hyper-V'];
