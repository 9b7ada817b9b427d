// The daemon's life: start, tell systemd it is ready, keep systemd's watchdog
// fed from the event loop (a stalled loop stops the pings, which is the point),
// stop cleanly on SIGTERM/SIGINT. Later subsystems (hardware watchdog, gossip,
// healing) hang off this loop.

import type { Logger } from 'pino';
import type { AgentConfig } from './config.ts';
import { watchdogIntervalMs, type Notifier } from './notify.ts';

export interface DaemonDeps {
  log: Logger;
  notifier: Notifier;
  env: NodeJS.ProcessEnv;
  pid: number;
  /** Where SIGTERM/SIGINT come from; process in production, an emitter in tests. */
  signals: Pick<NodeJS.Process, 'once' | 'removeListener'>;
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

  log.info({ node: config.node.name, config: source }, 'agent starting');
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
  log.info({ signal }, 'agent stopped');
  return 0;
}
