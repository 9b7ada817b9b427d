// The healing loop in the daemon: the decision core (heal/decision.ts) fed by
// gossip, its outputs carried out. Gossip's member events become the view
// and the confirmations; leases come in through gossip and are checked
// against the actor's session key before the core sees them or they are
// passed on; the core's clock is the wall clock, as leases compare times
// across nodes. Outputs: a lease signed with this run's session key and
// gossiped, a self-check, a ladder attempt (heal-act.ts), audit lines signed
// into state.dir/heal/audit.log. The stable membership is kept in state.dir
// so a node rebooted inside a partition still knows the fleet it belonged to.
//
// Everything runs after the gossip drain that delivered it (a microtask), so
// the loop's own sends never re-enter the driver mid-drain.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { GossipDriver } from '../gossip/driver.ts';
import type { LeaseMessage } from '../gossip/lease-desk.ts';
import { DEFAULT_CONFIG, type MemberEvent } from '../gossip/types.ts';
import { AUDIT_DIR, AuditLog, type AuditSigner } from '../heal/audit.ts';
import { DecisionCore } from '../heal/decision.ts';
import { confirmedDead, healEvents } from '../heal/from-gossip.ts';
import { sessionKeyFromCreds, signLease, verifyLease, type SigningKey } from '../heal/lease.ts';
import { channelsOf } from '../heal/target.ts';
import type { AuditEntry, Fencing, HealEvent, HealOutput } from '../heal/types.ts';
import { decodeRecord } from '../identity/record.ts';
import type { RecoveryKeyPair } from '../identity/store.ts';
import { writeAtomic } from '../state/atomic.ts';
import { monotonicMs } from '../clock.ts';
import type { NodeVault } from '../vault/store.ts';
import type { VaultEntry } from '../vault/types.ts';
import type { KeyObject } from 'node:crypto';
import type { HealSettings } from './config-heal.ts';
import { healAttempt, type ActDeps } from './heal-act.ts';
import { selfCheck } from './heal-self-check.ts';

export const MEMBERS_FILE = 'members.json';
/** Ladders waiting for a rejoin per node: one per attempt, so more is a bug, not a fleet. */
const MAX_REJOIN_WAITERS = 256;

export interface HealLoopDeps {
  self: string;
  settings: HealSettings;
  fencing: Fencing;
  stateDir: string;
  driver: Pick<GossipDriver, 'members' | 'sendLease' | 'credsOf' | 'attestationOf' | 'confirmers' | 'heardAt'>;
  /** The gossip protocol period: a live peer is heard from within about 2N of them (SWIM's round-robin bound). */
  probeIntervalMs: number;
  vault: Pick<NodeVault, 'list' | 'raw'>;
  orgPublicKey: KeyObject;
  recovery: RecoveryKeyPair | null;
  /** This run's session key: leases and audit lines are signed with it. */
  session: SigningKey & AuditSigner;
  log: Logger;
  /** Tests drive the ladder's channels and timing. */
  ladder?: ActDeps['ladder'];
}

export interface HealLoop {
  onEvents(events: MemberEvent[]): void;
  onLease(l: LeaseMessage): void;
  /** For `agent status`: whether this node can act, and its open cases (closed ones are in the audit log). */
  status(): { healer: boolean; cases: ReturnType<DecisionCore['openCases']> };
  stop(): void;
}

function restoreMembers(stateDir: string, log: Logger): string[] {
  try {
    const v: unknown = JSON.parse(readFileSync(join(stateDir, AUDIT_DIR, MEMBERS_FILE), 'utf8'));
    if (Array.isArray(v) && v.length <= 100_000 && v.every((n) => typeof n === 'string')) return v as string[];
    log.warn('heal: members.json is not a list of names; starting without a stable membership');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') log.warn({ err: (e as Error).message }, 'heal: members.json unreadable');
  }
  return [];
}

export function startHealLoop(d: HealLoopDeps): HealLoop {
  const { settings: s, log } = d;
  const audit = AuditLog.open(d.stateDir, d.session, Date.now());
  if (!audit.ok) log.error({ code: audit.error.code, err: audit.error.message }, 'heal: audit log unavailable; decisions go to the log only');

  // The vault is read at most once a second for ranking: rank() asks means() for every member.
  let cache: { at: number; entries: VaultEntry[] } = { at: -Infinity, entries: [] };
  const entries = (): VaultEntry[] => {
    if (Date.now() - cache.at < 1000) return cache.entries;
    const l = d.vault.list();
    cache = { at: Date.now(), entries: l.ok ? l.value : [] };
    return cache.entries;
  };
  const watchdogArmed = (node: string): boolean => {
    const rec = d.driver.attestationOf(node);
    const r = rec ? decodeRecord(rec) : null;
    return r?.ok === true && r.value.payload.watchdog.armed;
  };

  const restored = restoreMembers(d.stateDir, log);
  const core = new DecisionCore({
    self: d.self,
    fencing: d.fencing,
    quorum: { settleMs: s.settleSec * 1000, stableMs: s.stableSec * 1000, forgetMs: s.forgetSec * 1000 },
    backoff: { delaysMs: s.backoffSec.map((x) => x * 1000), maxAttempts: s.backoffSec.length, resetAfterMs: s.backoffResetSec * 1000 },
    means: (actor, subject) => ({
      channel: channelsOf(subject, entries()).length > 0,
      recoveryKey: s.healers.length ? s.healers.includes(actor) : actor !== d.self || d.recovery !== null,
    }),
    graceMs: (subject) => (s.watchdogGraceSec > 0 && watchdogArmed(subject) ? s.watchdogGraceSec * 1000 : 0),
    actionBudgetMs: s.actionBudgetSec * 1000,
    leaseMarginMs: 5000,
    selfCheckTimeoutMs: 5000,
    maxSelfChecks: 3,
    rejoinTimeoutMs: s.rejoinTimeoutSec * 1000,
    ...(restored.length ? { restore: { members: restored, now: Date.now() } } : {}),
  });

  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let savedMembers = JSON.stringify(restored);
  const waiters = new Map<string, { above: number; resolve: (v: boolean) => void }[]>();

  const handle = (ev: HealEvent): void => {
    if (stopped) return;
    let out: HealOutput[] = [];
    try {
      out = core.handle({ type: 'tick', now: Date.now() });
      out = [...out, ...core.handle(ev)];
    } catch (e) {
      log.error({ err: (e as Error).message }, 'heal: decision core threw');
    }
    for (const o of out) perform(o);
    persist();
    arm();
  };

  const persist = (): void => {
    const m = JSON.stringify(core.stableMembers());
    if (m === savedMembers) return;
    try {
      writeAtomic(join(d.stateDir, AUDIT_DIR), MEMBERS_FILE, Buffer.from(m), 0o600);
      savedMembers = m;
    } catch (e) {
      log.warn({ err: (e as Error).message }, 'heal: stable membership not saved');
    }
  };

  const arm = (): void => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (stopped) return;
    const wake = core.nextWake();
    // At least once a minute even when idle: settle and forget run on ticks.
    const delay = Number.isFinite(wake) ? Math.min(Math.max(0, wake - Date.now()), 60_000) : 60_000;
    timer = setTimeout(() => handle({ type: 'tick', now: Date.now() }), delay);
    timer.unref();
  };

  const writeAudit = (e: AuditEntry): void => {
    log.info({ heal: e.kind, subject: e.subject, incarnation: e.incarnation, actor: e.actor, why: e.why }, 'heal');
    if (!audit.ok) return;
    const w = audit.value.append(e);
    if (!w.ok) log.error({ code: w.error.code, err: w.error.message }, 'heal: audit line not written');
  };

  const rejoined = (node: string, above: number) => (_n: string, dl: { at: number }): Promise<boolean> =>
    new Promise((resolve) => {
      const list = waiters.get(node) ?? [];
      if (list.length >= MAX_REJOIN_WAITERS) return resolve(false);
      const t = setTimeout(() => {
        waiters.set(node, (waiters.get(node) ?? []).filter((x) => x !== w));
        resolve(false);
      }, Math.max(0, dl.at - monotonicMs()));
      t.unref();
      const w = {
        above,
        resolve: (v: boolean) => {
          clearTimeout(t);
          resolve(v);
        },
      };
      list.push(w);
      waiters.set(node, list);
    });

  const perform = (o: HealOutput): void => {
    switch (o.type) {
      case 'audit':
        return writeAudit(o.entry);
      case 'give-up':
        return void log.error({ subject: o.subject, why: o.why }, 'heal: left for a human');
      case 'announce-lease': {
        const bytes = signLease(o.lease, d.session);
        const r = d.driver.sendLease(bytes, o.lease.subject);
        if (!r.ok) log.warn({ subject: o.lease.subject, code: r.error.code, err: r.error.message }, 'heal: lease not sent');
        return;
      }
      case 'check-self':
        void selfCheck(o, () => d.driver.members(), s.gateway, freshness()).then((a) => queueMicrotask(() => handle({ type: 'self-check', subject: o.subject, ok: a.ok, why: a.why })));
        return;
      case 'act': {
        const deps: ActDeps = {
          list: () => d.vault.list(),
          raw: (n, id) => d.vault.raw(n, id),
          orgPublicKey: d.orgPublicKey,
          recovery: d.recovery,
          allowed: d.fencing.channels,
          rejoined: rejoined(o.subject, o.incarnation),
          ...(d.ladder ? { ladder: d.ladder } : {}),
        };
        void healAttempt(o.subject, o.deadline, deps).then((r) => {
          log.info({ subject: o.subject, ok: r.ok, detail: r.detail }, 'heal: attempt finished');
          queueMicrotask(() => handle({ type: 'action-done', subject: o.subject, ok: r.ok, detail: r.detail, rejoinOnly: r.rejoinOnly }));
        });
        return;
      }
    }
  };

  // SWIM's round robin probes every member within 2N-1 periods, and each probe is answered: a peer
  // silent for longer is not known to be alive, whatever the view says. 5 s at least, for small fleets.
  const freshness = () => ({ heardAt: (n: string) => d.driver.heardAt(n), windowMs: Math.max(5000, (2 * d.driver.members().length + 1) * d.probeIntervalMs) });

  const feedView = (): void => handle({ type: 'view', members: d.driver.members() });

  // What gossip already holds when the loop starts: the view, and the deaths with their confirmers.
  queueMicrotask(() => {
    feedView();
    for (const m of d.driver.members()) if (m.state === 'dead') for (const ev of confirmedDead(m.name, m.incarnation, d.driver.confirmers(m.name))) handle(ev);
  });

  return {
    onEvents(events) {
      queueMicrotask(() => {
        feedView();
        for (const e of events) {
          if (e.to === 'alive') {
            const list = waiters.get(e.name) ?? [];
            for (const w of list) if (e.incarnation > w.above) w.resolve(true);
            waiters.set(e.name, list.filter((w) => e.incarnation <= w.above));
          }
          for (const ev of healEvents(e)) handle(ev);
        }
      });
    },
    onLease(l) {
      queueMicrotask(() => {
        const v = verifyLease(l.bytes, {
          sessionKey: (actor) => {
            const c = d.driver.credsOf(actor);
            return c ? sessionKeyFromCreds(c) : null;
          },
          now: Date.now(),
          maxSkewMs: DEFAULT_CONFIG.maxSkewMs,
        });
        if (!v.ok) return void log.warn({ from: l.from, code: v.error.code, err: v.error.message }, 'heal: lease refused');
        // Verified: passed on once (the desk drops repeats), so it spreads beyond the actor's direct sends.
        const r = d.driver.sendLease(l.bytes, v.value.subject);
        if (!r.ok) log.debug({ code: r.error.code }, 'heal: lease not passed on');
        handle({ type: 'lease', lease: v.value });
      });
    },
    status: () => ({ healer: d.recovery !== null, cases: core.openCases() }),
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      for (const list of waiters.values()) for (const w of list) w.resolve(false);
      waiters.clear();
    },
  };
}
