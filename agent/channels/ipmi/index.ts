// IPMI over LAN (RMCP+) as a power channel: status from Get Chassis Status,
// requests as Chassis Control, one session kept from the first call to close().

import { IpmiClient } from '../../ipmi/client.ts';
import { CONTROL } from '../../ipmi/messages.ts';
import { cerr, cok, type ChannelModule, type ChannelOptions, type ChannelResult, type Deadline, type Observed, type PowerAction, type PowerDriver } from '../types.ts';

export const IPMI_PORT = 623;

const ACTIONS: Record<PowerAction, number> = { on: CONTROL.on, off: CONTROL.off, cycle: CONTROL.cycle, reset: CONTROL.reset };

function validate(opts: ChannelOptions): ChannelResult<{ host: string; user: string; password: string; port: number }> {
  if (!opts.host) return cerr('CONFIG', 'IPMI needs a host');
  if (opts.password === undefined) return cerr('CONFIG', 'IPMI needs a password');
  // ipmitool's default user is the empty (anonymous) one; a fencing channel must name its user.
  if (!opts.user) return cerr('CONFIG', 'IPMI needs a user name (--user); the anonymous user is not used');
  if (Buffer.byteLength(opts.user) > 16) return cerr('CONFIG', 'an IPMI user name holds at most 16 bytes');
  // K_UID is the password in 20 bytes (§13.31): a longer one cannot be what the BMC stores.
  if (Buffer.byteLength(opts.password) > 20) return cerr('CONFIG', 'an IPMI v2.0 password holds at most 20 bytes');
  const port = opts.port ?? IPMI_PORT;
  if (!Number.isInteger(port) || port < 1 || port > 65535) return cerr('CONFIG', `invalid port ${String(opts.port)}`);
  return cok({ host: opts.host, user: opts.user, password: opts.password, port });
}

export const ipmiChannel: ChannelModule = {
  name: 'ipmi',
  defaultPort: () => IPMI_PORT,
  open(opts: ChannelOptions): ChannelResult<PowerDriver> {
    const v = validate(opts);
    if (!v.ok) return v;
    const { host, port, user, password } = v.value;
    const client = new IpmiClient({ host, port, user, password, allowWeakCiphers: opts.allowWeakCiphers === true });
    const target = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    const driver: PowerDriver = {
      describe: () => ({ channel: 'ipmi', target, actions: ['on', 'off', 'cycle', 'reset'], verifiable: true }),
      async status(d: Deadline): Promise<ChannelResult<Observed>> {
        const r = await client.powerOn(d);
        return r.ok ? cok(r.value ? 'on' : 'off') : r;
      },
      request(action: PowerAction, d: Deadline): Promise<ChannelResult<void>> {
        return client.control(ACTIONS[action], d);
      },
      close: (d: Deadline) => client.close(d),
    };
    return cok(driver);
  },
};
