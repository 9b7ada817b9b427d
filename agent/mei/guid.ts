// MEI client GUIDs: canonical text <-> the uuid_le byte order IOCTL_MEI_CONNECT_CLIENT
// takes (first three groups little-endian, the last two as written). Values from
// intel/lms MEIClient/Include/HECI_if.h; see shared/reference/amt-me.md 1a.

export const MEI_GUID = {
  PTHI: '12f80028-b4b7-4b2d-aca8-46e0ff65814c',
  LME: '6733a4db-0476-4e7b-b3af-bcfc29bee7a7',
  /** The iAMT watchdog client; it also answers the AMT operational-state requests. */
  WATCHDOG: '05b79a6f-4628-4d7f-899d-a91514cb32ab',
  MKHI: '8e6a6715-9abc-4043-88ef-9e39c6f63e0f',
  /** The kernel's own MKHI client (bus-fixup.c); it fills sysfs fw_ver. */
  MKHI_FIX: '55213584-9a29-4916-badf-0fb7ed682aeb',
} as const;

const CANONICAL = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Canonical text to uuid_le bytes; null when the text is not a GUID. */
export function guidToUuidLe(text: string): Uint8Array | null {
  const t = text.toLowerCase();
  if (!CANONICAL.test(t)) return null;
  const hex = t.replace(/-/g, '');
  const b = Buffer.from(hex, 'hex');
  const out = new Uint8Array(16);
  // Groups 1-3 are stored least significant byte first.
  out.set([b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6]] as number[], 0);
  out.set(b.subarray(8), 8);
  return out;
}

/** uuid_le bytes to canonical lower-case text; null unless exactly 16 bytes. */
export function uuidLeToGuid(bytes: Uint8Array): string | null {
  if (bytes.length !== 16) return null;
  const b = bytes;
  const be = Uint8Array.from([b[3], b[2], b[1], b[0], b[5], b[4], b[7], b[6], ...b.subarray(8)] as number[]);
  const h = Buffer.from(be).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
