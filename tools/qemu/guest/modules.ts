// Kernel module load order from modules.dep (the format depmod writes: one
// line per module, "path: dependency paths..."). Pure.

/** Parses modules.dep into path -> dependency paths. */
export function parseModulesDep(text: string): Map<string, string[]> {
  const deps = new Map<string, string[]>();
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const rest = line.slice(colon + 1).trim();
    deps.set(line.slice(0, colon), rest === '' ? [] : rest.split(/\s+/));
  }
  return deps;
}

/** The module's path in modules.dep by its name ("i6300esb" matches ".../i6300esb.ko" and ".ko.xz"). */
export function findModule(deps: Map<string, string[]>, name: string): string | null {
  for (const path of deps.keys()) {
    const base = path.slice(path.lastIndexOf('/') + 1).replace(/\.ko(\.(xz|zst|gz))?$/, '');
    if (base === name || base === name.replaceAll('-', '_')) return path;
  }
  return null;
}

/** Paths to insmod, dependencies before dependents, each once. Throws naming a module that is not there. */
export function loadOrder(deps: Map<string, string[]>, names: readonly string[]): string[] {
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (path: string): void => {
    if (seen.has(path)) return;
    seen.add(path);
    for (const d of deps.get(path) ?? []) visit(d);
    order.push(path);
  };
  for (const name of names) {
    const path = findModule(deps, name);
    if (!path) throw new Error(`module ${name} is not in modules.dep`);
    visit(path);
  }
  return order;
}
