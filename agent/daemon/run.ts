// The daemon's life: arm the hardware watchdog first, run the preboot's
// stages under their deadlines, tell systemd it is ready, keep systemd's own
// watchdog fed from the event loop (a stalled loop stops the pings, which is
// the point), and on SIGTERM/SIGINT let go of the watchdog as the config says.
// With a gossip section the node joins its cluster before READY and leaves it
// on the way out; the local control socket (`agent members`, `agent status`)
// answers whether gossip runs or not. With heal.enabled the healing loop
// (heal.ts) rides on gossip: it learns deaths from it and gossips its leases.

import type { Logger } from 'pino';
import { buildReport, type Report } from '../probe/report.ts';
import type { SysRoot } from '../probe/sysroot.ts';
import type { WatchdogDevice } from '../watchdog/device.ts';
import { Stages } from '../watchdog/stages.ts';
import { controlSocketPath, type AgentConfig } from './config.ts';
import { watchdogIntervalMs, type Notifier } from './notify.ts';
import { armWatchdog } from './watchdog.ts';
import { startControl } from './control.ts';
import { wolRelay } from './wol-relay.ts';
import { gerr } from '../gossip/types.ts';
import { startAttesting } from './attesting.ts';
import { appliedClaims } from '../policy/applied.ts';
import { buildGossip, GossipSetupError, type HealHooks } from './gossip.ts';
import { startHealing } from './heal-start.ts';
import { vaultSync } from './vault-sync.ts';
import type { GossipDriver } from '../gossip/driver.ts';
import { TransportError } from '../gossip/udp.ts';
import { monotonicMs } from '../clock.ts';

export interface DaemonDeps {
  log: Logger;
  notifier: Notifier;
  env: NodeJS.ProcessEnv;
  pid: number;
  /** Where SIGTERM/SIGINT come from; process in production, an emitter in tests. */
  signals: Pick<NodeJS.Process, 'once' | 'removeListener'>;
  /** The preboot (`agent run --boot`): run the boot stages, and hand the watchdog over at the end. */
  boot: boolean;
  sys: SysRoot;
  openWatchdog: (path: string) => WatchdogDevice;
  sinceMain: () => number;
}

export async function runDaemon(config: AgentConfig, source: string, deps: DaemonDeps): Promise<0 | 1> {
  const { log, notifier } = deps;
  // A failed notification is systemd's business to notice (it times the unit out); the daemon carries on.
  const notify = (fields: Record<string, string | number>): void => {
    try {
      notifier.send(fields);
    } catch (e) {
      log.warn({ err: (e as Error).message }, 'sd_notify failed');
    }
  };

  // Listen before the first await: a SIGTERM during start-up (gossip, control socket) must still stop the daemon cleanly.
  const stopSignal = new Promise<NodeJS.Signals>((resolve) => {
    const onTerm = (): void => finish('SIGTERM');
    const onInt = (): void => finish('SIGINT');
    function finish(s: NodeJS.Signals): void {
      deps.signals.removeListener('SIGTERM', onTerm);
      deps.signals.removeListener('SIGINT', onInt);
      resolve(s);
    }
    deps.signals.once('SIGTERM', onTerm);
    deps.signals.once('SIGINT', onInt);
  });

  const now = (): number => monotonicMs();
  const stageDeadlinesMs = Object.fromEntries(Object.entries(config.watchdog?.stageDeadlinesSec ?? {}).map(([k, v]) => [k, v * 1000]));
  const stages = new Stages(stageDeadlinesMs, now);
  const wd = config.watchdog?.enabled ? armWatchdog(config.watchdog, { log, sys: deps.sys, stages, now, open: deps.openWatchdog, sinceMain: deps.sinceMain }) : null;
  log.info({ node: config.node.name, config: source, watchdog: wd !== null }, 'agent starting');

  if (deps.boot) {
    // The stages that exist so far; policy, unlock and kexec join them with their issues.
    const report = await stages.run('probe', () => buildReport(deps.sys));
    log.info({ channels: report.channels.map((c) => `${c.kind}:${c.verdict}`).join(' '), errors: report.errors.length }, 'probe done');
  }

  // The preboot always hands over: what runs next (the main system) must take the watchdog on.
  const releaseWatchdog = (): void => {
    if (!wd) return;
    if (!deps.boot && config.watchdog?.closeOnShutdown) wd.close();
    else wd.handOver();
  };

  let gossip: GossipDriver | null = null;
  let attesting: { stop(): void } | null = null;
  let healing: ReturnType<typeof startHealing> = null;
  const healHooks: HealHooks = {};
  // The vault's records ride on gossip; without gossip there is nobody to publish them to.
  const vault = config.gossip ? vaultSync(config, log) : null;
  // One relay and one rate limit for both ways a wake reaches this node: the control socket and gossip peers.
  const relay = wolRelay({ log, peerTarget: config.heal.wakeTarget, askPeers: (subject, mac) => (gossip ? gossip.askWake(subject, mac) : gerr('REFUSED', 'gossip is not running')) });
  if (config.gossip) {
    try {
      const member = await buildGossip(config, { sys: deps.sys, log, onWake: relay.fromPeer, heal: healHooks, ...(vault ? { records: { options: vault.records, onRecord: vault.onRecord } } : {}) });
      gossip = member.driver;
      await gossip.start();
      vault?.start(gossip);
      if (config.heal.enabled) healing = startHealing(config, { member, vault: vault?.store ?? null, hooks: healHooks, log });
      const { dir: stateDir } = config.state;
      const { identityDir } = config.node;
      // What `agent policy apply` kept under state.dir: the record then names the policy and says whether the node complies.
      const claims = stateDir !== null && identityDir !== null ? (report: Report) => appliedClaims(stateDir, identityDir, report) : undefined;
      attesting = startAttesting({ driver: gossip, makeRecord: member.makeRecord, sys: deps.sys, log, watchdogArmed: wd !== null, ...(claims ? { claims } : {}) });
    } catch (e) {
      if (!(e instanceof GossipSetupError || e instanceof TransportError)) throw e;
      // A node that cannot prove who it is, or cannot take its address, is no member; exiting lets the unit's restart policy retry.
      log.error({ code: e.code, err: e.message }, 'gossip cannot start');
      releaseWatchdog();
      return 1;
    }
    log.info({ node: config.node.name, addr: gossip.addr }, 'gossip started');
  }
  const startedAt = Date.now();
  const socketPath = controlSocketPath(config);
  let control: { close(): Promise<void> } | null = null;
  try {
    control = await startControl(
      socketPath,
      {
        members: () => gossip?.members() ?? [],
        status: () => {
          const base = { name: config.node.name, pid: deps.pid, uptimeMs: Date.now() - startedAt, watchdog: wd !== null };
          if (!gossip) return { ...base, gossip: null };
          // What a person asks first at the top (`agent status` prints one line per key); counters under gossip.
          const { name: _name, addr, state, incarnation, members, ...detail } = gossip.status();
          return { ...base, addr, state, incarnation, members, gossip: detail, heal: healing?.status() ?? null };
        },
        wolRelay: relay.control,
      },
      log,
    );
  } catch (e) {
    // The control socket is for people; the watchdog and the cluster keep working without it.
    log.error({ path: socketPath, err: (e as Error).message }, 'control socket unavailable');
  }

  const pingMs = watchdogIntervalMs(deps.env, deps.pid);
  const ping = pingMs === null ? null : setInterval(() => notify({ WATCHDOG: 1 }), pingMs);
  notify({ READY: 1, STATUS: `running as ${config.node.name}` });
  log.info({ node: config.node.name, systemd: notifier.enabled, watchdogPingMs: pingMs }, 'agent ready');

  const signal = await stopSignal;
  notify({ STOPPING: 1, STATUS: `stopping on ${signal}` });
  if (ping) clearInterval(ping);
  healing?.stop();
  attesting?.stop();
  vault?.stop();
  await gossip?.stop({ leave: true });
  await control?.close();
  releaseWatchdog();
  log.info({ signal }, 'agent stopped');
  return 0;
}
