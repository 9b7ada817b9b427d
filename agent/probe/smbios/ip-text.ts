// IP addresses as text, the way glibc's inet_ntop writes them, because that is
// what dmidecode prints for the Redfish host interface (RFC 5952 style: the
// longest run of two or more zero groups becomes "::", first run on a tie, hex
// in lower case; ::a.b.c.d and ::ffff:a.b.c.d keep the IPv4 dotted tail).

export function ipv4Text(b: readonly number[]): string {
  return b.slice(0, 4).map((x) => String(x & 0xff)).join('.');
}

export function ipv6Text(b: readonly number[]): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((((b[2 * i] ?? 0) & 0xff) << 8) | ((b[2 * i + 1] ?? 0) & 0xff));
  let best = { base: -1, len: 0 };
  let cur = { base: -1, len: 0 };
  for (let i = 0; i < 8; i++) {
    if (words[i] === 0) {
      cur = cur.base === -1 ? { base: i, len: 1 } : { base: cur.base, len: cur.len + 1 };
      if (cur.len > best.len) best = cur;
    } else {
      cur = { base: -1, len: 0 };
    }
  }
  if (best.len < 2) best = { base: -1, len: 0 };
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (best.base !== -1 && i >= best.base && i < best.base + best.len) {
      if (i === best.base) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && best.base === 0 && (best.len === 6 || (best.len === 5 && words[5] === 0xffff))) {
      out += ipv4Text(b.slice(12, 16));
      break;
    }
    out += (words[i] ?? 0).toString(16);
  }
  if (best.base !== -1 && best.base + best.len === 8) out += ':';
  return out;
}
