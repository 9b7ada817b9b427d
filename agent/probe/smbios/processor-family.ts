// DMTF DSP0134 7.5.2 processor family names, as dmidecode prints them. Byte
// 0x06 is the family; 0xFE means "see the 16-bit Processor Family 2 at 0x28".

import { OUT_OF_SPEC } from './enums.ts';

const FAMILIES = new Map<number, string>([
  [0x01, 'Other'], [0x02, 'Unknown'], [0x03, '8086'], [0x04, '80286'], [0x05, '80386'], [0x06, '80486'],
  [0x07, '8087'], [0x08, '80287'], [0x09, '80387'], [0x0a, '80487'], [0x0b, 'Pentium'], [0x0c, 'Pentium Pro'],
  [0x0d, 'Pentium II'], [0x0e, 'Pentium MMX'], [0x0f, 'Celeron'], [0x10, 'Pentium II Xeon'], [0x11, 'Pentium III'],
  [0x12, 'M1'], [0x13, 'M2'], [0x14, 'Celeron M'], [0x15, 'Pentium 4 HT'], [0x18, 'Duron'], [0x19, 'K5'], [0x1a, 'K6'],
  [0x1b, 'K6-2'], [0x1c, 'K6-3'], [0x1d, 'Athlon'], [0x1e, 'AMD29000'], [0x1f, 'K6-2+'], [0x20, 'Power PC'],
  [0x21, 'Power PC 601'], [0x22, 'Power PC 603'], [0x23, 'Power PC 603+'], [0x24, 'Power PC 604'],
  [0x25, 'Power PC 620'], [0x26, 'Power PC x704'], [0x27, 'Power PC 750'], [0x28, 'Core Duo'],
  [0x29, 'Core Duo Mobile'], [0x2a, 'Core Solo Mobile'], [0x2b, 'Atom'], [0x2c, 'Core M'], [0x2d, 'Core m3'],
  [0x2e, 'Core m5'], [0x2f, 'Core m7'], [0x30, 'Alpha'], [0x31, 'Alpha 21064'], [0x32, 'Alpha 21066'],
  [0x33, 'Alpha 21164'], [0x34, 'Alpha 21164PC'], [0x35, 'Alpha 21164a'], [0x36, 'Alpha 21264'], [0x37, 'Alpha 21364'],
  [0x38, 'Turion II Ultra Dual-Core Mobile M'], [0x39, 'Turion II Dual-Core Mobile M'],
  [0x3a, 'Athlon II Dual-Core M'], [0x3b, 'Opteron 6100'], [0x3c, 'Opteron 4100'], [0x3d, 'Opteron 6200'],
  [0x3e, 'Opteron 4200'], [0x3f, 'FX'], [0x40, 'MIPS'], [0x41, 'MIPS R4000'], [0x42, 'MIPS R4200'],
  [0x43, 'MIPS R4400'], [0x44, 'MIPS R4600'], [0x45, 'MIPS R10000'], [0x46, 'C-Series'], [0x47, 'E-Series'],
  [0x48, 'A-Series'], [0x49, 'G-Series'], [0x4a, 'Z-Series'], [0x4b, 'R-Series'], [0x4c, 'Opteron 4300'],
  [0x4d, 'Opteron 6300'], [0x4e, 'Opteron 3300'], [0x4f, 'FirePro'], [0x50, 'SPARC'], [0x51, 'SuperSPARC'],
  [0x52, 'MicroSPARC II'], [0x53, 'MicroSPARC IIep'], [0x54, 'UltraSPARC'], [0x55, 'UltraSPARC II'],
  [0x56, 'UltraSPARC IIi'], [0x57, 'UltraSPARC III'], [0x58, 'UltraSPARC IIIi'], [0x60, '68040'], [0x61, '68xxx'],
  [0x62, '68000'], [0x63, '68010'], [0x64, '68020'], [0x65, '68030'], [0x66, 'Athlon X4'], [0x67, 'Opteron X1000'],
  [0x68, 'Opteron X2000'], [0x69, 'Opteron A-Series'], [0x6a, 'Opteron X3000'], [0x6b, 'Zen'], [0x70, 'Hobbit'],
  [0x78, 'Crusoe TM5000'], [0x79, 'Crusoe TM3000'], [0x7a, 'Efficeon TM8000'], [0x80, 'Weitek'], [0x82, 'Itanium'],
  [0x83, 'Athlon 64'], [0x84, 'Opteron'], [0x85, 'Sempron'], [0x86, 'Turion 64'], [0x87, 'Dual-Core Opteron'],
  [0x88, 'Athlon 64 X2'], [0x89, 'Turion 64 X2'], [0x8a, 'Quad-Core Opteron'], [0x8b, 'Third-Generation Opteron'],
  [0x8c, 'Phenom FX'], [0x8d, 'Phenom X4'], [0x8e, 'Phenom X2'], [0x8f, 'Athlon X2'], [0x90, 'PA-RISC'],
  [0x91, 'PA-RISC 8500'], [0x92, 'PA-RISC 8000'], [0x93, 'PA-RISC 7300LC'], [0x94, 'PA-RISC 7200'],
  [0x95, 'PA-RISC 7100LC'], [0x96, 'PA-RISC 7100'], [0xa0, 'V30'], [0xa1, 'Quad-Core Xeon 3200'],
  [0xa2, 'Dual-Core Xeon 3000'], [0xa3, 'Quad-Core Xeon 5300'], [0xa4, 'Dual-Core Xeon 5100'],
  [0xa5, 'Dual-Core Xeon 5000'], [0xa6, 'Dual-Core Xeon LV'], [0xa7, 'Dual-Core Xeon ULV'],
  [0xa8, 'Dual-Core Xeon 7100'], [0xa9, 'Quad-Core Xeon 5400'], [0xaa, 'Quad-Core Xeon'],
  [0xab, 'Dual-Core Xeon 5200'], [0xac, 'Dual-Core Xeon 7200'], [0xad, 'Quad-Core Xeon 7300'],
  [0xae, 'Quad-Core Xeon 7400'], [0xaf, 'Multi-Core Xeon 7400'], [0xb0, 'Pentium III Xeon'],
  [0xb1, 'Pentium III Speedstep'], [0xb2, 'Pentium 4'], [0xb3, 'Xeon'], [0xb4, 'AS400'], [0xb5, 'Xeon MP'],
  [0xb6, 'Athlon XP'], [0xb7, 'Athlon MP'], [0xb8, 'Itanium 2'], [0xb9, 'Pentium M'], [0xba, 'Celeron D'],
  [0xbb, 'Pentium D'], [0xbc, 'Pentium EE'], [0xbd, 'Core Solo'], [0xbf, 'Core 2 Duo'], [0xc0, 'Core 2 Solo'],
  [0xc1, 'Core 2 Extreme'], [0xc2, 'Core 2 Quad'], [0xc3, 'Core 2 Extreme Mobile'], [0xc4, 'Core 2 Duo Mobile'],
  [0xc5, 'Core 2 Solo Mobile'], [0xc6, 'Core i7'], [0xc7, 'Dual-Core Celeron'], [0xc8, 'IBM390'], [0xc9, 'G4'],
  [0xca, 'G5'], [0xcb, 'ESA/390 G6'], [0xcc, 'z/Architecture'], [0xcd, 'Core i5'], [0xce, 'Core i3'],
  [0xcf, 'Core i9'], [0xd2, 'C7-M'], [0xd3, 'C7-D'], [0xd4, 'C7'], [0xd5, 'Eden'], [0xd6, 'Multi-Core Xeon'],
  [0xd7, 'Dual-Core Xeon 3xxx'], [0xd8, 'Quad-Core Xeon 3xxx'], [0xd9, 'Nano'], [0xda, 'Dual-Core Xeon 5xxx'],
  [0xdb, 'Quad-Core Xeon 5xxx'], [0xdd, 'Dual-Core Xeon 7xxx'], [0xde, 'Quad-Core Xeon 7xxx'],
  [0xdf, 'Multi-Core Xeon 7xxx'], [0xe0, 'Multi-Core Xeon 3400'], [0xe4, 'Opteron 3000'], [0xe5, 'Sempron II'],
  [0xe6, 'Embedded Opteron Quad-Core'], [0xe7, 'Phenom Triple-Core'], [0xe8, 'Turion Ultra Dual-Core Mobile'],
  [0xe9, 'Turion Dual-Core Mobile'], [0xea, 'Athlon Dual-Core'], [0xeb, 'Sempron SI'], [0xec, 'Phenom II'],
  [0xed, 'Athlon II'], [0xee, 'Six-Core Opteron'], [0xef, 'Sempron M'], [0xfa, 'i860'], [0xfb, 'i960'],
  [0x100, 'ARMv7'], [0x101, 'ARMv8'], [0x104, 'SH-3'], [0x105, 'SH-4'], [0x118, 'ARM'], [0x119, 'StrongARM'],
  [0x12c, '6x86'], [0x12d, 'MediaGX'], [0x12e, 'MII'], [0x140, 'WinChip'], [0x15e, 'DSP'], [0x1f4, 'Video Processor'],
  [0x200, 'RV32'], [0x201, 'RV64'], [0x202, 'RV128'],
]);

/**
 * The family name. `manufacturer` settles the two codes DSP0134 assigned twice:
 * 0xBE (Core 2 or K7) and, in SMBIOS 2.0 only, 0x30 (Pentium Pro or Alpha).
 */
export function processorFamily(code: number, manufacturer: string | null, version: number): string {
  const intel = names(manufacturer, 'Intel');
  if (version === 0x0200 && code === 0x30 && intel) return 'Pentium Pro';
  if (code === 0xbe) {
    if (intel) return 'Core 2';
    if (names(manufacturer, 'AMD')) return 'K7';
    return 'Core 2 or K7';
  }
  return FAMILIES.get(code) ?? OUT_OF_SPEC;
}

// dmidecode's test: the name anywhere (case as given) or as a prefix in any case.
const names = (m: string | null, vendor: string): boolean =>
  m !== null && (m.includes(vendor) || m.slice(0, vendor.length).toLowerCase() === vendor.toLowerCase());
