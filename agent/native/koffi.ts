// koffi, the FFI the agent uses for the few syscalls Node does not expose
// (ioctl, unix datagram sockets). In the single binary its native module is a
// SEA asset: written to a private directory, dlopen'ed, unlinked at once, so
// nothing is left on disk and no other user can swap the file in between.
// From the sources (tests, tsx) it is the npm package itself.

import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';

export type Koffi = typeof import('koffi');

/** The SEA asset key; tools/build/sea.mjs stores the module under this name. */
export const KOFFI_ASSET = 'koffi.node';

export class NativeUnavailableError extends Error {
  readonly code = 'E_NATIVE_UNAVAILABLE';
  constructor(message: string) {
    super(message);
    this.name = 'NativeUnavailableError';
  }
}

let cached: Koffi | undefined;

/** Loads koffi once; throws NativeUnavailableError when it cannot be loaded here. */
export function koffi(): Koffi {
  if (cached) return cached;
  const req = createRequire(typeof __filename === 'string' ? __filename : import.meta.url);
  try {
    const sea = req('node:sea') as { isSea(): boolean; getRawAsset(key: string): ArrayBuffer };
    cached = sea.isSea() ? fromSea(sea.getRawAsset(KOFFI_ASSET)) : (req('koffi') as Koffi);
  } catch (e) {
    if (e instanceof NativeUnavailableError) throw e;
    throw new NativeUnavailableError(`cannot load the FFI module: ${(e as Error).message}`);
  }
  return cached;
}

function fromSea(module: ArrayBuffer): Koffi {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fortros-agent-'));
  const file = path.join(dir, KOFFI_ASSET);
  try {
    fs.writeFileSync(file, new Uint8Array(module), { mode: 0o500, flag: 'wx' });
    const holder: { exports: Koffi } = { exports: {} as Koffi };
    process.dlopen(holder, file);
    return holder.exports;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
