// Runs the real `dmidecode --from-dump` on an entry point and table and parses
// its text, so SMBIOS tests compare the decoder with the reference tool. A
// missing dmidecode fails the test with a clear message (`make test` installs
// it); it never skips.

import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { dmiDump } from '../../tools/smbios/build.ts';

export interface DmiField {
  key: string;
  value: string;
  /** 1 for "\tKey: value", 2 for sub-attributes and list items. */
  depth: number;
}

export interface DmiStructure {
  handle: number;
  type: number;
  length: number;
  title: string;
  fields: DmiField[];
}

export interface DmiOutput {
  text: string;
  structures: DmiStructure[];
}

export function runDmidecode(entryPoint: Uint8Array, table: Uint8Array): DmiOutput {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'smbios-dmi-'));
  const file = path.join(dir, 'dump.bin');
  try {
    fs.writeFileSync(file, dmiDump(entryPoint, table));
    const r = spawnSync('dmidecode', ['--from-dump', file], {
      encoding: 'latin1',
      timeout: 20_000,
      env: { ...process.env, PATH: `${process.env.PATH ?? ''}:/usr/sbin:/sbin`, LC_ALL: 'C' },
    });
    if (r.error) {
      const code = (r.error as NodeJS.ErrnoException).code;
      throw new Error(code === 'ENOENT' ? 'dmidecode is not installed (apt-get install dmidecode; `make test` does it)' : `dmidecode failed to run: ${r.error.message}`);
    }
    if (r.status !== 0) throw new Error(`dmidecode exited ${r.status}: ${r.stderr}`);
    return { text: r.stdout, structures: parseDmidecode(r.stdout) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const HANDLE = /^Handle 0x([0-9A-F]{4}), DMI type (\d+), (\d+) bytes$/;

export function parseDmidecode(text: string): DmiStructure[] {
  const out: DmiStructure[] = [];
  let cur: DmiStructure | null = null;
  let wantTitle = false;
  for (const line of text.split('\n')) {
    const h = HANDLE.exec(line);
    if (h) {
      cur = { handle: Number.parseInt(h[1] ?? '', 16), type: Number(h[2]), length: Number(h[3]), title: '', fields: [] };
      out.push(cur);
      wantTitle = true;
      continue;
    }
    if (!cur || line === '') continue;
    if (wantTitle) {
      cur.title = line;
      wantTitle = false;
      continue;
    }
    const depth = /^\t*/.exec(line)?.[0].length ?? 0;
    if (depth === 0) continue;
    const body = line.slice(depth);
    const colon = body.indexOf(': ');
    if (colon === -1) cur.fields.push({ key: body.endsWith(':') ? body.slice(0, -1) : body, value: '', depth });
    else cur.fields.push({ key: body.slice(0, colon), value: body.slice(colon + 2), depth });
  }
  return out;
}

/** Top-level "Key: value" of a structure, or undefined when dmidecode did not print it. */
export function field(s: DmiStructure, key: string): string | undefined {
  return s.fields.find((f) => f.depth === 1 && f.key === key)?.value;
}
