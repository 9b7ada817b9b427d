// Wake-on-LAN's magic packet, as a pure codec: 6 bytes of 0xFF, then the
// target's MAC 16 times (102 bytes), optionally followed by a SecureOn
// password of 4 or 6 bytes (106 or 108). A sleeping NIC looks for exactly
// this pattern in any frame its filter passes; it answers nothing, so nothing
// here is a protocol exchange, only bytes in and bytes out.
//
// MAC formats taken: aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff, aabb.ccdd.eeff
// (Cisco), aabbccddeeff; hex in either case, two digits per octet.
// SecureOn formats taken: aa:bb:cc:dd:ee:ff or aa-bb-cc-dd-ee-ff or 12 hex
// digits (6 bytes), aa:bb:cc:dd or aa-bb-cc-dd or 8 hex digits (4 bytes), and
// dotted decimal 1.2.3.4 (4 bytes), as ether-wake's -p takes it.

export const MAC_BYTES = 6;
const SYNC_BYTES = 6;
const REPEATS = 16;
export const MAGIC_BYTES = SYNC_BYTES + REPEATS * MAC_BYTES;
/** The packet lengths there are: bare, with a 4-byte and with a 6-byte SecureOn password. */
export const MAGIC_LENGTHS: readonly number[] = [MAGIC_BYTES, MAGIC_BYTES + 4, MAGIC_BYTES + 6];

export type WolErrorCode =
  /** Not one of the MAC notations above. */
  | 'MAC_FORMAT'
  /** The group bit is set (multicast, or the broadcast address): no NIC has it as its own. */
  | 'MAC_GROUP'
  /** 00:00:00:00:00:00, which no NIC has either. */
  | 'MAC_ZERO'
  /** Not a 4- or 6-byte password in a notation above; the message never repeats the input. */
  | 'SECUREON_FORMAT'
  /** A packet whose length is none of MAGIC_LENGTHS. */
  | 'LENGTH'
  /** A packet that does not open with six 0xFF bytes. */
  | 'SYNC'
  /** A packet whose sixteen copies of the MAC differ. */
  | 'REPEAT';

export interface WolError {
  code: WolErrorCode;
  message: string;
}

export type WolResult<T> = { ok: true; value: T } | { ok: false; error: WolError };
const wok = <T>(value: T): WolResult<T> => ({ ok: true, value });
const werr = (code: WolErrorCode, message: string): WolResult<never> => ({ ok: false, error: { code, message } });

/** A user's input quoted in an error: bounded and escaped, so a pasted blob cannot flood or forge log lines. */
const quote = (s: string): string => JSON.stringify(s.length > 40 ? `${s.slice(0, 40)}...` : s);

const hexBytes = (hex: string): Uint8Array => Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));

export const formatMac = (mac: Uint8Array): string => [...mac].map((b) => b.toString(16).padStart(2, '0')).join(':');

/** A NIC's own address: unicast and not all zeros. */
export function checkMac(mac: Uint8Array): WolResult<Uint8Array> {
  if (mac.length !== MAC_BYTES) return werr('MAC_FORMAT', `a MAC is ${MAC_BYTES} bytes, not ${mac.length}`);
  const text = formatMac(mac);
  if (mac.every((b) => b === 0xff)) return werr('MAC_GROUP', `${text} is the broadcast address, not a NIC's`);
  // Bit 0 of the first octet is the I/G bit: 1 means a group (multicast) address.
  if (((mac[0] ?? 0) & 1) === 1) return werr('MAC_GROUP', `${text} is a multicast address (the first octet is odd), not a NIC's`);
  if (mac.every((b) => b === 0)) return werr('MAC_ZERO', `${text} is no NIC's address`);
  return wok(mac);
}

const H2 = '(?:[0-9a-fA-F]{2})';
const MAC_NOTATIONS = [
  new RegExp(`^${H2}(?::${H2}){5}$`),
  new RegExp(`^${H2}(?:-${H2}){5}$`),
  new RegExp(`^${H2}{2}\\.${H2}{2}\\.${H2}{2}$`),
  new RegExp(`^${H2}{6}$`),
];

export function parseMac(s: string): WolResult<Uint8Array> {
  if (!MAC_NOTATIONS.some((re) => re.test(s))) {
    return werr('MAC_FORMAT', `${quote(s)} is not a MAC address (aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff, aabb.ccdd.eeff or aabbccddeeff)`);
  }
  return checkMac(hexBytes(s.replace(/[:.-]/g, '')));
}

const SECUREON_NOTATIONS = [
  new RegExp(`^${H2}(?::${H2}){3}(?:(?::${H2}){2})?$`),
  new RegExp(`^${H2}(?:-${H2}){3}(?:(?:-${H2}){2})?$`),
  new RegExp(`^(?:${H2}{4}|${H2}{6})$`),
];
const DOTTED = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** A SecureOn password of 4 or 6 bytes. Errors never quote the input: it is a secret. */
export function parseSecureOn(s: string): WolResult<Uint8Array> {
  const bad = werr('SECUREON_FORMAT', 'the SecureOn password is not 4 or 6 bytes as aa:bb:cc:dd[:ee:ff], aa-bb-cc-dd[-ee-ff], 8 or 12 hex digits, or dotted decimal a.b.c.d');
  if (SECUREON_NOTATIONS.some((re) => re.test(s))) return wok(hexBytes(s.replace(/[:-]/g, '')));
  const m = DOTTED.exec(s);
  if (m === null) return bad;
  const octets = m.slice(1).map(Number);
  return octets.every((o) => o <= 255) ? wok(Uint8Array.from(octets)) : bad;
}

/** The packet for `mac` (checked), with the password appended when given. */
export function buildMagic(mac: Uint8Array, secureOn: Uint8Array | null = null): WolResult<Uint8Array> {
  const m = checkMac(mac);
  if (!m.ok) return m;
  if (secureOn !== null && secureOn.length !== 4 && secureOn.length !== 6) return werr('SECUREON_FORMAT', `a SecureOn password is 4 or 6 bytes, not ${secureOn.length}`);
  const out = new Uint8Array(MAGIC_BYTES + (secureOn?.length ?? 0));
  out.fill(0xff, 0, SYNC_BYTES);
  for (let i = 0; i < REPEATS; i++) out.set(mac, SYNC_BYTES + i * MAC_BYTES);
  if (secureOn) out.set(secureOn, MAGIC_BYTES);
  return wok(out);
}

export interface MagicPacket {
  mac: Uint8Array;
  secureOn: Uint8Array | null;
}

/** Reads a datagram's payload as a magic packet: exactly one of MAGIC_LENGTHS, nothing around it. */
export function parseMagic(bytes: Uint8Array): WolResult<MagicPacket> {
  if (!MAGIC_LENGTHS.includes(bytes.length)) return werr('LENGTH', `a magic packet is ${MAGIC_LENGTHS.join(', ')} bytes, not ${bytes.length}`);
  for (let i = 0; i < SYNC_BYTES; i++) if (bytes[i] !== 0xff) return werr('SYNC', 'a magic packet opens with six 0xFF bytes');
  const mac = bytes.slice(SYNC_BYTES, SYNC_BYTES + MAC_BYTES);
  for (let i = SYNC_BYTES + MAC_BYTES; i < MAGIC_BYTES; i++) {
    if (bytes[i] !== mac[(i - SYNC_BYTES) % MAC_BYTES]) return werr('REPEAT', `copy ${Math.floor((i - SYNC_BYTES) / MAC_BYTES) + 1} of the MAC differs from the first`);
  }
  const m = checkMac(mac);
  if (!m.ok) return m;
  return wok({ mac, secureOn: bytes.length > MAGIC_BYTES ? bytes.slice(MAGIC_BYTES) : null });
}
