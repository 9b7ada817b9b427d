// A simulated Intel ME, seen from the host side of the MEI bus. It is NOT an
// emulator (none exists): it is written from the published message layouts
// (shared/reference/amt-me.md and the sources it cites: intel/lms MEIClient,
// rpc-go pkg/pthi and pkg/heci, MeshCentral amt-mei.js, Linux mei uapi) and
// behaves as /dev/mei* does for the agent: connect by client GUID, whole
// messages each way, at most max_msg_length bytes per message.
//
// Public API (kept small; other tests build on it):
//   new SimulatedMe({ clients, state?, name? })   implements MeiBus
//   me.state                                       the AmtState every client shares
//   me.inject(guid, fault)                         arm a fault on that client (see SimFault)
//   me.clearFaults(guid?)
//   me.openConnections(guid)                       connections still open (tests assert 0 after a failure)
//   me.connectCount(guid)                          connects that succeeded, for asserting retries/reuse
//   defaultAmtState(over?)                         AMT 16.1 Corporate, pre-provisioning
//
// Kernel behaviours it mirrors: a single-connection client that is already
// connected refuses a second connect (EBUSY -> BUSY); a write longer than
// max_msg_length fails (-EFBIG -> PROTOCOL); an unknown GUID is ENOTTY
// (-> NO_CLIENT); a connection the firmware drops fails the next read (RESET).

import { createHash } from 'node:crypto';
import type { Deadline } from '../../../agent/channels/types.ts';
import { remainingMs } from '../../../agent/channels/types.ts';
import { merr, mok, type MeiBus, type MeiConnection, type MeiResult } from '../../../agent/mei/types.ts';
import { MKHI_GUID } from './mkhi.ts';
import { PTHI_GUID } from './pthi.ts';
import type { AmtState, SimClientSession, SimClientSpec, SimPeer } from './types.ts';
import { WATCHDOG_GUID } from './watchdog.ts';

/**
 * Faults a test arms per client. One-shot faults apply to the next reply (or connect);
 * `no-answer` stays until cleared.
 *  - drop-reply:    the next reply is lost (the host times out; the firmware did act).
 *  - wrong-length:  the next reply loses its last byte (one byte is added to a 1-byte reply).
 *  - wrong-command: the next reply has its command code changed (byte at the client's command offset XOR 0x01).
 *  - no-answer:     nothing is answered from now on (requests are still acted on).
 *  - reset:         the firmware drops the connection instead of handling the next request.
 *  - busy:          the next `count` connects fail with BUSY, as EBUSY from the kernel.
 */
export type SimFault =
  | { kind: 'drop-reply' }
  | { kind: 'wrong-length' }
  | { kind: 'wrong-command' }
  | { kind: 'no-answer' }
  | { kind: 'reset' }
  | { kind: 'busy'; count: number };

/** Where each known client's command code sits in a reply (PTHI u32 at 4, MKHI group/cmd byte 1, WD byte 0). */
const COMMAND_OFFSET: ReadonlyMap<string, number> = new Map([
  [PTHI_GUID, 4],
  [MKHI_GUID, 1],
  [WATCHDOG_GUID, 0],
]);

interface FaultState {
  dropReply: boolean;
  wrongLength: boolean;
  wrongCommand: boolean;
  noAnswer: boolean;
  reset: boolean;
  busy: number;
}
const noFaults = (): FaultState => ({ dropReply: false, wrongLength: false, wrongCommand: false, noAnswer: false, reset: false, busy: 0 });

export interface SimulatedMeOptions {
  clients: SimClientSpec[];
  state?: Partial<AmtState>;
  name?: string;
}

export class SimulatedMe implements MeiBus {
  readonly state: AmtState;
  private readonly clients = new Map<string, SimClientSpec>();
  private readonly faults = new Map<string, FaultState>();
  private readonly open = new Map<string, Set<SimConnection>>();
  private readonly connects = new Map<string, number>();
  private readonly name: string;

  constructor(opts: SimulatedMeOptions) {
    this.state = defaultAmtState(opts.state);
    for (const c of opts.clients) this.clients.set(c.guid.toLowerCase(), c);
    this.name = opts.name ?? `simulated ME ${this.state.amtVersion}`;
  }

  describe(): string {
    return this.name;
  }

  inject(guid: string, fault: SimFault): void {
    const f = this.faultsOf(guid.toLowerCase());
    switch (fault.kind) {
      case 'drop-reply': f.dropReply = true; break;
      case 'wrong-length': f.wrongLength = true; break;
      case 'wrong-command': f.wrongCommand = true; break;
      case 'no-answer': f.noAnswer = true; break;
      case 'reset': f.reset = true; break;
      case 'busy': f.busy += fault.count; break;
    }
  }

  clearFaults(guid?: string): void {
    if (guid === undefined) this.faults.clear();
    else this.faults.delete(guid.toLowerCase());
  }

  openConnections(guid: string): number {
    return this.open.get(guid.toLowerCase())?.size ?? 0;
  }

  connectCount(guid: string): number {
    return this.connects.get(guid.toLowerCase()) ?? 0;
  }

  async connect(guid: string, _d: Deadline): Promise<MeiResult<MeiConnection>> {
    const key = guid.toLowerCase();
    const spec = this.clients.get(key);
    if (!spec) return merr('NO_CLIENT', `${this.name}: no firmware client ${key}`);
    const f = this.faultsOf(key);
    if (f.busy > 0) {
      f.busy--;
      return merr('BUSY', `${this.name}: client ${key} is busy (injected)`);
    }
    const live = this.open.get(key) ?? new Set<SimConnection>();
    this.open.set(key, live);
    if (spec.singleConnection && live.size > 0) return merr('BUSY', `${this.name}: client ${key} already has a connection`);
    const conn = new SimConnection(spec, f, COMMAND_OFFSET.get(key) ?? 0, () => live.delete(conn));
    live.add(conn);
    conn.start(this.state);
    this.connects.set(key, (this.connects.get(key) ?? 0) + 1);
    return mok(conn);
  }

  private faultsOf(key: string): FaultState {
    let f = this.faults.get(key);
    if (!f) {
      f = noFaults();
      this.faults.set(key, f);
    }
    return f;
  }
}

class SimConnection implements MeiConnection {
  readonly maxMessageLength: number;
  readonly protocolVersion: number;
  private session: SimClientSession | null = null;
  private readonly inbox: Uint8Array[] = [];
  private readonly waiters = new Set<() => void>();
  private closed = false;

  constructor(
    private readonly spec: SimClientSpec,
    private readonly faults: FaultState,
    private readonly commandOffset: number,
    private readonly onGone: () => void,
  ) {
    this.maxMessageLength = spec.maxMessageLength;
    this.protocolVersion = spec.protocolVersion;
  }

  start(state: AmtState): void {
    const peer: SimPeer = {
      push: (m) => this.fromFirmware(m),
      close: () => this.close(),
    };
    this.session = this.spec.create(peer, state);
  }

  async send(message: Uint8Array, _d: Deadline): Promise<MeiResult<void>> {
    if (this.closed) return merr('RESET', 'simulated ME: connection closed');
    if (message.length > this.maxMessageLength) {
      return merr('PROTOCOL', `simulated ME: message of ${message.length} bytes exceeds max_msg_length ${this.maxMessageLength} (EFBIG)`);
    }
    if (this.faults.reset) {
      this.faults.reset = false;
      this.close();
      return mok(undefined);
    }
    // The firmware sees the bytes after the write returns, as over the real bus.
    const copy = Uint8Array.from(message);
    queueMicrotask(() => {
      if (!this.closed) this.session?.onMessage(copy);
    });
    return mok(undefined);
  }

  receive(d: Deadline): Promise<MeiResult<Uint8Array>> {
    return new Promise((resolve) => {
      const settle = (): boolean => {
        const next = this.inbox.shift();
        if (next) {
          resolve(mok(next));
          return true;
        }
        if (this.closed) {
          resolve(merr('RESET', 'simulated ME: the firmware closed the connection'));
          return true;
        }
        return false;
      };
      if (settle()) return;
      const wake = (): void => {
        if (settle()) {
          clearTimeout(timer);
          this.waiters.delete(wake);
        }
      };
      const timer = setTimeout(() => {
        this.waiters.delete(wake);
        resolve(merr('TIMEOUT', 'simulated ME: no answer before the deadline'));
      }, remainingMs(d));
      this.waiters.add(wake);
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onGone();
    this.session?.onClose?.();
    for (const w of [...this.waiters]) w();
  }

  private fromFirmware(message: Uint8Array): void {
    if (this.closed) return;
    const f = this.faults;
    if (f.noAnswer) return;
    if (f.dropReply) {
      f.dropReply = false;
      return;
    }
    let out = Uint8Array.from(message);
    if (f.wrongLength) {
      f.wrongLength = false;
      out = out.length > 1 ? out.subarray(0, out.length - 1) : Uint8Array.of(...out, 0);
    }
    if (f.wrongCommand) {
      f.wrongCommand = false;
      if (out.length > this.commandOffset) out[this.commandOffset] = (out[this.commandOffset] as number) ^ 0x01;
    }
    this.inbox.push(out);
    for (const w of [...this.waiters]) w();
  }
}

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));

/**
 * A believable Intel AMT 16.1 machine (a Corporate vPro desktop: wired LAN only),
 * pre-provisioning, AMT enabled in the BIOS. Override any field; the journal starts empty.
 */
export function defaultAmtState(over: Partial<AmtState> = {}): AmtState {
  const base: AmtState = {
    amtVersion: '16.1.25',
    buildNumber: '2124',
    sku: 16392,
    meVersion: { major: 16, minor: 1, hotfix: 25, build: 2124 },
    // GetUUID answers the SMBIOS system UUID bytes: first three groups little-endian.
    uuid: hex('78563412bc9af0de0123456789abcdef'),
    provisioningState: 0,
    controlMode: 0,
    digestRealm: 'Digest:A3829B3827DE4D33D4449B366831FD01',
    adminDigest: null,
    dnsSuffix: '',
    tlsEnforcedOnLocalPorts: false,
    amtEnabled: true,
    redirection: { sol: false, ider: false, kvm: false, listenerEnabled: false },
    lan: {
      wired: { enabled: true, ipv4: 0xc0a80125, dhcp: true, dhcpMode: 2, link: true, mac: hex('a4bb6d0102ab') },
      wireless: null,
    },
    certHashes: [
      {
        name: 'VeriSign Class 3 Primary CA-G5',
        algorithm: 2,
        hash: hex('9acfab7e43c8d880d06b262a94deeee4b4659989c3d0caf19baf6405e41ab7df'),
        isDefault: true,
        isActive: true,
      },
      {
        name: 'Go Daddy Class 2 CA',
        algorithm: 2,
        hash: hex('c3846bf24b9e93ca64274c0ec67c1ecc5e024ffcacd2d74019350e81fe546ae4'),
        isDefault: true,
        isActive: true,
      },
      {
        // A made-up entry with algorithm 3, so the SHA384/SHA512 ambiguity is exercised.
        name: 'Simulated SHA384 Root',
        algorithm: 3,
        hash: Uint8Array.from(createHash('sha384').update('Simulated SHA384 Root').digest()),
        isDefault: false,
        isActive: true,
      },
    ],
    localSystemAccount: { user: '$$OsAdmin', password: 'sim-LSA-pw-0f3c9e1a7b2d4c6e' },
    remoteAccess: { network: 0, remote: 0, trigger: 0, mpsHostname: '' },
    journal: [],
  };
  return { ...base, ...over };
}
