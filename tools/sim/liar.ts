// A liar: a member in good standing (its own SwimNode keeps probing and
// acking, so nobody has a reason to distrust it) whose driver also tells every
// member, once a second, that a healthy victim is suspect and dead. It signs
// only with its own key; the deaths carry as evidence its own suspicion, the
// same suspicion twice, and a suspicion it claims another member authored.
// A core that holds to its death quorum refuses all of them.
import { encodePacket, signUpdate, type Msg, type Signed } from '../../agent/gossip/wire.ts';
import type { Cluster } from './cluster.ts';

export interface LiarStats {
  rounds: number;
  packets: number;
}

export class Liar {
  readonly stats: LiarStats = { rounds: 0, packets: 0 };
  private readonly cluster: Cluster;
  private readonly liar: number;
  private readonly victim: number;
  private readonly maxPacketBytes: number;

  constructor(cluster: Cluster, liar: number, victim: number, maxPacketBytes: number) {
    this.cluster = cluster;
    this.liar = liar;
    this.victim = victim;
    this.maxPacketBytes = maxPacketBytes;
  }

  /** Lies once a second from `from` until `until`. */
  run(from: number, until: number, everyMs = 1000): void {
    for (let t = from; t < until; t += everyMs) this.cluster.at(t, () => this.round());
  }

  private round(): void {
    const c = this.cluster;
    const core = c.core(this.liar);
    const trust = c.trust(this.liar);
    if (core === null || trust === null) return;
    const now = c.now();
    const me = c.name(this.liar);
    const subject = c.name(this.victim);
    const members = core.members().filter((m) => !m.self && (m.state === 'alive' || m.state === 'suspect'));
    const held = members.find((m) => m.name === subject);
    // Lie about the incarnation the liar itself holds, so the lie is never merely stale.
    const incarnation = held?.incarnation ?? 0;
    // The forged accuser changes every round, so each member in turn receives a suspicion "by itself".
    const others = members.filter((m) => m.name !== subject);
    const bystander = others.length > 0 ? (others[this.stats.rounds % others.length] as (typeof others)[number]).name : subject;
    const own = signUpdate({ type: 'suspect', author: me, subject, incarnation, time: now }, trust);
    const forged = signUpdate({ type: 'suspect', author: bystander, subject, incarnation, time: now }, trust);
    const dead = (evidence: Signed[]): Msg => ({ type: 'update', update: signUpdate({ type: 'dead', author: me, subject, incarnation, time: now, evidence }, trust) });
    const msgs: Msg[] = [{ type: 'update', update: own }, dead([own]), dead([own, own]), dead([own, forged])];
    const packets = this.pack(me, now, msgs);
    this.stats.rounds++;
    for (const m of members) {
      for (const p of packets) {
        c.sendRaw(this.liar, m.addr, p);
        this.stats.packets++;
      }
    }
  }

  /** The lies, as few datagrams as fit under the packet size limit. */
  private pack(sender: string, now: number, msgs: Msg[]): Uint8Array[] {
    const trust = this.cluster.trust(this.liar);
    if (trust === null) return [];
    const out: Uint8Array[] = [];
    let batch: Msg[] = [];
    for (const m of msgs) {
      const tryBatch = [...batch, m];
      const bytes = encodePacket({ sender, sentAt: now, msgs: tryBatch }, trust);
      if (bytes.length <= this.maxPacketBytes || batch.length === 0) {
        batch = tryBatch;
        continue;
      }
      out.push(encodePacket({ sender, sentAt: now, msgs: batch }, trust));
      batch = [m];
    }
    if (batch.length > 0) out.push(encodePacket({ sender, sentAt: now, msgs: batch }, trust));
    return out;
  }
}
