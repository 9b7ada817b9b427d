// PCI functions from /sys/bus/pci/devices, with the roles that matter for
// out-of-band management recognised from their ids.

/** What a PCI function means for out-of-band management; most are 'other'. */
export type PciRole =
  | 'mei' // Intel HECI/MEI (CSME) controller: the host side of the ME
  | 'amt-sol' // AMT Serial-over-LAN (KT) function
  | 'amt-ider' // AMT IDE redirection function
  | 'dash' // Realtek RealManage DASH function (10ec:816a-816e)
  | 'bmc-video' // BMC's VGA (ASPEED AST2x00, Matrox G200e/eR/eH/eW ...)
  | 'nic'
  | 'watchdog' // e.g. Intel 6300ESB
  | 'other';

export interface PciDevice {
  /** "0000:00:16.0" */
  address: string;
  vendorId: number;
  deviceId: number;
  subsystemVendorId: number | null;
  subsystemId: number | null;
  /** 24-bit class code, e.g. 0x078000. */
  classCode: number;
  revision: number | null;
  /** Bound driver's name, e.g. "mei_me", "e1000e", null when none. */
  driver: string | null;
  /** From pci.ids when it is installed, else null. */
  vendorName: string | null;
  deviceName: string | null;
  className: string | null;
  role: PciRole;
}
