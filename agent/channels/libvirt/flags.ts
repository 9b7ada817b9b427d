// The libvirt channel's own flags; cheap to import (the CLI reads them before loading the channel).
// No secret flag: virsh authenticates by itself (ssh keys, TLS client certificates, or libvirt's
// auth.conf named by LIBVIRT_AUTH_FILE), so no credential passes through the agent at all.

import type { ChannelFlag } from '../types.ts';

export const LIBVIRT_FLAGS: readonly ChannelFlag[] = [
  { name: 'uri', value: 'URI', help: 'libvirt connection URI, e.g. qemu+ssh://root@host/system or qemu:///system', required: true },
  { name: 'domain', value: 'NAME|UUID', help: "the domain's name or UUID (not its numeric ID, which changes on every start)", required: true },
];
