// The daemon's life: arm the hardware watchdog first, run the preboot's
// stages under their deadlines, tell systemd it is ready, keep systemd's own
// watchdog fed from the event loop (a stalled loop stops the pings, which is
// the point), and on SIGTERM/SIGINT let go of the watchdog as the config says.
// Later subsystems (gossip, healing) hang off this loop.

import type { Logger } from 'pino';
import { buildReport } from '../probe/report.ts';
import type { SysRoot } from '../probe/sysroot.ts';
import type { WatchdogDevice } from '../watchdog/device.ts';
import { Stages } from '../watchdog/stages.ts';
import type { AgentConfig } from './config.ts';
import { watchdogIntervalMs, type Notifier } from './notify.ts';
import { armWatchdog } from './watchdog.ts';

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

export async function runDaemon(config: AgentConfig, source: string, deps: DaemonDeps): Promise<0> {
  const { log, notifier } = deps;
  // A failed notification is systemd's business to notice (it times the unit out); the daemon carries on.
  const notify = (fields: Record<string, string | number>): void => {
    try {
      notifier.send(fields);
    } catch (e) {
      log.warn({ err: (e as Error).message }, 'sd_notify failed');
    }
  };

  const now = (): number => performance.now();
  const stageDeadlinesMs = Object.fromEntries(Object.entries(config.watchdog?.stageDeadlinesSec ?? {}).map(([k, v]) => [k, v * 1000]));
  const stages = new Stages(stageDeadlinesMs, now);
  const wd = config.watchdog?.enabled ? armWatchdog(config.watchdog, { log, sys: deps.sys, stages, now, open: deps.openWatchdog, sinceMain: deps.sinceMain }) : null;
  log.info({ node: config.node.name, config: source, watchdog: wd !== null }, 'agent starting');

  if (deps.boot) {
    // The stages that exist so far; policy, unlock and kexec join them with their issues.
    const report = await stages.run('probe', () => buildReport(deps.sys));
    log.info({ channels: report.channels.map((c) => `${c.kind}:${c.verdict}`).join(' '), errors: report.errors.length }, 'probe done');
  }

  const pingMs = watchdogIntervalMs(deps.env, deps.pid);
  const ping = pingMs === null ? null : setInterval(() => notify({ WATCHDOG: 1 }), pingMs);
  notify({ READY: 1, STATUS: `running as ${config.node.name}` });
  log.info({ node: config.node.name, systemd: notifier.enabled, watchdogPingMs: pingMs }, 'agent ready');

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
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
  notify({ STOPPING: 1, STATUS: `stopping on ${signal}` });
  if (ping) clearInterval(ping);
  // The preboot always hands over: what runs next (the main system) must take the watchdog on.
  if (wd) {
    if (!deps.boot && config.watchdog?.closeOnShutdown) wd.close();
    else wd.handOver();
  }
  log.info({ signal }, 'agent stopped');
  return 0;
}
