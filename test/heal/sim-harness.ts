// N decision cores on tools/sim's Cluster, each beside the unchanged SwimNode
// of its simulated node. The cluster's observer hands every member event to
// the node's core; what the heal loop itself sends (confirmations, leases) goes
// through the simulated Network, so partitions and loss apply to it as to
// gossip. Stand-ins, said here so no figure is taken for more than it is:
// - a confirmation is "node i's gossip core marked X dead" (the daemon will
//   feed the authors of the verified suspect/dead updates instead);
// - leases travel as objects: signing and verifying them is lease.test.ts's;
// - attestation is not simulated, so peers count as eligible unattested;
// - the ladder is a delay, after which the actor's power cycle kills X (hung or
//   merely partitioned) and starts it again at a higher incarnation;
// - the self-check pings the peers the core names over the simulated network;
//   the gateway always answers;
// - each node's stable membership survives its reboots, as state.dir would keep it.
import type { MemberEvent, MemberView } from '../../agent/gossip/types.ts';
import { DecisionCore } from '../../agent/heal/decision.ts';
import type { AuditEntry, Fencing, HealEvent, HealOutput, Lease } from '../../agent/heal/types.ts';
import { Cluster, simAddr, type ClusterObserver } from '../../tools/sim/cluster.ts';
import { Liar } from '../../tools/sim/liar.ts';
import { Network, DEFAULT_NETWORK, type NetworkConfig } from '../../tools/sim/network.ts';
import { Rng } from '../../tools/sim/prng.ts';
import { SIM_EPOCH } from '../../tools/sim/scheduler.ts';
import { swimFactory } from '../../tools/sim/swim-core.ts';
import { SimRegistry } from '../../tools/sim/trust.ts';
import { config } from './helpers.ts';

export interface HealSimOptions {
  nodes: number;
  seed: number;
  network?: Partial<NetworkConfig>;
  fencing?: Partial<Fencing>;
  backoffDelaysMs?: number[];
  maxAttempts?: number;
  /** How long the ladder takes before the subject is power-cycled. */
  actionMs?: number;
  /** After the power-cycle, how long the subject takes to boot and rejoin. */
  bootMs?: number;
}

export interface Act {
  node: number;
  subject: string;
  incarnation: number;
  at: number;
}

const isMember = (m: MemberView): boolean => !m.self;

export class HealSim {
  readonly cluster: Cluster;
  readonly net: Network;
  readonly acts: Act[] = [];
  /** Power cycles carried out: the subject's index and when. */
  readonly cycled: { node: number; at: number }[] = [];
  readonly giveUps: { node: number; subject: string; why: string }[] = [];
  readonly audits: { node: number; entry: AuditEntry }[] = [];
  readonly t0: number;
  private readonly heal: (DecisionCore | null)[] = [];
  /** Nodes whose heal loop is silent (hung or cut off from acting), though their gossip runs. */
  readonly silent = new Set<number>();
  /** Each node's stable membership as its state.dir would hold it across a reboot. */
  private readonly persisted = new Map<number, string[]>();
  private readonly opts: Required<Omit<HealSimOptions, 'network' | 'fencing'>> & { fencing: Fencing };

  constructor(o: HealSimOptions) {
    const fencing: Fencing = { quorum: 'majority', confirmations: 2, actorDelayS: 10, channels: [], unattestedPeers: true, ...o.fencing };
    this.opts = { backoffDelaysMs: [0, 60_000, 300_000], maxAttempts: 3, actionMs: 3_000, bootMs: 5_000, ...o, fencing };
    const root = new Rng(o.seed);
    this.net = new Network({ ...DEFAULT_NETWORK, ...o.network }, root.fork(1));
    const self = this;
    const observer: ClusterObserver = {
      event: (i, e, now) => self.onMemberEvent(i, e, now),
      rejection: () => {},
      started: (i) => self.bootHeal(i),
      killed: (i) => {
        self.heal[i] = null;
      },
      packetSent: () => {},
      packetReceived: () => {},
      frameSent: () => {},
      frameReceived: () => {},
    };
    this.cluster = new Cluster({ start: SIM_EPOCH, net: this.net, factory: swimFactory(), registry: new SimRegistry(root.fork(2)), observer, rng: root.fork(3) });
    const seeds = [simAddr(0)];
    for (let i = 0; i < o.nodes; i++) this.cluster.add(seeds);
    this.t0 = this.cluster.now();
    for (let i = 0; i < o.nodes; i++) this.cluster.start(i, 1);
    this.every(500, () => {
      for (let i = 0; i < this.cluster.size; i++) this.feed(i, { type: 'view', members: this.view(i) });
    });
  }

  name(i: number): string {
    return this.cluster.name(i);
  }

  /** Runs the clock `ms` further. */
  run(ms: number): void {
    this.cluster.runUntil(this.cluster.now() + ms);
  }

  kill(i: number): void {
    this.cluster.kill(i);
  }

  /** A partition of node indices into sides, from now for `ms`. */
  partition(side: (i: number) => number, ms: number): void {
    const now = this.cluster.now();
    this.net.addPartition({ side, from: now, until: now + ms });
  }

  /** A liar: tells every member, every second, that `victim` is dead, in gossip (tools/sim/liar.ts) and to the heal loop. */
  lie(liar: number, victim: number, forMs: number): void {
    const start = this.cluster.now();
    new Liar(this.cluster, liar, victim, 1400).run(start, start + forMs);
    for (let t = start; t < start + forMs; t += 1000) {
      this.cluster.at(t, () => {
        const inc = this.cluster.core(liar)?.members().find((m) => m.name === this.name(victim))?.incarnation ?? 1;
        this.broadcast(liar, { type: 'confirmed-dead', subject: this.name(victim), incarnation: inc, by: this.name(liar) });
      });
    }
  }

  private every(ms: number, run: () => void): void {
    const loop = (): void => {
      run();
      this.cluster.at(this.cluster.now() + ms, loop);
    };
    this.cluster.at(this.cluster.now() + ms, loop);
  }

  private view(i: number): MemberView[] {
    const c = this.cluster.core(i);
    if (c === null) return [];
    return [...c.members().filter(isMember), c.self()];
  }

  private bootHeal(i: number): void {
    const name = this.name(i);
    const persisted = this.persisted.get(i);
    this.heal[i] = new DecisionCore(
      config(name, {
        fencing: this.opts.fencing,
        backoff: { delaysMs: this.opts.backoffDelaysMs, maxAttempts: this.opts.maxAttempts, resetAfterMs: 3_600_000 },
        ...(persisted ? { restore: { members: persisted, now: this.cluster.now() } } : {}),
      }),
    );
  }

  private onMemberEvent(i: number, e: MemberEvent, _now: number): void {
    if (e.name === this.name(i)) return;
    this.feed(i, { type: 'view', members: this.view(i) });
    if (e.to === 'dead') this.broadcast(i, { type: 'confirmed-dead', subject: e.name, incarnation: e.incarnation, by: this.name(i) });
    if (e.to === 'alive') this.feed(i, { type: 'alive', subject: e.name, incarnation: e.incarnation });
  }

  /** To itself at once, to every other node over the simulated network (loss and partitions apply). */
  private broadcast(from: number, ev: HealEvent): void {
    this.feed(from, ev);
    for (let to = 0; to < this.cluster.size; to++) {
      if (to === from) continue;
      const at = this.net.packet(from, to, this.cluster.now());
      if (at !== null) this.cluster.at(at, () => this.feed(to, ev));
    }
  }

  private feed(i: number, ev: HealEvent): void {
    const core = this.heal[i];
    if (!core || this.silent.has(i)) return;
    const out = [...core.handle({ type: 'tick', now: this.cluster.now() }), ...core.handle(ev)];
    this.outputs(i, out);
    if (ev.type === 'view') this.persisted.set(i, core.stableMembers());
    const wake = core.nextWake();
    if (Number.isFinite(wake)) this.cluster.at(Math.max(wake, this.cluster.now() + 1), () => this.feed(i, { type: 'tick', now: this.cluster.now() }));
  }

  private outputs(i: number, out: HealOutput[]): void {
    for (const o of out) {
      switch (o.type) {
        case 'audit':
          this.audits.push({ node: i, entry: o.entry });
          break;
        case 'give-up':
          this.giveUps.push({ node: i, subject: o.subject, why: o.why });
          break;
        case 'announce-lease':
          this.broadcastLease(i, o.lease);
          break;
        case 'check-self':
          this.selfCheck(i, o.subject, o.peers, o.need, o.deadline);
          break;
        case 'act':
          this.act(i, o.subject, o.incarnation);
          break;
      }
    }
  }

  /**
   * Pings each peer over the simulated network (a round trip, loss and partitions apply; only a
   * running node answers) and reports at the deadline, or as soon as enough answered. The
   * gateway is reachable from every node here.
   */
  private selfCheck(i: number, subject: string, peers: string[], need: number, deadline: number): void {
    let answered = 0;
    let done = false;
    const report = (ok: boolean, why: string): void => {
      if (done) return;
      done = true;
      this.feed(i, { type: 'self-check', subject, ok, why });
    };
    if (need === 0) return report(true, 'gateway answered; no peer needed');
    for (const p of peers) {
      const j = this.cluster.indexOfName(p);
      if (j === undefined) continue;
      const there = this.net.packet(i, j, this.cluster.now());
      if (there === null) continue;
      this.cluster.at(there, () => {
        if (!this.cluster.isAlive(j)) return;
        const back = this.net.packet(j, i, this.cluster.now());
        if (back === null || back > deadline) return;
        this.cluster.at(back, () => {
          if (++answered >= need) report(true, `gateway and ${answered} of ${peers.length} peers answered`);
        });
      });
    }
    // Just before the core gives up on the check itself, so the core records why.
    this.cluster.at(deadline - 1, () => report(false, `${answered} of ${peers.length} peers answered, ${need} needed`));
  }

  private broadcastLease(from: number, lease: Lease): void {
    this.broadcast(from, { type: 'lease', lease });
  }

  private act(i: number, subject: string, incarnation: number): void {
    this.acts.push({ node: i, subject, incarnation, at: this.cluster.now() });
    const x = this.cluster.indexOfName(subject);
    this.cluster.at(this.cluster.now() + this.opts.actionMs, () => {
      // A power cycle reboots the subject whether it was hung or merely cut off (a partition).
      if (x !== undefined) {
        this.cycled.push({ node: x, at: this.cluster.now() });
        this.cluster.kill(x);
      }
      this.feed(i, { type: 'action-done', subject, ok: true, detail: 'sim: off verified, on verified' });
      if (x === undefined) return;
      this.cluster.at(this.cluster.now() + this.opts.bootMs, () => {
        if (!this.cluster.isAlive(x)) this.cluster.start(x, incarnation + 1);
      });
    });
  }
}
