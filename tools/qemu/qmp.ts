// QMP client: drives one QEMU monitor connection over its unix socket. The
// wire format is in qmp-protocol.ts; this owns the socket, matches replies to
// commands by id, keeps the events it has seen, and bounds every wait.

import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { within } from './within.ts';
import { encodeCommand, LineSplitter, parseQmpLine, type QmpEvent } from './qmp-protocol.ts';

export type { QmpEvent } from './qmp-protocol.ts';

export class QmpError extends Error {
  override name = 'QmpError';
  constructor(
    message: string,
    /** QEMU's error class ("GenericError", "CommandNotFound"), or "Timeout" / "Closed" for our own failures. */
    readonly errorClass: string,
  ) {
    super(message);
  }
}

/** query-status: "running", "paused", "shutdown", "inmigrate", "prelaunch", "guest-panicked", ... */
export interface QmpStatus {
  status: string;
  running: boolean;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

interface EventWaiter {
  match: (e: QmpEvent) => boolean;
  resolve: (e: QmpEvent) => void;
}

/** Events kept for `waitFor(..., since)`; older ones fall off (a VM under test emits a handful). */
const EVENT_HISTORY = 4096;
const DEFAULT_TIMEOUT_MS = 10_000;

export class QmpClient {
  /** QEMU's version from the greeting, "7.2.22". */
  version = 'unknown';
  private readonly splitter = new LineSplitter();
  private readonly pending = new Map<string, Pending>();
  private readonly waiters = new Set<EventWaiter>();
  private readonly history: QmpEvent[] = [];
  /** How many events fell off the front of `history`. */
  private dropped = 0;
  private nextId = 1;
  private greeting: ((v: string) => void) | null = null;
  private closedWith: Error | null = null;
  private readonly listeners = new Set<(e: QmpEvent) => void>();
  /** Lines QEMU sent that were not QMP; kept for diagnostics. */
  readonly garbage: string[] = [];
  readonly closed: Promise<void>;

  private constructor(private readonly socket: Socket) {
    let onClosed: () => void = () => undefined;
    this.closed = new Promise((r) => {
      onClosed = r;
    });
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.shutdown(new QmpError(`QMP socket: ${err.message}`, 'Closed')));
    socket.on('close', () => {
      this.shutdown(new QmpError('QMP connection closed', 'Closed'));
      onClosed();
    });
  }

  /**
   * Connects to QEMU's QMP socket, retrying while it does not exist yet or
   * refuses (QEMU creates it during startup), reads the greeting and leaves
   * capabilities negotiation mode.
   */
  static async connect(path: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<QmpClient> {
    const deadline = Date.now() + timeoutMs;
    let lastError = 'not tried';
    while (Date.now() < deadline) {
      const socket = await new Promise<Socket | string>((resolve) => {
        const s = connect(path);
        s.once('connect', () => {
          s.removeAllListeners('error');
          resolve(s);
        });
        s.once('error', (err) => resolve(err.message));
      });
      if (typeof socket !== 'string') {
        const client = new QmpClient(socket);
        try {
          await client.handshake(Math.max(1, deadline - Date.now()));
          return client;
        } catch (err) {
          client.close();
          throw err;
        }
      }
      lastError = socket;
      await sleep(50);
    }
    throw new QmpError(`QMP: could not connect to ${path} within ${timeoutMs} ms (${lastError})`, 'Timeout');
  }

  private async handshake(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      this.version = await new Promise<string>((resolve, reject) => {
        this.greeting = resolve;
        timer = setTimeout(() => reject(new QmpError(`QMP: no greeting within ${timeoutMs} ms`, 'Timeout')), timeoutMs);
        this.closed.then(() => reject(this.closedWith ?? new QmpError('QMP connection closed', 'Closed')));
      });
    } finally {
      clearTimeout(timer);
      this.greeting = null;
    }
    await this.execute('qmp_capabilities', undefined, timeoutMs);
  }

  private onData(chunk: Buffer): void {
    const { lines, overflow } = this.splitter.push(chunk);
    if (overflow) this.garbage.push('(a line longer than the QMP limit was dropped)');
    for (const line of lines) {
      if (line.trim() === '') continue;
      const m = parseQmpLine(line);
      if (!m.ok) {
        this.garbage.push(line.slice(0, 200));
        continue;
      }
      const msg = m.value;
      if (msg.kind === 'greeting') this.greeting?.(msg.version);
      else if (msg.kind === 'event') this.onEvent(msg.event);
      else {
        const p = msg.id === null ? undefined : this.pending.get(msg.id);
        if (!p || msg.id === null) continue;
        this.pending.delete(msg.id);
        clearTimeout(p.timer);
        if (msg.kind === 'return') p.resolve(msg.value);
        else p.reject(new QmpError(`QMP: ${msg.errorClass}: ${msg.desc}`, msg.errorClass));
      }
    }
  }

  private onEvent(e: QmpEvent): void {
    this.history.push(e);
    if (this.history.length > EVENT_HISTORY) {
      this.history.shift();
      this.dropped++;
    }
    for (const l of this.listeners) l(e);
    for (const w of this.waiters) if (w.match(e)) w.resolve(e);
  }

  private shutdown(err: Error): void {
    if (this.closedWith) return;
    this.closedWith = err;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(err);
    }
    this.pending.clear();
  }

  /** Runs a command; rejects with QmpError on an error reply, on timeout, or when the connection goes. */
  execute<T = unknown>(command: string, args?: Record<string, unknown>, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<T> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const id = `fortros-${this.nextId++}`;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new QmpError(`QMP: ${command} got no reply within ${timeoutMs} ms`, 'Timeout'));
      }, timeoutMs);
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.socket.write(encodeCommand(id, command, args));
    });
  }

  /** Position in the event stream; pass it to `waitFor` to also accept events that arrive before the wait starts. */
  mark(): number {
    return this.dropped + this.history.length;
  }

  /** Events seen since `since` (a `mark()`), oldest first. */
  eventsSince(since = 0): QmpEvent[] {
    return this.history.slice(Math.max(0, since - this.dropped));
  }

  subscribe(listener: (e: QmpEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * The first event named `name` (and accepted by `predicate`) at or after
   * position `since` (default: from now on). Rejects after `timeoutMs`, or when
   * the connection closes first, naming the events it did see.
   */
  waitFor(name: string, predicate: (e: QmpEvent) => boolean = () => true, timeoutMs = DEFAULT_TIMEOUT_MS, since = this.mark()): Promise<QmpEvent> {
    const match = (e: QmpEvent): boolean => e.event === name && predicate(e);
    const already = this.eventsSince(since).find(match);
    if (already) return Promise.resolve(already);
    return new Promise<QmpEvent>((resolve, reject) => {
      const seen = (): string => this.eventsSince(since).map((e) => e.event).join(', ') || 'none';
      const done = (): void => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
      };
      const waiter: EventWaiter = {
        match,
        resolve: (e) => {
          done();
          resolve(e);
        },
      };
      const timer = setTimeout(() => {
        done();
        reject(new QmpError(`QMP: no ${name} event within ${timeoutMs} ms (saw: ${seen()})`, 'Timeout'));
      }, timeoutMs);
      this.waiters.add(waiter);
      // A VM that exits emits its last events before the socket closes, so those were matched above.
      this.closed.then(() => {
        if (!this.waiters.has(waiter)) return;
        done();
        reject(new QmpError(`QMP: connection closed before a ${name} event (saw: ${seen()})`, 'Closed'));
      });
    });
  }

  async status(timeoutMs?: number): Promise<QmpStatus> {
    const r = await this.execute<{ status?: unknown; running?: unknown }>('query-status', undefined, timeoutMs);
    return { status: typeof r.status === 'string' ? r.status : 'unknown', running: r.running === true };
  }

  /** Pauses the guest CPUs (QEMU emits STOP). */
  async pause(timeoutMs?: number): Promise<void> {
    await this.execute('stop', undefined, timeoutMs);
  }

  /** Resumes the guest CPUs (QEMU emits RESUME). */
  async resume(timeoutMs?: number): Promise<void> {
    await this.execute('cont', undefined, timeoutMs);
  }

  /** Asks QEMU to exit; it replies, emits SHUTDOWN and closes the connection. */
  async quit(timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
    await this.execute('quit', undefined, timeoutMs);
    await within(this.closed, timeoutMs);
  }

  close(): void {
    this.socket.destroy();
  }

  get isClosed(): boolean {
    return this.closedWith !== null;
  }
}
