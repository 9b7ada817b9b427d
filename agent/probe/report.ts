// The capability report (`fortros.oob.report/v1`): every local probe, run once,
// in dependency order. A probe's failure lands in `errors`; the rest still runs.

import { ErrorSink, type ReportError } from './errors.ts';
import { SysRoot } from './sysroot.ts';
import { readHost, type HostReport } from './host.ts';
import { readSmbios, type SmbiosReport } from './smbios/index.ts';
import { readPci, type PciDevice } from './pci.ts';
import { readMei, type MeiReport } from './mei.ts';
import { deriveAmt, type AmtReport } from './amt.ts';
import { deriveDash, type DashReport } from './dash.ts';
import { readBmc, type BmcReport } from './bmc.ts';
import { deriveRedfish, type RedfishReport } from './redfish.ts';
import { readWatchdogs, type Watchdog } from './watchdog.ts';
import { rootOpener, withIoctl, type WatchdogOpener } from './watchdog-ioctl.ts';
import { readTpm, type TpmReport } from './tpm.ts';
import { readHypervisor, type HypervisorReport } from './hypervisor.ts';
import { readNics, type Nic } from './nics.ts';
import { rankChannels, type Channel } from './channels.ts';
import { notAsked, type InBand } from './in-band.ts';
import { VERSION } from '../version.ts';

export const REPORT_SCHEMA = 'fortros.oob.report/v1';

export interface Report {
  schema: typeof REPORT_SCHEMA;
  agentVersion: string;
  generatedAt: string;
  root: string;
  host: HostReport;
  smbios: SmbiosReport | null;
  pci: PciDevice[];
  /** `inBand`: what the firmware itself answered (in-band.ts), or why it was not asked. */
  mei: MeiReport & { inBand: InBand['mei'] };
  amt: AmtReport & { inBand: InBand['amt'] };
  dash: DashReport;
  bmc: BmcReport & { inBand: InBand['bmc'] };
  redfish: RedfishReport;
  watchdogs: Watchdog[];
  tpm: TpmReport;
  hypervisor: HypervisorReport;
  nics: Nic[];
  channels: Channel[];
  errors: ReportError[];
}

/**
 * `watchdogs` opens inactive watchdogs briefly (see watchdog-ioctl.ts); tests pass a fake opener.
 * `inBand` is asked by the caller (asynchronous, live machines only) and placed under mei, amt and bmc.
 */
export function buildReport(sys: SysRoot = new SysRoot('/'), now: Date = new Date(), watchdogOpener: WatchdogOpener = rootOpener(sys), inBand: InBand = notAsked('not asked: file probes only')): Report {
  const errs = new ErrorSink();
  const host = readHost(sys, errs.for('host'));
  const smbios = readSmbios(sys, errs.for('smbios'));
  const pci = readPci(sys, errs.for('pci'));
  const nics = readNics(sys, errs.for('nics'));
  const mei = readMei(sys, errs.for('mei'), smbios);
  const amt = deriveAmt(smbios?.amt ?? null, smbios?.vpro ?? null, mei, pci);
  const dash = deriveDash(pci);
  const bmc = readBmc(sys, errs.for('bmc'), smbios?.ipmi ?? [], pci);
  const redfish = deriveRedfish(smbios?.redfishHostInterfaces ?? [], nics);
  const watchdogs = withIoctl(readWatchdogs(sys, errs.for('watchdog')), sys, watchdogOpener, errs.for('watchdog'));
  const tpm = readTpm(sys, errs.for('tpm'));
  const hypervisor = readHypervisor(sys, errs.for('hypervisor'), smbios);
  const partial = { host, smbios, pci, mei: { ...mei, inBand: inBand.mei }, amt: { ...amt, inBand: inBand.amt }, dash, bmc: { ...bmc, inBand: inBand.bmc }, redfish, watchdogs, tpm, hypervisor, nics };
  return {
    schema: REPORT_SCHEMA,
    agentVersion: VERSION,
    generatedAt: now.toISOString(),
    root: sys.root,
    ...partial,
    channels: rankChannels(partial),
    errors: errs.list,
  };
}
