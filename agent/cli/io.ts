// What a command may touch of the outside world: its output streams and its
// environment. Passed in, so tests run commands in-process.
import { writeSync } from 'node:fs';

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  env: NodeJS.ProcessEnv;
  stderrIsTTY: boolean;
}

/**
 * Straight to the descriptor while that works: touching process.stdout builds a
 * stream (node:stream and a dozen internal modules, milliseconds of a one-shot
 * command). A descriptor that is non-blocking and full (EAGAIN), or a write once we
 * fell back, goes through the stream so output keeps its order.
 */
function writer(fd: 1 | 2, stream: () => NodeJS.WriteStream): (s: string) => void {
  let viaStream = false;
  return (s) => {
    if (!viaStream) {
      const bytes = Buffer.from(s, 'utf8');
      let off = 0;
      try {
        while (off < bytes.length) off += writeSync(fd, bytes, off);
        return;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'EAGAIN') {
          if (code === 'EPIPE') return; // the reader went away, as `agent report | head` does
          throw e;
        }
        viaStream = true;
        stream().write(bytes.subarray(off));
        return;
      }
    }
    stream().write(s);
  };
}

export const processIo = (): Io => ({
  out: writer(1, () => process.stdout),
  err: writer(2, () => process.stderr),
  env: process.env,
  // A getter: process.stderr is a stream too, built only by the commands that log.
  get stderrIsTTY() {
    return Boolean(process.stderr.isTTY);
  },
});
