import type { Command } from './command.ts';
import { EXIT, UsageError } from './exit.ts';
import { buildReport } from '../probe/report.ts';
import { askInBand, notAsked } from '../probe/in-band.ts';
import { SysRoot } from '../probe/sysroot.ts';
import { renderReport } from './render-report.ts';

/** The serial-console contract of `fortros.agent=report` (DESIGN.md). */
export const REPORT_BEGIN = '-----BEGIN FORTROS REPORT-----';
export const REPORT_END = '-----END FORTROS REPORT-----';

export const reportCommand: Command = {
  name: 'report',
  usage: 'agent report [--json [--frame]] [--root DIR]',
  details: [
    'Probes local files (sysfs, procfs, /dev): SMBIOS, PCI, Intel ME, BMC, Redfish host',
    'interface, watchdogs, TPM, hypervisor/cloud, NICs; ranks the recovery channels found.',
    'On the machine itself (no --root) it also asks the firmware in band, each bounded by 15 s:',
    'AMT over MEI (what `agent amt info` prints, and the MKHI firmware version and capability',
    'rules) under amt.inBand and mei.inBand, and the BMC over /dev/ipmi0 (what `agent bmc info`',
    'prints) under bmc.inBand; absent devices say why.',
    "--json prints one object with \"schema\": \"fortros.oob.report/v1\". A probe that fails is",
    "listed under 'errors' and the report still prints; exit 1 only when no probe could run.",
  ].join('\n'),
  flags: [
    { name: 'json', kind: 'boolean', help: 'print the report as one JSON object' },
    { name: 'root', kind: 'string', value: 'DIR', help: 'read sys/, proc/, dev/ under DIR instead of /' },
    { name: 'frame', kind: 'boolean', help: `with --json: put the object between ${REPORT_BEGIN} and ${REPORT_END} lines (the preboot's console contract)` },
  ],
  async run(args, { io, logger }) {
    const log = await logger();
    const root = (args.flags.get('root') as string | undefined) ?? '/';
    const sys = new SysRoot(root);
    if (!sys.exists('/sys') && !sys.exists('/proc')) {
      io.err(`agent report: nothing to probe under ${root} (no sys/ or proc/)\n`);
      return EXIT.FAILED;
    }
    const framed = args.flags.has('frame');
    if (framed && !args.flags.has('json')) throw new UsageError('agent report: --frame goes with --json');
    // Devices are opened only on the machine itself: a fixture tree has none to ask.
    const inBand = root === '/' ? await askInBand() : notAsked(`not asked: --root ${root} is a fixture tree, its devices are not opened`);
    const report = buildReport(sys, new Date(), undefined, inBand);
    // On the preboot console a person watches each step; elsewhere this is noise on stderr.
    const done = { errors: report.errors.length, channels: report.channels.map((c) => `${c.kind}:${c.verdict}`).join(' ') };
    if (framed) log.info(done, 'report done');
    else log.debug(done, 'report done');
    if (!args.flags.has('json')) io.out(renderReport(report));
    else if (framed) io.out(`${REPORT_BEGIN}\n${JSON.stringify(report)}\n${REPORT_END}\n`);
    else io.out(`${JSON.stringify(report, null, 2)}\n`);
    return EXIT.OK;
  },
};
