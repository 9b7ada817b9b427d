import * as fs from 'node:fs';
import type { Command } from './command.ts';
import { EXIT, UsageError } from './exit.ts';
import { resolveBootConfig } from '../daemon/boot-config.ts';
import { CONFIG_CAP, ConfigError, parseConfig } from '../daemon/config.ts';
import { systemdNotifier } from '../daemon/notify.ts';
import { runDaemon } from '../daemon/run.ts';
import { openWatchdog } from '../watchdog/device.ts';
import { SysRoot } from '../probe/sysroot.ts';
import { monotonicMs } from '../clock.ts';

function readConfigFile(file: string): string {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (e) {
    throw new ConfigError(file, (e as NodeJS.ErrnoException).code ?? 'cannot open');
  }
  try {
    const buf = Buffer.alloc(CONFIG_CAP + 1);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    if (n > CONFIG_CAP) throw new ConfigError(file, `larger than ${CONFIG_CAP} bytes`);
    return buf.toString('utf8', 0, n);
  } finally {
    fs.closeSync(fd);
  }
}

export const runCommand: Command = {
  name: 'run',
  usage: 'agent run (--config FILE | --boot)',
  details: [
    '--boot is for the preboot: the config comes from fortros.config=PATH on the kernel command',
    'line, or else from fw_cfg opt/fortros/config. Under systemd (Type=notify) the agent reports',
    'READY and keeps WatchdogSec= fed while its event loop runs. Config keys: see the README.',
  ].join('\n'),
  flags: [
    { name: 'config', kind: 'string', value: 'FILE', help: 'the JSON config file' },
    { name: 'boot', kind: 'boolean', help: 'find the config as the preboot does (kernel command line, fw_cfg)' },
  ],
  async run(args, { io, logger, startedAt }) {
    const log = await logger();
    const file = args.flags.get('config');
    const boot = args.flags.has('boot');
    if ((typeof file === 'string') === boot) throw new UsageError('agent run: give exactly one of --config FILE and --boot');
    let config;
    let source: string;
    try {
      const found = boot ? resolveBootConfig(new SysRoot('/')) : { text: readConfigFile(file as string), source: file as string };
      source = found.source;
      config = parseConfig(found.text, source);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      log.error({ err: e.message }, 'no usable config');
      io.err(`agent run: ${e.message}\n`);
      return EXIT.FAILED;
    }
    return runDaemon(config, source, {
      log,
      notifier: systemdNotifier(io.env),
      env: io.env,
      pid: process.pid,
      signals: process,
      boot,
      sys: new SysRoot('/'),
      openWatchdog,
      sinceMain: () => monotonicMs() - startedAt,
    });
  },
};
