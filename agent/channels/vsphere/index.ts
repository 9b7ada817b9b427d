// The vSphere channel: `--endpoint https://vcenter --vm VM-ID --user U
// --password-file F [--api api|rest]`. vCenter usually carries a certificate
// from its own VMCA: pin it with --tls-fingerprint, or trust the CA system-wide.

import { cerr, cok, type ChannelModule, type ChannelOptions } from '../types.ts';
import { apiTarget } from '../http/api.ts';
import { VsphereDriver } from './driver.ts';

export const vsphereChannel: ChannelModule = {
  name: 'vsphere',
  defaultPort: () => 443,
  open(opts: ChannelOptions) {
    const p = opts.params ?? {};
    if (p['endpoint'] === undefined) return cerr('CONFIG', 'vSphere needs --endpoint https://VCENTER');
    const vm = p['vm'] ?? '';
    // A managed object id (vm-42); the API takes it as a path segment.
    if (!/^[A-Za-z0-9][A-Za-z0-9._:-]{0,79}$/.test(vm)) return cerr('CONFIG', `--vm ${JSON.stringify(vm.slice(0, 80))} is not a VM identifier such as vm-42`);
    const api = p['api'] ?? null;
    if (api !== null && api !== 'api' && api !== 'rest') return cerr('CONFIG', '--api is api or rest');
    if (!opts.user) return cerr('CONFIG', 'vSphere needs --user');
    if (!opts.password) return cerr('CONFIG', 'vSphere needs --password-file');
    const target = apiTarget(opts, p['endpoint']);
    if (!target.ok) return target;
    return cok(new VsphereDriver({ target: target.value, vm, user: opts.user, password: opts.password, dialect: api }));
  },
};
