// The "newc" cpio format the kernel unpacks as an initramfs
// (Documentation/driver-api/early-userspace/buffer-format.rst): per entry a
// 110-byte ASCII header of 13 hex fields, the NUL-terminated name padded to 4
// bytes, the data padded to 4 bytes; "TRAILER!!!" ends the archive. Pure.

export type CpioEntry =
  | { kind: 'dir'; path: string; mode?: number }
  | { kind: 'file'; path: string; data: Uint8Array; mode?: number }
  | { kind: 'symlink'; path: string; target: string };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;

const pad4 = (n: number): number => (4 - (n % 4)) % 4;
const hex8 = (n: number): string => n.toString(16).padStart(8, '0');

function record(ino: number, mode: number, name: string, data: Uint8Array): Buffer {
  const nameBytes = Buffer.from(`${name}\0`, 'utf8');
  const fields = [ino, mode, 0, 0, 1, 0, data.length, 0, 0, 0, 0, nameBytes.length, 0];
  const header = Buffer.from(`070701${fields.map(hex8).join('')}`, 'latin1');
  return Buffer.concat([
    header,
    nameBytes,
    Buffer.alloc(pad4(header.length + nameBytes.length)),
    Buffer.from(data),
    Buffer.alloc(pad4(data.length)),
  ]);
}

/** An archive of the entries in order (parents before children), paths without a leading slash. */
export function newcArchive(entries: readonly CpioEntry[]): Buffer {
  const parts = entries.map((e, i) => {
    const path = e.path.replace(/^\/+/, '');
    if (path === '' || path.split('/').includes('..')) throw new Error(`cpio: bad path "${e.path}"`);
    switch (e.kind) {
      case 'dir':
        return record(i + 1, S_IFDIR | (e.mode ?? 0o755), path, new Uint8Array());
      case 'file':
        return record(i + 1, S_IFREG | (e.mode ?? 0o644), path, e.data);
      case 'symlink':
        return record(i + 1, S_IFLNK | 0o777, path, Buffer.from(e.target, 'utf8'));
    }
  });
  return Buffer.concat([...parts, record(0, 0, 'TRAILER!!!', new Uint8Array())]);
}
