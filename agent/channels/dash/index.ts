// The AMD DASH channel (DMTF DSP0232): WS-Management on 623 (HTTP) / 664
// (HTTPS), the same CIM classes and ResourceURIs as AMT (DSP0227 mapping under
// cim-schema/2), the Power State Management Profile DSP1027. Unlike AMT the
// host CIM_ComputerSystem has no fixed Name (DASH firmware names it, often by
// the system GUID), so its selectors are taken from the association's
// UserOfService reference, as DSP1027 §9.5 describes. Default user
// `Administrator`: the account Realtek DASH firmware and AMD's DASH tools set
// up (from their documentation, not confirmed against a device here).

import { cerr, cok, type ChannelModule, type ChannelOptions, type ChannelResult } from '../types.ts';
import type { WsmanProfile } from '../wsman/driver.ts';
import { URI } from '../wsman/envelope.ts';
import { defaultPort, openWsman } from '../wsman/open.ts';
import type { PowerAssociation } from '../wsman/parse.ts';

const PORTS = { http: 623, https: 664 };

const nameOf = (a: PowerAssociation): string => a.managed.selectors.find(([n]) => n === 'Name')?.[1] ?? '(no Name)';

export const DASH_PROFILE: WsmanProfile = {
  channel: 'dash',
  pick(items: readonly PowerAssociation[]): ChannelResult<PowerAssociation> {
    const hosts = items.filter((a) => a.managed.resourceUri === URI.computerSystem);
    const only = hosts[0];
    if (hosts.length === 1 && only) return cok(only);
    if (hosts.length === 0) return cerr('UNSUPPORTED', 'the device manages the power of no CIM_ComputerSystem');
    // Several systems and no option to choose one: refuse rather than power the wrong machine.
    return cerr('CONFIG', `the device manages the power of ${hosts.length} systems (${hosts.map(nameOf).join(', ')}); refusing to guess`);
  },
};

export const dashChannel: ChannelModule = {
  name: 'dash',
  defaultPort: (opts: ChannelOptions) => defaultPort(PORTS, opts),
  open: (opts: ChannelOptions) => openWsman(opts, DASH_PROFILE, PORTS, 'Administrator'),
};
