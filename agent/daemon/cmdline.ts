// The kernel command line as the preboot reads it (/proc/cmdline): words split
// on spaces, double quotes group a value with spaces (`key="a b"`), the last
// occurrence of a key wins, as the kernel's own parser and systemd's do.

export type Cmdline = ReadonlyMap<string, string | true>;

export function parseCmdline(text: string): Cmdline {
  const out = new Map<string, string | true>();
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i] as string)) i++;
    let word = '';
    let quoted = false;
    while (i < text.length && (quoted || !/\s/.test(text[i] as string))) {
      const ch = text[i] as string;
      if (ch === '"') quoted = !quoted;
      else word += ch;
      i++;
    }
    const eq = word.indexOf('=');
    // "" and "=value" name no parameter; the kernel passes them on unnamed, so no key here.
    if (eq === 0 || !word) continue;
    if (eq === -1) out.set(word, true);
    else out.set(word.slice(0, eq), word.slice(eq + 1));
  }
  return out;
}
