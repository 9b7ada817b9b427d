// The guest's first serial port. The harness listens on a unix socket and QEMU
// connects to it at startup, so nothing the guest prints is lost before a
// reader attaches, and a VM that ipmi_sim powers off and on again reconnects
// to the same console. Everything is appended to a log file and kept in memory
// (bounded) for `waitFor`.

import { createWriteStream, type WriteStream } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';

/** Output kept in memory; older output stays in the log file only. */
const KEEP_BYTES = 8 * 1024 * 1024;

export class SerialTimeout extends Error {
  override name = 'SerialTimeout';
}

interface Waiter {
  check: () => boolean;
}

export class SerialConsole {
  /** Serial output as latin1 text (one char per byte), from absolute offset `base`. */
  private text = '';
  private base = 0;
  private conn: Socket | null = null;
  private readonly waiters = new Set<Waiter>();
  private readonly log: WriteStream;
  private readonly listeners = new Set<(chunk: string) => void>();
  /** How many times QEMU connected (one per QEMU process). */
  connections = 0;

  private constructor(
    private readonly server: Server,
    readonly socketPath: string,
    readonly logPath: string,
  ) {
    this.log = createWriteStream(logPath, { flags: 'a' });
    server.on('connection', (s) => this.attach(s));
  }

  static async listen(socketPath: string, logPath: string): Promise<SerialConsole> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(socketPath, () => {
        server.removeListener('error', reject);
        resolve();
      });
    });
    return new SerialConsole(server, socketPath, logPath);
  }

  private attach(s: Socket): void {
    // A new QEMU (after a BMC power cycle) replaces the old connection.
    this.conn?.destroy();
    this.conn = s;
    this.connections++;
    s.on('data', (chunk: Buffer) => this.append(chunk.toString('latin1')));
    s.on('error', () => s.destroy());
    s.on('close', () => {
      if (this.conn === s) this.conn = null;
    });
  }

  private append(chunk: string): void {
    this.log.write(Buffer.from(chunk, 'latin1'));
    this.text += chunk;
    if (this.text.length > KEEP_BYTES) {
      const cut = this.text.length - KEEP_BYTES;
      this.text = this.text.slice(cut);
      this.base += cut;
    }
    for (const l of this.listeners) l(chunk);
    for (const w of this.waiters) w.check();
  }

  /** Absolute position of the end of the output so far; pass to `waitFor` to match only what comes after. */
  mark(): number {
    return this.base + this.text.length;
  }

  /** Output from `since` on (what is still in memory). */
  output(since = 0): string {
    return this.text.slice(Math.max(0, since - this.base));
  }

  subscribe(listener: (chunk: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  get connected(): boolean {
    return this.conn !== null;
  }

  /**
   * The first match of `pattern` in the output from `since` (default: the
   * beginning) on. Rejects after `timeoutMs` with the tail of the output.
   * Output arrives in chunks, so a pattern meant for a whole line should
   * include its end (`\r?\n`): `$` also matches where a chunk stops.
   */
  waitFor(pattern: RegExp, timeoutMs: number, since = 0): Promise<RegExpExecArray> {
    const re = new RegExp(pattern.source, pattern.flags.replace('g', ''));
    const find = (): RegExpExecArray | null => re.exec(this.output(since));
    const hit = find();
    if (hit) return Promise.resolve(hit);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        check: () => {
          const m = find();
          if (!m) return false;
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(m);
          return true;
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        const tail = this.output(since).slice(-600);
        reject(new SerialTimeout(`serial: no match for ${String(pattern)} within ${timeoutMs} ms; last output:\n${tail}`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** Types into the guest's console (a debug shell reads it as keyboard input). */
  send(text: string): void {
    if (!this.conn) throw new Error('serial: no QEMU is connected');
    this.conn.write(Buffer.from(text, 'latin1'));
  }

  async close(): Promise<void> {
    this.conn?.destroy();
    for (const w of this.waiters) this.waiters.delete(w);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await new Promise<void>((resolve) => this.log.end(() => resolve()));
  }
}
