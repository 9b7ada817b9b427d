// The report for a person: sections of `label : value` rows and one verdict
// line per recovery channel, in the manner of `fwupdmgr security` and
// `rpc amtinfo`. Plain ASCII, because in the preboot it lands on a serial
// console that may not speak UTF-8. The JSON form is the contract; this one
// may change wording freely.

import type { Report } from '../probe/report.ts';

type Row = readonly [label: string, value: string | number | boolean | null | undefined];

const show = (v: Row[1]): string => (v === null || v === undefined || v === '' ? '-' : v === true ? 'yes' : v === false ? 'no' : String(v));

function section(title: string, rows: Row[], notes: string[] = []): string {
  const shown = rows.filter(([, v]) => v !== undefined);
  const width = Math.max(0, ...shown.map(([l]) => l.length));
  const body = shown.map(([l, v]) => `  ${l.padEnd(width)} : ${show(v)}`);
  return [title, ...body, ...notes.map((n) => `  ${n}`), ''].join('\n');
}

const hex4 = (n: number): string => n.toString(16).padStart(4, '0');
const join = (xs: readonly string[]): string => (xs.length ? xs.join(', ') : '-');

function header(r: Report): string {
  const sys = r.smbios?.system;
  const model = [sys?.manufacturer, sys?.productName].filter(Boolean).join(' ');
  const chassis = r.smbios?.chassis[0]?.type;
  const bios = r.smbios?.bios;
  const cpu = r.host.cpuModel ? `${r.host.cpuModel}${r.host.cpuCount ? ` x${r.host.cpuCount}` : ''}` : null;
  return section(`FortrOS out-of-band report: ${r.host.hostname ?? 'unknown host'}`, [
    ['Platform', model ? `${model}${chassis ? ` (${chassis})` : ''}` : null],
    ['Firmware', bios ? [bios.vendor, bios.version, bios.releaseDate].filter(Boolean).join(' ') : null],
    ['SMBIOS', r.smbios ? `${r.smbios.entryPoint.version} (${r.smbios.structures.length} structures)` : 'none'],
    ['Boot', `${r.host.bootMode}, kernel ${r.host.kernel ?? '?'}, ${r.host.arch}`],
    ['CPU', cpu],
    ['Memory', r.host.memTotalKiB ? `${Math.round(r.host.memTotalKiB / 1024)} MiB` : null],
    ['Virtualization', r.hypervisor.virtualized === null ? 'unknown' : r.hypervisor.virtualized ? [r.hypervisor.hypervisor, r.hypervisor.provider].filter(Boolean).join(' on ') || 'guest' : 'bare metal'],
    ['Agent', `${r.agentVersion}, root ${r.root}`],
  ]);
}

const MARK = { usable: '[ok]', 'needs-setup': '[..]', unusable: '[--]' } as const;

function channels(r: Report): string {
  if (r.channels.length === 0) return 'Recovery channels (best first)\n  none: no peer can power-cycle this node, and no watchdog resets it\n';
  const kw = Math.max(...r.channels.map((c) => c.kind.length));
  const vw = Math.max(...r.channels.map((c) => c.verdict.length));
  const lines = r.channels.flatMap((c) => [
    `  ${String(c.rank).padStart(2)} ${MARK[c.verdict]} ${c.kind.padEnd(kw)}  ${c.verdict.padEnd(vw)}  ${c.reason}`,
    `       actions: ${join(c.actions)}; power state ${c.verifiable ? 'verifiable' : 'not verifiable'}`,
    ...c.evidence.map((e) => `       - ${e}`),
  ]);
  return ['Recovery channels (best first)', ...lines, ''].join('\n');
}

function intelMe(r: Report): string {
  const { mei, amt } = r;
  if (!mei.present && !amt.present && 'unavailable' in amt.inBand) return section('Intel ME', [['Present', false]]);
  const h1 = mei.hfsts?.hfsts1;
  const v = mei.verdicts;
  const rows: Row[] = [
    ['Source', mei.source],
    ['Firmware', mei.version ? `${mei.version.text}${mei.family ? ` (${mei.family})` : ''} from ${mei.versionSource}` : null],
    ['HFSTS', join(mei.fwStatus)],
    ['State', mei.hfsts?.summary],
    ['Operation mode', h1?.operationMode.name],
    ['Error code', h1?.errorCode.name],
    ['FW SKU', mei.hfsts?.hfsts3?.fwSku?.name],
    ['Disabled', mei.disabled],
    ['Clients', join(mei.clients.map((c) => c.protocol ?? c.uuid))],
  ];
  if (v) {
    rows.push(['Manufacturing mode', `${v.manufacturingMode.result}: ${v.manufacturingMode.reason}`]);
    rows.push(['Override strap', `${v.overrideStrap.result}: ${v.overrideStrap.reason}`]);
    rows.push(['Known vulnerable', `${v.vulnerableVersion.result}: ${v.vulnerableVersion.reason}`]);
    rows.push(['Boot Guard', `${v.bootGuard.result}: ${v.bootGuard.reason}`]);
  }
  rows.push(
    ['AMT capable', amt.capable],
    ['AMT enabled in BIOS', amt.enabledInBios],
    ['AMT SKU', amt.sku],
    ['AMT features', amt.features.sol === null ? null : `SOL ${show(amt.features.sol)}, IDE-R ${show(amt.features.ider)}, KVM ${show(amt.features.kvm)}`],
    ['MEBx', amt.mebxVersion],
    ['SOL / IDE-R functions', `${show(amt.solFunction)} / ${show(amt.iderFunction)}`],
  );
  const live = amt.inBand;
  if ('unavailable' in live) rows.push(['AMT in band', `not read (${live.unavailable})`]);
  else {
    rows.push(
      ['AMT in band', live.amt ? `${live.amt}${live.buildNumber ? ` build ${live.buildNumber}` : ''}${live.features ? `, ${live.features}` : ''}` : `no version (${live.errors.amt?.message ?? 'not answered'})`],
      ['Control mode', live.controlMode ?? null],
      ['Provisioning', live.provisioningState ?? null],
      ['Operational state', live.operationalState],
    );
  }
  const fw = mei.inBand;
  if (!('unavailable' in fw) && fw.fwVersion) rows.push(['Firmware (MKHI)', fw.fwVersion]);
  return section('Intel ME', rows);
}

function dash(r: Report): string {
  if (!r.dash.present) return section('AMD DASH', [['Present', false]]);
  return section('AMD DASH', [
    ['Controller', r.dash.controller],
    ['Functions', join(r.dash.functions.map((f) => `${f.address} ${f.kind}`))],
    ['NIC', join(r.dash.nics.map((n) => `${n.address} ${n.name ?? `${hex4(n.vendorId)}:${hex4(n.deviceId)}`}`))],
  ]);
}

function bmc(r: Report): string {
  const b = r.bmc;
  const rows: Row[] = [['Present', b.present]];
  if (b.present) {
    rows.push(
      ['SMBIOS 38', join(b.smbiosInterfaces.map((i) => `${i.interfaceType} at ${i.baseAddress} (${i.addressSpace}), IPMI ${i.specVersion}`))],
      ['Devices', join(b.devNodes)],
      ['Drivers', join(b.boundDevices.map((d) => `${d.device} (${d.driver})`))],
      ['Modules', join(b.modules)],
      ['BMC video', join(b.videoFunctions.map((v) => `${v.address} ${v.name ?? `${hex4(v.vendorId)}:${hex4(v.deviceId)}`}`))],
    );
  }
  const live = b.inBand;
  if ('unavailable' in live) {
    if (b.present) rows.push(['In band', `not read (${live.unavailable})`]);
  } else {
    const dev = live.device;
    rows.push(['In band', `${live.devicePath}${dev ? `: IPMI ${dev.ipmiVersion}, firmware ${dev.firmware}, manufacturer ${dev.manufacturer}, product ${dev.product}` : ''}${live.complete ? '' : ' (read cut short)'}`]);
    for (const l of live.lan) {
      const suites = l.cipherSuites?.map((c) => `${c.suite}:${c.privilegeName ?? '?'}`).join(' ');
      rows.push([`  LAN channel ${l.channel}`, `${show(l.ipAddress)} (${show(l.ipSource)}), MAC ${show(l.mac)}${l.vlan?.enabled ? `, VLAN ${l.vlan.id}` : ''}${suites ? `; cipher suites ${suites}` : ''}`]);
    }
    if (live.users) rows.push(['  Users', join(live.users.users.filter((u) => u.name).map((u) => `${u.id}:${u.name}${u.enabled ? '' : ' (disabled)'}`))]);
    if (live.errors.length > 0) rows.push(['  Not read', live.errors.join('; ')]);
  }
  const rf = r.redfish;
  rows.push(['Redfish host interface', rf.present]);
  for (const hi of rf.hostInterfaces) {
    rows.push([`  handle 0x${hex4(hi.handle)}`, `${hi.device?.type ?? 'no device'}; host NIC ${show(hi.hostNic)}${hi.matchedBy ? ` (by ${hi.matchedBy})` : ''}; ${join(hi.endpoints)}`]);
  }
  return section('BMC', rows);
}

function watchdogs(r: Report): string {
  if (r.watchdogs.length === 0) return section('Watchdogs', [['Present', false]]);
  return section(
    'Watchdogs',
    r.watchdogs.map((w): Row => [
      w.devNode ?? w.name,
      `${w.identity ?? 'unknown'} (${w.kind}${w.driver ? `, ${w.driver}` : ''}${w.pciAddress ? ` at ${w.pciAddress}` : ''}), timeout ${show(w.timeout)} s` +
        // iTCO_wdt leaves min/max at 0 (unset): a range of 0..0 would mislead.
        `${w.maxTimeout ? ` [${show(w.minTimeout)}..${w.maxTimeout}]` : ''}, ${w.state ?? 'state unknown'}` +
        `${w.nowayout ? ', nowayout' : ''}, last reset by watchdog: ${show(w.lastResetByWatchdog)}` +
        `; ioctl: ${w.ioctl === null ? 'not read' : 'skipped' in w.ioctl ? `skipped (${w.ioctl.skipped})` : join(w.ioctl.optionsFlags)}`,
    ]),
  );
}

function tpm(r: Report): string {
  if (!r.tpm.present) return section('TPM', [['Present', false]]);
  return section(
    'TPM',
    r.tpm.devices.map((d): Row => [d.name, `TPM ${show(d.versionMajor)}.0, ${join([d.devNode, d.rmDevNode].filter((x): x is string => x !== null))}, ${d.driver ?? 'no driver'}${d.firmwareDevice ? ` (${d.firmwareDevice})` : ''}, banks ${join(d.pcrBanks)}`]),
  );
}

function nics(r: Report): string {
  const real = r.nics.filter((n) => !n.virtual);
  if (real.length === 0) return section('NICs', [['Physical', 'none']]);
  return section(
    'NICs',
    real.map((n): Row => [n.name, `${n.mac ?? 'no MAC'} ${n.bus}${n.pciAddress ? ` ${n.pciAddress}` : ''} ${n.driver ?? 'no driver'}, ${n.operstate ?? '?'}${n.speedMbps ? `, ${n.speedMbps} Mb/s` : ''}`]),
  );
}

function errors(r: Report): string {
  if (r.errors.length === 0) return '';
  return ['Errors (these probes could not read everything; the rest of the report stands)', ...r.errors.map((e) => `  ${e.probe}: ${e.path}: ${e.code}: ${e.message}`), ''].join('\n');
}

export function renderReport(r: Report): string {
  return [header(r), channels(r), intelMe(r), dash(r), bmc(r), watchdogs(r), tpm(r), nics(r), errors(r)].filter(Boolean).join('\n');
}
