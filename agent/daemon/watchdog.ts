// Arming the hardware watchdog at daemon start and letting go of it at the
// end. Arming comes first, before anything that could hang; letting go is a
// handover (a long timeout, left running, so whoever comes next must feed it)
// unless the config allows a magic close.

import type { Logger } from 'pino';
import { ErrorSink } from '../probe/errors.ts';
import type { SysRoot } from '../probe/sysroot.ts';
import { readWatchdogs, WDIOF_MAGICCLOSE } from '../probe/watchdog.ts';
import type { WatchdogDevice } from '../watchdog/device.ts';
import { Feeder } from '../watchdog/feeder.ts';
import { selectWatchdog } from '../watchdog/select.ts';
import type { Stages } from '../watchdog/stages.ts';
import type { WatchdogConfig } from './config.ts';
import { monotonicMs } from '../clock.ts';

export interface ArmDeps {
  log: Logger;
  sys: SysRoot;
  stages: Stages;
  now: () => number;
  open: (path: string) => WatchdogDevice;
  /** ms since the agent's main() began, for the "armed after" figure. */
  sinceMain: () => number;
}

export interface Armed {
  feeder: Feeder;
  /** Handover: set handoverSec, feed once, close without the magic character (the timer keeps running). */
  handOver(): void;
  /** Magic close: the timer stops (unless the driver has nowayout). */
  close(): void;
}

export function armWatchdog(cfg: WatchdogConfig, d: ArmDeps): Armed | null {
  const errs = new ErrorSink('watchdog');
  const choice = selectWatchdog(readWatchdogs(d.sys, errs), cfg.device);
  if (!choice.ok) {
    d.log.error({ err: choice.error.message }, 'no watchdog armed');
    return null;
  }
  const { path, identity, reason } = choice.value;
  let dev: WatchdogDevice;
  let timeoutSec: number;
  let stopsOnClose: boolean;
  try {
    dev = d.open(path);
    timeoutSec = dev.setTimeout(cfg.timeoutSec);
    // Without WDIOF_MAGICCLOSE the kernel stops the timer on any close, so a handover cannot leave it running.
    stopsOnClose = (dev.info().options & WDIOF_MAGICCLOSE) === 0;
    if (cfg.pretimeoutSec > 0) {
      try {
        dev.setPretimeout(cfg.pretimeoutSec);
      } catch (e) {
        d.log.warn({ device: path, err: (e as Error).message }, 'pretimeout not set');
      }
    }
    dev.keepalive();
  } catch (e) {
    d.log.error({ device: path, err: (e as Error).message }, 'no watchdog armed');
    return null;
  }
  d.log.info({ device: path, identity, timeoutSec, reason, sinceMainMs: Math.round(d.sinceMain()), sinceProcessStartMs: Math.round(monotonicMs()) }, 'watchdog armed');

  const feeder = new Feeder({
    device: dev,
    // Three chances per timeout: one late tick is not a reset.
    feedIntervalMs: Math.max(100, Math.floor((timeoutSec * 1000) / 3)),
    maxLoopLagMs: cfg.maxLoopLagMs,
    checks: cfg.checks,
    checkIntervalMs: cfg.checkIntervalSec * 1000,
    stages: d.stages,
    log: d.log,
    now: d.now,
  });
  feeder.start();
  return {
    feeder,
    handOver() {
      feeder.stop();
      if (stopsOnClose) d.log.warn({ device: path }, 'this driver stops the timer on close: nothing guards the handover');
      try {
        dev.setTimeout(cfg.handoverSec);
        dev.keepalive();
        dev.close();
        d.log.info({ device: path, handoverSec: cfg.handoverSec }, 'watchdog handed over, still armed');
      } catch (e) {
        d.log.error({ device: path, err: (e as Error).message }, 'watchdog handover failed');
      }
    },
    close() {
      feeder.stop();
      try {
        dev.magicClose();
        d.log.info({ device: path }, 'watchdog closed');
      } catch (e) {
        d.log.error({ device: path, err: (e as Error).message }, 'watchdog close failed');
      }
    },
  };
}
