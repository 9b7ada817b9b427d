// The Wake-on-LAN channel: power-on only, and blind. The magic packet goes
// out as UDP to a broadcast address (directly, or through the local agent
// daemon with --relay-socket); nothing answers, so status() is UNSUPPORTED and
// the ladder reports the request as unverified. What proves the machine woke
// is its agent rejoining gossip, which is the healer's to watch.

import { cerr, cok, type ChannelDescription, type ChannelModule, type ChannelOptions, type ChannelResult, type Deadline, type Observed, type PowerAction, type PowerDriver } from '../types.ts';
import { buildMagic, parseMac, parseSecureOn } from './magic.ts';
import { MEMBER_NAME } from './relay-codec.ts';
import { relayMagic } from './relay.ts';
import { checkTarget, sendMagic, type WolTarget } from './send.ts';

export const DEFAULT_BROADCAST = '255.255.255.255';
/** The discard port; 7 (echo) is the other one in use. */
export const DEFAULT_PORT = 9;

export interface WolConfig {
  mac: Uint8Array;
  secureOn: Uint8Array | null;
  target: WolTarget;
  /** The daemon's control socket to relay through; null sends from this process. */
  relaySocket: string | null;
  /** With relaySocket: the dead member whose wake the daemon asks gossip peers for. */
  viaPeers: string | null;
}

export class WolDriver implements PowerDriver {
  constructor(private readonly cfg: WolConfig) {}

  describe(): ChannelDescription {
    const { target, relaySocket } = this.cfg;
    const dest = `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
    const via = this.cfg.viaPeers === null ? `${dest} via the daemon at ${relaySocket}` : `${this.cfg.viaPeers} via gossip peers of the daemon at ${relaySocket}`;
    return { channel: 'wol', target: relaySocket === null ? dest : via, actions: ['on'], verifiable: false };
  }

  async status(_d: Deadline): Promise<ChannelResult<Observed>> {
    return cerr('UNSUPPORTED', 'Wake-on-LAN cannot read the power state; only the node rejoining gossip shows it woke');
  }

  async request(action: PowerAction, d: Deadline): Promise<ChannelResult<void>> {
    if (action !== 'on') return cerr('UNSUPPORTED', `Wake-on-LAN can only power on, not ${action}`);
    const { mac, secureOn, target, relaySocket, viaPeers } = this.cfg;
    const sent = relaySocket === null ? await this.sendHere(d) : await relayMagic(relaySocket, { mac, secureOn, broadcast: target.host, port: target.port, peers: viaPeers }, d);
    return sent.ok ? cok(undefined) : sent;
  }

  private sendHere(d: Deadline): Promise<ChannelResult<number>> {
    const packet = buildMagic(this.cfg.mac, this.cfg.secureOn);
    if (!packet.ok) return Promise.resolve(cerr('CONFIG', packet.error.message));
    return sendMagic(this.cfg.target, packet.value, d);
  }

  async close(_d: Deadline): Promise<void> {
    // No session: every request is its own datagrams.
  }
}

export const wolChannel: ChannelModule = {
  name: 'wol',
  defaultPort: () => DEFAULT_PORT,
  open(opts: ChannelOptions) {
    const macText = opts.params?.mac;
    if (macText === undefined) return cerr('CONFIG', 'Wake-on-LAN needs --mac');
    const mac = parseMac(macText);
    if (!mac.ok) return cerr('CONFIG', mac.error.message);
    let secureOn: Uint8Array | null = null;
    const secret = opts.secrets?.['secureon-file'];
    if (secret !== undefined) {
      const s = parseSecureOn(secret.trim());
      if (!s.ok) return cerr('CONFIG', s.error.message);
      secureOn = s.value;
    }
    const target = checkTarget(opts.host ?? DEFAULT_BROADCAST, opts.port ?? DEFAULT_PORT);
    if (!target.ok) return target;
    const relay = opts.params?.['relay-socket'];
    if (relay !== undefined && relay.length === 0) return cerr('CONFIG', '--relay-socket needs a path');
    const viaPeers = opts.params?.['via-peers'] ?? null;
    if (viaPeers !== null) {
      if (relay === undefined) return cerr('CONFIG', '--via-peers asks the local daemon: give its --relay-socket');
      if (!MEMBER_NAME.test(viaPeers)) return cerr('CONFIG', '--via-peers wants a member name');
      if (secureOn !== null) return cerr('CONFIG', 'a SecureOn password is not sent to other members; drop --secureon-file or --via-peers');
    }
    return cok(new WolDriver({ mac: mac.value, secureOn, target: target.value, relaySocket: relay ?? null, viaPeers }));
  },
};
