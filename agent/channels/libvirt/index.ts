// libvirt as a power channel, through virsh over a connection URI: status from
// `virsh domstate`, on = `start`, off = `destroy` (a hard stop: fencing cannot
// wait for a guest to shut down), reset = `reset`; the ladder does cycle. virsh
// rather than libvirt's RPC protocol: one binary covers every transport and
// authentication libvirt has (unix socket with polkit, ssh, TLS with client
// certificates, SASL through auth.conf), the agent holds no credential, and each
// call is one short process whose whole group the deadline can kill.

import { cerr, cok, type ChannelModule, type ChannelOptions, type ChannelResult, type Deadline, type Observed, type PowerAction, type PowerDriver } from '../types.ts';
import { readRequest, readState, type VirshVerb } from './parse.ts';
import { runVirsh, VIRSH, type VirshCommand } from './virsh.ts';

const VERBS: Partial<Record<PowerAction, VirshVerb>> = { on: 'start', off: 'destroy', reset: 'reset' };

export interface LibvirtTarget {
  uri: string;
  domain: string;
}

const CONTROL = /[\u0000-\u001f\u007f]/;

export function parseTarget(params: Readonly<Record<string, string>> | undefined): ChannelResult<LibvirtTarget> {
  const uri = params?.uri ?? '';
  const domain = params?.domain ?? '';
  // libvirt URIs always start with a driver scheme (qemu:, qemu+ssh:, test:, xen:, esx:...).
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:\S+$/.test(uri) || CONTROL.test(uri)) return cerr('CONFIG', 'libvirt needs --uri DRIVER[+TRANSPORT]://[USER@][HOST]/PATH, e.g. qemu+ssh://root@host/system');
  if (domain === '' || CONTROL.test(domain) || domain.length > 1024) return cerr('CONFIG', 'libvirt needs --domain NAME or UUID');
  // virsh reads a number as a running domain's ID first, which names another domain after a restart.
  if (/^\d+$/.test(domain)) return cerr('CONFIG', `--domain ${domain} would be read by virsh as a domain ID; give the domain's name or UUID`);
  return cok({ uri, domain });
}

/** The driver, on a given virsh (the tests point it at a test double for the hang case). */
export function libvirtDriver(t: LibvirtTarget, virsh: VirshCommand = VIRSH): PowerDriver {
  const run = (command: string, d: Deadline) => runVirsh(virsh, ['-c', t.uri, command, '--domain', t.domain], d);
  return {
    describe: () => ({ channel: 'libvirt', target: `${t.uri} domain ${t.domain}`, actions: ['on', 'off', 'reset'], verifiable: true }),
    async status(d: Deadline): Promise<ChannelResult<Observed>> {
      return readState(await run('domstate', d));
    },
    async request(action: PowerAction, d: Deadline): Promise<ChannelResult<void>> {
      const verb = VERBS[action];
      // cycle is the ladder's (off, verified off, on): libvirt has no power cycle of its own.
      if (verb === undefined) return cerr('UNSUPPORTED', `libvirt has no ${action}; the ladder does it`);
      return readRequest(verb, await run(verb, d));
    },
    // Every call is its own virsh connection: nothing is left open.
    close: async () => {},
  };
}

export const libvirtChannel: ChannelModule = {
  name: 'libvirt',
  // The URI names any port (qemu+tcp://host:16509/system); the channel has none of its own.
  defaultPort: () => 0,
  open(opts: ChannelOptions): ChannelResult<PowerDriver> {
    const t = parseTarget(opts.params);
    return t.ok ? cok(libvirtDriver(t.value)) : t;
  },
};
