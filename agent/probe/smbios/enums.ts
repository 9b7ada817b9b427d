// DMTF DSP0134 enumerations, spelled the way dmidecode prints them so a report
// compares field by field with `dmidecode` output. A value the table does not
// know is dmidecode's "<OUT OF SPEC>": newer firmware adds values, and the raw
// code stays visible in `structures`.

export const OUT_OF_SPEC = '<OUT OF SPEC>';

/** A table that starts at `first`: codes below or past it are out of spec. */
const from = (first: number, names: readonly string[]) => (code: number): string => names[code - first] ?? OUT_OF_SPEC;

// 7.2.2 System wake-up type
export const wakeUpType = from(0x00, ['Reserved', 'Other', 'Unknown', 'APM Timer', 'Modem Ring', 'LAN Remote', 'Power Switch', 'PCI PME#', 'AC Power Restored']);

// 7.3.2 Board type
export const boardType = from(0x01, [
  'Unknown', 'Other', 'Server Blade', 'Connectivity Switch', 'System Management Module', 'Processor Module', 'I/O Module',
  'Memory Module', 'Daughter Board', 'Motherboard', 'Processor+Memory Module', 'Processor+I/O Module', 'Interconnect Board',
]);

// 7.4.1 Chassis type (bits 6:0; bit 7 is the lock)
export const chassisType = from(0x01, [
  'Other', 'Unknown', 'Desktop', 'Low Profile Desktop', 'Pizza Box', 'Mini Tower', 'Tower', 'Portable', 'Laptop', 'Notebook',
  'Hand Held', 'Docking Station', 'All In One', 'Sub Notebook', 'Space-saving', 'Lunch Box', 'Main Server Chassis',
  'Expansion Chassis', 'Sub Chassis', 'Bus Expansion Chassis', 'Peripheral Chassis', 'RAID Chassis', 'Rack Mount Chassis',
  'Sealed-case PC', 'Multi-system', 'CompactPCI', 'AdvancedTCA', 'Blade', 'Blade Enclosing', 'Tablet', 'Convertible',
  'Detachable', 'IoT Gateway', 'Embedded PC', 'Mini PC', 'Stick PC',
]);

// 7.4.2 Chassis state (boot-up, power supply, thermal)
export const chassisState = from(0x01, ['Other', 'Unknown', 'Safe', 'Warning', 'Critical', 'Non-recoverable']);

// 7.4.3 Chassis security status
export const chassisSecurity = from(0x01, ['Other', 'Unknown', 'None', 'External Interface Locked Out', 'External Interface Enabled']);

// 7.5.1 Processor type
export const processorType = from(0x01, ['Other', 'Unknown', 'Central Processor', 'Math Processor', 'DSP Processor', 'Video Processor']);

// 7.5 byte 0x18 bits 2:0, CPU status
export const processorStatus = from(0x00, ['Unknown', 'Enabled', 'Disabled By User', 'Disabled By BIOS', 'Idle', OUT_OF_SPEC, OUT_OF_SPEC, 'Other']);

// 7.43.1 Management controller host interface type (DSP0239 MCTP 1.1 names)
export function hostInterfaceType(code: number): string {
  const uart = [
    'KCS: Keyboard Controller Style', '8250 UART Register Compatible', '16450 UART Register Compatible',
    '16550/16550A UART Register Compatible', '16650/16650A UART Register Compatible', '16750/16750A UART Register Compatible',
    '16850/16850A UART Register Compatible',
  ];
  if (code >= 0x02 && code <= 0x08) return uart[code - 0x02] ?? OUT_OF_SPEC;
  if (code <= 0x3f) return 'MCTP';
  if (code === 0x40) return 'Network';
  if (code === 0xf0) return 'OEM';
  return OUT_OF_SPEC;
}

// 7.43.2 Protocol record types
export function protocolType(code: number): string {
  if (code === 0xf0) return 'OEM';
  return from(0x00, ['Reserved', 'Reserved', 'IPMI', 'MCTP', 'Redfish over IP'])(code);
}

// DSP0270 8.6 IP assignment / discovery types
export const ipAssignment = from(0x00, ['Unknown', 'Static', 'DHCP', 'AutoConf', 'Host Selected']);
