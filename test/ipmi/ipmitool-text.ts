// Reading ipmitool's text output in tests: `Name : value` fields (mc info,
// lan print) and the rows of `user list`.

export const field = (text: string, name: string): string => new RegExp(`^${name}\\s*:\\s*(.*)$`, 'm').exec(text)?.[1]?.trim() ?? '';

export interface UserRow {
  name: string;
  /** The "IPMI Msg" column. */
  msg: string;
  priv: string;
}

/** `ipmitool user list CH` rows by user id; a nameless row has one column fewer. */
export function userList(text: string): Map<number, UserRow> {
  const m = new Map<number, UserRow>();
  for (const line of text.split('\n')) {
    const named = /^(\d+)\s+(\S+)\s+(true|false)\s+(true|false)\s+(true|false)\s+(.+)$/.exec(line.trim());
    const nameless = /^(\d+)\s+(true|false)\s+(true|false)\s+(true|false)\s+(.+)$/.exec(line.trim());
    if (nameless) m.set(Number(nameless[1]), { name: '', msg: nameless[4] ?? '', priv: (nameless[5] ?? '').trim() });
    else if (named) m.set(Number(named[1]), { name: named[2] ?? '', msg: named[5] ?? '', priv: (named[6] ?? '').trim() });
  }
  return m;
}
