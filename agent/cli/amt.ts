// `agent amt info [--json]`: what `rpc amtinfo` reports, read over MEI (PTHI, the
// watchdog client), printed as text or one JSON object. `activate`, `deactivate`
// and `features` live in amt-actions.ts; this module dispatches to them. The bus
// is injected (makeAmtCommand) so tests run the command against the simulated ME.

import { readFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { timeoutFlagMs, type FlagSpec, type Parsed } from './args.ts';
import type { Command } from './command.ts';
import { EXIT, UsageError, type ExitCode } from './exit.ts';
import type { Io } from './io.ts';
import { AMT_ACTIONS, AMT_ACTION_FLAGS, runAmtAction, type AmtAction } from './amt-actions.ts';
import { deadlineIn } from '../channels/types.ts';
import { amtInfo, type AmtInfo, type InterfaceSettings } from '../mei/amtinfo.ts';
import { openDeviceBus } from '../mei/device.ts';
import type { MeiBus, MeiResult } from '../mei/types.ts';

export interface AmtDeps {
  openBus(): MeiResult<MeiBus>;
  osInterfaces?: typeof networkInterfaces;
  /** The SMBIOS system UUID, rpc-go's fallback when the firmware's is a placeholder. */
  productUuid?: () => string | null;
}

const DEFAULT_TIMEOUT_S = 30;
const SUBCOMMANDS = ['info', ...AMT_ACTIONS] as const;
const USAGE = `agent amt ${SUBCOMMANDS.join('|')} [--json] [options]`;

const OWN_FLAGS: FlagSpec[] = [
  { name: 'json', kind: 'boolean', help: 'print the result as one JSON object' },
  { name: 'timeout', kind: 'string', value: 'S', help: `seconds for the whole command (default ${DEFAULT_TIMEOUT_S})` },
];

/** Ours first; an action flag of the same name (e.g. json) is the same flag, not a second one. */
function mergedFlags(): FlagSpec[] {
  const names = new Set(OWN_FLAGS.map((f) => f.name));
  return [...OWN_FLAGS, ...AMT_ACTION_FLAGS.filter((f) => !names.has(f.name))];
}

export function makeAmtCommand(deps: AmtDeps): Command {
  const flags = mergedFlags();
  return {
    name: 'amt',
    usage: USAGE,
    details: [
      'Intel AMT through the ME interface (/dev/mei0..3; mei_me loaded; root).',
      'info: AMT version, build, SKU and its features, UUID, control mode, provisioning state,',
      'operational state (ME 16.1+), DNS suffix, remote access status, wired and wireless LAN',
      'settings, certificate hashes and whether the local system account exists. A field the',
      'firmware does not answer is shown as unavailable with the reason; --json keeps',
      "`rpc amtinfo --json`'s key names and lists the reasons under \"errors\".",
      'activate, deactivate, features: see their flags above.',
      'Exit 0 ok, 1 failed, 2 usage, 3 no ME or no AMT on this machine.',
    ].join('\n'),
    flags,
    maxPositionals: 1,
    async run(args, { io }): Promise<ExitCode> {
      const sub = args.positionals[0];
      if (sub === undefined || !(SUBCOMMANDS as readonly string[]).includes(sub)) {
        throw new UsageError(`agent amt: ${sub ? `unknown subcommand '${sub}'` : 'a subcommand is required'} (${SUBCOMMANDS.join(', ')})`);
      }
      if (sub !== 'info') return runAmtAction(sub as AmtAction, args, { io, openBus: () => deps.openBus() });
      for (const f of AMT_ACTION_FLAGS) {
        if (f.name !== 'json' && f.name !== 'timeout' && args.flags.has(f.name)) throw new UsageError(`agent amt info: --${f.name} belongs to another subcommand`);
      }
      return runInfo(args, io, deps);
    },
  };
}

export const amtCommand: Command = makeAmtCommand({ openBus: () => openDeviceBus(), osInterfaces: networkInterfaces, productUuid: dmiProductUuid });

function dmiProductUuid(): string | null {
  try {
    const v = readFileSync('/sys/class/dmi/id/product_uuid', 'utf8').trim().toLowerCase();
    return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(v) ? v : null;
  } catch {
    return null;
  }
}

async function runInfo(args: Parsed, io: Io, deps: AmtDeps): Promise<ExitCode> {
  const ms = timeoutFlagMs(args, 'agent amt info', DEFAULT_TIMEOUT_S);
  const bus = deps.openBus();
  if (!bus.ok) {
    io.err(`agent amt: no Intel ME on this machine: ${bus.error.message}\n`);
    return EXIT.UNSUPPORTED;
  }
  const osIfs = deps.osInterfaces;
  const info = await amtInfo(bus.value, deadlineIn(ms), {
    ...(osIfs ? { osInterfaces: () => osIfs() } : {}),
    ...(deps.productUuid ? { fallbackUuid: deps.productUuid } : {}),
  });
  const first = info.errors.amt;
  if (first && (first.code === 'NO_DEVICE' || first.code === 'NO_CLIENT')) {
    io.err(`agent amt: no Intel AMT on this machine: ${first.message}\n`);
    return EXIT.UNSUPPORTED;
  }
  if (args.flags.has('json')) io.out(`${JSON.stringify(info, null, 2)}\n`);
  else io.out(renderAmtInfo(info));
  return info.amt === undefined ? EXIT.FAILED : EXIT.OK;
}

const row = (label: string, value: string): string => `${label.padEnd(24)}: ${value}\n`;

/** Text in the shape of `rpc amtinfo`; a missing field says why. */
export function renderAmtInfo(info: AmtInfo): string {
  const field = (label: string, key: string, value: string | undefined): string => {
    if (value !== undefined) return row(label, value);
    const e = info.errors[key];
    return row(label, e ? `unavailable (${e.code}: ${e.message})` : 'unavailable');
  };
  let s = '';
  s += field('Version', 'amt', info.amt);
  s += field('Build Number', 'buildNumber', info.buildNumber);
  s += field('SKU', 'sku', info.sku);
  s += field('Features', 'features', info.features);
  s += field('UUID', 'uuid', info.uuid);
  s += field('Control Mode', 'controlMode', info.controlMode);
  s += field('Provisioning State', 'provisioningState', info.provisioningState);
  s += field('Operational State', 'operationalState', info.operationalState);
  if (info.tlsOnLocalPorts !== undefined) s += row('TLS on local ports', info.tlsOnLocalPorts ? 'enforced' : 'not enforced');
  s += field('DNS Suffix', 'dnsSuffix', info.dnsSuffix);
  if (info.ras) {
    s += row('RAS Network', info.ras.networkStatus);
    s += row('RAS Remote Status', info.ras.remoteStatus);
    s += row('RAS Trigger', info.ras.remoteTrigger);
    s += row('RAS MPS Hostname', info.ras.mpsHostname);
  } else s += field('RAS', 'ras', undefined);
  s += adapter('Wired Adapter', 'wiredAdapter', info.wiredAdapter, info);
  s += adapter('Wireless Adapter', 'wirelessAdapter', info.wirelessAdapter, info);
  s += field('Local System Account', 'localSystemAccount', info.localSystemAccount ? `present (user ${info.localSystemAccount.user})` : undefined);
  if (info.certificateHashes) {
    s += '---Certificate Hashes---\n';
    for (const h of Object.values(info.certificateHashes)) {
      const tags = [h.IsDefault ? 'Default' : '', h.IsActive ? 'Active' : 'Inactive'].filter(Boolean).join(', ');
      s += `${h.Name} (${tags})\n   ${h.Algorithm}: ${h.Hash}\n`;
      if (h.AlgorithmAmbiguity) s += `   note: ${h.AlgorithmAmbiguity}\n`;
    }
  } else s += field('Certificate Hashes', 'certificateHashes', undefined);
  return s;
}

function adapter(title: string, key: string, a: InterfaceSettings | undefined, info: AmtInfo): string {
  if (!a) {
    const e = info.errors[key];
    return `---${title}---\n${row('Settings', e ? `unavailable (${e.code}: ${e.message})` : 'unavailable')}`;
  }
  return (
    `---${title}---\n` +
    row('DHCP Enabled', String(a.dhcpEnabled)) +
    row('DHCP Mode', a.dhcpMode) +
    row('Link Status', a.linkStatus) +
    row('AMT IP Address', a.ipAddress) +
    row('OS IP Address', a.osIpAddress) +
    row('MAC Address', a.macAddress)
  );
}
