// The PDU channel's own flags (the CLI reads these before loading the channel).
// The community and the USM keys are secrets: files, never argv. --user is the
// common flag (the SNMPv3 user name).

import type { ChannelFlag } from '../types.ts';

export const PDU_FLAGS: readonly ChannelFlag[] = [
  { name: 'outlet', value: 'N[,M]', help: 'the node\'s outlets, by number or by name (web1-psuA,web1-psuB); all are switched together', required: true },
  { name: 'community-file', value: 'F', help: 'SNMPv2c: file whose first line is the community', secret: true },
  { name: 'auth-file', value: 'F', help: 'SNMPv3 (with --user): file whose first line is the authentication passphrase', secret: true },
  { name: 'priv-file', value: 'F', help: 'SNMPv3 (with --user): file whose first line is the privacy passphrase', secret: true },
  { name: 'auth-protocol', value: 'sha|sha256|sha512|md5', help: 'SNMPv3 authentication protocol (default sha)' },
  { name: 'priv-protocol', value: 'aes|aes256b|des', help: 'SNMPv3 privacy protocol (default aes; des needs Node\'s legacy OpenSSL provider)' },
  { name: 'vendor', value: 'apc|raritan|eaton|servertech|cyberpower', help: 'the outlet table, when the sysObjectID does not say it' },
];
