import type { Command } from './command.ts';
import { EXIT } from './exit.ts';
import { buildReport } from '../probe/report.ts';
import { SysRoot } from '../probe/sysroot.ts';
import { renderReport } from './render-report.ts';

export const reportCommand: Command = {
  name: 'report',
  summary: "print this machine's out-of-band management capabilities",
  usage: 'agent report [--json] [--root DIR]',
  details: [
    'Probes local files only (sysfs, procfs, /dev): SMBIOS, PCI, Intel ME, BMC, Redfish host',
    'interface, watchdogs, TPM, hypervisor/cloud, NICs; ranks the recovery channels found.',
    "--json prints one object with \"schema\": \"fortros.oob.report/v1\". A probe that fails is",
    "listed under 'errors' and the report still prints; exit 1 only when no probe could run.",
  ].join('\n'),
  flags: [
    { name: 'json', kind: 'boolean', help: 'print the report as one JSON object' },
    { name: 'root', kind: 'string', value: 'DIR', help: 'read sys/, proc/, dev/ under DIR instead of /' },
  ],
  async run(args, { io, log }) {
    const root = (args.flags.get('root') as string | undefined) ?? '/';
    const sys = new SysRoot(root);
    if (!sys.exists('/sys') && !sys.exists('/proc')) {
      io.err(`agent report: nothing to probe under ${root} (no sys/ or proc/)\n`);
      return EXIT.FAILED;
    }
    const report = buildReport(sys);
    log.debug({ errors: report.errors.length, channels: report.channels.length }, 'report done');
    io.out(args.flags.has('json') ? `${JSON.stringify(report, null, 2)}\n` : renderReport(report));
    return EXIT.OK;
  },
};
