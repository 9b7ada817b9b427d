// The Intel AMT channel: WS-Management on 16992 (HTTP) / 16993 (HTTPS), digest
// user `admin` unless told otherwise (the account AMT provisioning creates;
// fence_amt_ws hard-codes it). The host is Intel's "managed system", the
// CIM_ComputerSystem with Name=ManagedSystem (Intel AMT SDK, Change System
// Power State; wsman-messages' RequestPowerStateChange), found through the
// association so its service reference comes from the device itself.

import { cerr, cok, type ChannelModule, type ChannelOptions, type ChannelResult } from '../types.ts';
import type { WsmanProfile } from '../wsman/driver.ts';
import { URI } from '../wsman/envelope.ts';
import { defaultPort, openWsman } from '../wsman/open.ts';
import type { PowerAssociation } from '../wsman/parse.ts';

const PORTS = { http: 16992, https: 16993 };

export const AMT_PROFILE: WsmanProfile = {
  channel: 'amt',
  pick(items: readonly PowerAssociation[]): ChannelResult<PowerAssociation> {
    const host = items.find(
      (a) => a.managed.resourceUri === URI.computerSystem && a.managed.selectors.some(([n, v]) => n === 'Name' && v === 'ManagedSystem'),
    );
    if (host) return cok(host);
    return cerr('CONFIG', `the device lists ${items.length} power associations and none for CIM_ComputerSystem ManagedSystem: not Intel AMT?`);
  },
};

export const amtChannel: ChannelModule = {
  name: 'amt',
  defaultPort: (opts: ChannelOptions) => defaultPort(PORTS, opts),
  open: (opts: ChannelOptions) => openWsman(opts, AMT_PROFILE, PORTS, 'admin'),
};
