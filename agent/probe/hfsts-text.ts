// The text the kernel gives for the ME: /sys/class/mei/meiN/fw_status and
// fw_ver, and the dotted versions SMBIOS carries. Untrusted input: every parser
// returns a Result or null, never throws.

import { fail, ok, type Result } from './errors.ts';
import { MAX_HFSTS, MAX_FW_VER_BLOCKS, type FwVersion } from './hfsts.ts';

/** /sys/class/mei/meiN/fw_status: one `%08X` per line, 1 to 6 lines (drivers/misc/mei/main.c). */
export function parseFwStatus(text: string): Result<number[]> {
  const lines = splitLines(text);
  if (lines.length === 0) return fail('MALFORMED', 'fw_status: no registers');
  if (lines.length > MAX_HFSTS) return fail('MALFORMED', `fw_status: ${lines.length} lines, at most ${MAX_HFSTS} registers exist`);
  const out: number[] = [];
  for (const [i, line] of lines.entries()) {
    if (!/^[0-9A-Fa-f]{1,8}$/.test(line)) return fail('MALFORMED', `fw_status line ${i + 1}: not a 32-bit hex value: ${quote(line)}`);
    out.push(parseInt(line, 16));
  }
  return ok(out);
}

/**
 * /sys/class/mei/meiN/fw_ver: up to three `platform:major.minor.hotfix.build` lines
 * (bus-fixup.c prints `%u:%u.%u.%u.%u` from MKHI GET_FW_VERSION: u8 platform,
 * u8 major, u16 minor, u16 hotfix, u16 build).
 */
export function parseFwVer(text: string): Result<FwVersion[]> {
  const lines = splitLines(text);
  if (lines.length === 0) return fail('MALFORMED', 'fw_ver: empty');
  if (lines.length > MAX_FW_VER_BLOCKS) return fail('MALFORMED', `fw_ver: ${lines.length} lines, at most ${MAX_FW_VER_BLOCKS} version blocks exist`);
  const out: FwVersion[] = [];
  for (const [i, line] of lines.entries()) {
    const v = parseVersionLine(line);
    if (!v) return fail('MALFORMED', `fw_ver line ${i + 1}: not platform:major.minor.hotfix.build: ${quote(line)}`);
    out.push(v);
  }
  return ok(out);
}

function parseVersionLine(line: string): FwVersion | null {
  const m = /^(\d{1,3}):(\d{1,3})\.(\d{1,5})\.(\d{1,5})\.(\d{1,5})$/.exec(line);
  if (!m) return null;
  const [platform, major, minor, hotfix, build] = m.slice(1).map(Number) as [number, number, number, number, number];
  if (platform > 0xff || major > 0xff || minor > 0xffff || hotfix > 0xffff || build > 0xffff) return null;
  return { platform, major, minor, hotfix, build, text: `${major}.${minor}.${hotfix}.${build}` };
}

/** "16.1.32.2473" as SMBIOS 131/221 carry it; null for anything else or the all-ones "not present" value. */
export function parseDottedVersion(text: string): FwVersion | null {
  const m = /^(\d{1,3})\.(\d{1,5})\.(\d{1,5})\.(\d{1,5})$/.exec(text.trim());
  if (!m) return null;
  const [major, minor, hotfix, build] = m.slice(1).map(Number) as [number, number, number, number];
  if (major > 0xff || minor > 0xffff || hotfix > 0xffff || build > 0xffff) return null;
  // fwupd's SMBIOS test data (intel-me-smbios subtype 0x30) shows 255.255.255.65535 for "no version".
  if (major === 0xff && minor === 0xff && hotfix === 0xff && build === 0xffff) return null;
  return { platform: 0, major, minor, hotfix, build, text: `${major}.${minor}.${hotfix}.${build}` };
}

function splitLines(text: string): string[] {
  const lines = text.split('\n').map((l) => l.trim());
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

const quote = (s: string): string => JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}...` : s);
