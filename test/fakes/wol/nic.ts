// A FAKE sleeping NIC: a UDP listener on loopback standing in for a powered-off
// machine whose network card watches for its magic packet. It follows AMD's
// Magic Packet Technology white paper (publication 20213: six 0xFF bytes,
// then the card's address sixteen times, anywhere in a frame it receives) and
// the SecureOn extension as ether-wake sends it (4 or 6 password bytes after
// the sixteenth copy; a card with a password set ignores packets without the
// right one). Like a real card it answers nothing. Every datagram is logged
// with what the parser made of it, for assertions.

import dgram from 'node:dgram';
import { formatMac, parseMagic, type MagicPacket, type WolResult } from '../../../agent/channels/wol/magic.ts';
import { PowerMachine } from '../power-machine.ts';

export interface Received {
  at: number;
  from: string;
  bytes: Uint8Array;
  parsed: WolResult<MagicPacket>;
  /** This card's packet with the right password: the machine was told to power on. */
  woke: boolean;
}

export interface NicOptions {
  mac: string;
  /** The password set on the card, as bytes; null: none. */
  secureOn?: Uint8Array | null;
  host?: '127.0.0.1' | '::1';
  port?: number;
  delayMs?: number;
}

const same = (a: Uint8Array | null, b: Uint8Array | null): boolean => (a === null || b === null ? a === b : Buffer.from(a).equals(Buffer.from(b)));

export class FakeNic {
  readonly log: Received[] = [];
  readonly machine: PowerMachine;
  private waiters: (() => void)[] = [];

  private constructor(
    private readonly sock: dgram.Socket,
    readonly host: string,
    readonly port: number,
    private readonly opts: NicOptions,
  ) {
    this.machine = new PowerMachine('off', opts.delayMs ?? 0);
  }

  static start(opts: NicOptions): Promise<FakeNic> {
    const host = opts.host ?? '127.0.0.1';
    const sock = dgram.createSocket(host === '::1' ? 'udp6' : 'udp4');
    return new Promise((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(opts.port ?? 0, host, () => {
        sock.off('error', reject);
        const nic = new FakeNic(sock, host, sock.address().port, opts);
        sock.on('message', (b, rinfo) => nic.receive(new Uint8Array(b), `${rinfo.address}:${rinfo.port}`));
        resolve(nic);
      });
    });
  }

  private receive(bytes: Uint8Array, from: string): void {
    const parsed = parseMagic(bytes);
    const woke = parsed.ok && formatMac(parsed.value.mac) === this.opts.mac.toLowerCase() && same(parsed.value.secureOn, this.opts.secureOn ?? null);
    if (woke) this.machine.on();
    this.log.push({ at: performance.now(), from, bytes, parsed, woke });
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves true once `n` datagrams arrived, false after `ms` without them. */
  async waitFor(n: number, ms: number): Promise<boolean> {
    const end = performance.now() + ms;
    while (this.log.length < n) {
      const left = end - performance.now();
      if (left <= 0) return false;
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
    return true;
  }

  close(): Promise<void> {
    return new Promise((r) => this.sock.close(() => r()));
  }
}
