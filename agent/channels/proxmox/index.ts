// The Proxmox VE channel: `--endpoint https://pve:8006 --vm VMID [--node N]
// [--kind qemu|lxc]` and either an API token (`--user USER@REALM!TOKENID
// --token-file F`) or a ticket login (`--user USER@REALM --password-file F`).
// PVE carries a self-signed certificate: pin it with --tls-fingerprint.

import { cerr, cok, type ChannelModule, type ChannelOptions, type ChannelResult } from '../types.ts';
import { apiTarget } from '../http/api.ts';
import type { Credentials } from './auth.ts';
import { ProxmoxDriver } from './driver.ts';
import { isKind, NODE_RE } from './parse.ts';

/** USER@REALM, as pve-access-control's userid format allows (no '!', which starts a token id). */
const USER_RE = /^[^\s:/!@]{1,64}@[A-Za-z][A-Za-z0-9.\-_]{1,31}$/;
const TOKEN_ID_RE = /^[^\s:/!@]{1,64}@[A-Za-z][A-Za-z0-9.\-_]{1,31}![A-Za-z][A-Za-z0-9.\-_]{1,63}$/;

function credentials(opts: ChannelOptions): ChannelResult<Credentials> {
  const secret = opts.secrets?.['token-file'];
  const user = opts.user ?? '';
  if (secret !== undefined && opts.password !== undefined) return cerr('CONFIG', 'give either --token-file or --password-file, not both');
  if (secret !== undefined) {
    if (!TOKEN_ID_RE.test(user)) return cerr('CONFIG', 'an API token needs --user USER@REALM!TOKENID');
    return cok({ kind: 'token', tokenId: user, secret });
  }
  if (opts.password !== undefined) {
    if (!USER_RE.test(user)) return cerr('CONFIG', 'a ticket login needs --user USER@REALM (a token id goes with --token-file)');
    return cok({ kind: 'ticket', user, password: opts.password });
  }
  return cerr('CONFIG', 'Proxmox needs --token-file (API token) or --password-file (ticket login)');
}

export const proxmoxChannel: ChannelModule = {
  name: 'proxmox',
  defaultPort: () => 8006,
  open(opts: ChannelOptions) {
    const p = opts.params ?? {};
    if (p['endpoint'] === undefined) return cerr('CONFIG', 'Proxmox needs --endpoint https://HOST:8006');
    const vm = p['vm'] ?? '';
    // pve-vmid: 100 to 999999999.
    if (!/^[1-9]\d{2,8}$/.test(vm)) return cerr('CONFIG', `--vm ${JSON.stringify(vm.slice(0, 20))} is not a VMID (100-999999999)`);
    const node = p['node'] ?? null;
    if (node !== null && !NODE_RE.test(node)) return cerr('CONFIG', `--node ${JSON.stringify(node.slice(0, 70))} is not a node name`);
    const kind = p['kind'] ?? null;
    if (kind !== null && !isKind(kind)) return cerr('CONFIG', '--kind is qemu or lxc');
    const creds = credentials(opts);
    if (!creds.ok) return creds;
    const target = apiTarget(opts, p['endpoint']);
    if (!target.ok) return target;
    const prefix = target.value.base.endsWith('/api2/json') ? '' : '/api2/json';
    return cok(new ProxmoxDriver({ target: target.value, prefix, vmid: Number(vm), node, kind, creds: creds.value }));
  },
};
