// A deliberately small flag parser: every command declares its flags, anything
// else is a usage error. No positional magic, no abbreviations, so a typo in a
// script fails loudly instead of silently doing something else.

import { UsageError } from './exit.ts';

export interface FlagSpec {
  name: string; // without the leading dashes
  kind: 'boolean' | 'string';
  short?: string;
  value?: string; // placeholder shown in help, e.g. DIR
  help: string;
}

export interface Parsed {
  flags: Map<string, string | true>;
  positionals: string[];
}

export function parseArgs(command: string, argv: readonly string[], specs: readonly FlagSpec[], maxPositionals = 0): Parsed {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short as string, s]));
  const flags = new Map<string, string | true>();
  const positionals: string[] = [];
  let onlyPositionals = false;

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (onlyPositionals || !arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    if (arg === '--') {
      onlyPositionals = true;
      continue;
    }
    let spec: FlagSpec | undefined;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
      if (eq !== -1) inline = arg.slice(eq + 1);
      spec = byName.get(name);
    } else if (arg.length === 2) {
      spec = byShort.get(arg.slice(1));
    }
    if (!spec) throw new UsageError(`${command}: unknown flag ${arg.split('=')[0]} (see '${command} --help')`);
    if (spec.kind === 'boolean') {
      if (inline !== undefined) throw new UsageError(`${command}: --${spec.name} takes no value`);
      flags.set(spec.name, true);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined || (inline === undefined && value.startsWith('--'))) {
      throw new UsageError(`${command}: --${spec.name} needs a value${spec.value ? ` (${spec.value})` : ''}`);
    }
    if (flags.has(spec.name)) throw new UsageError(`${command}: --${spec.name} given twice`);
    flags.set(spec.name, value);
  }
  if (positionals.length > maxPositionals) {
    throw new UsageError(`${command}: unexpected argument '${positionals[maxPositionals]}' (see '${command} --help')`);
  }
  return { flags, positionals };
}

export function flagHelp(specs: readonly FlagSpec[]): string {
  const rows = specs.map((s) => {
    const left = `${s.short ? `-${s.short}, ` : '    '}--${s.name}${s.value ? ` ${s.value}` : ''}`;
    return [left, s.help] as const;
  });
  const width = Math.max(0, ...rows.map(([l]) => l.length)) + 2;
  return rows.map(([l, h]) => `  ${l.padEnd(width)}${h}`).join('\n');
}

/** `--timeout S` (whole seconds, 1-3600) as milliseconds, or the default. */
export function timeoutFlagMs(args: Parsed, command: string, defaultS: number): number {
  const v = args.flags.get('timeout');
  if (v === undefined) return defaultS * 1000;
  if (typeof v !== 'string' || !/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 3600) throw new UsageError(`${command}: --timeout must be whole seconds in 1-3600`);
  return Number(v) * 1000;
}
