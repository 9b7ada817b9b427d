// The smart-PDU channel: a node's outlets switched over SNMP (v2c with a
// community, or v3 USM authPriv), the vendor's outlet table chosen from the
// PDU's sysObjectID. Options are checked here; no I/O until the first call.

import net from 'node:net';
import { cerr, cok, type ChannelModule, type ChannelOptions, type ChannelResult } from '../types.ts';
import { parseOutlets, printable } from './decode.ts';
import { PduDriver } from './driver.ts';
import { SnmpClient, type AuthProtocol, type Credentials, type PrivProtocol } from './session.ts';
import type { VendorName } from './table.ts';
import { isVendor } from './vendors.ts';

const AUTH: readonly AuthProtocol[] = ['sha', 'sha256', 'sha512', 'md5'];
const PRIV: readonly PrivProtocol[] = ['aes', 'aes256b', 'des'];
/** RFC 3414 §11.2: passphrases shorter than 8 octets are not allowed for key localization. */
const MIN_KEY = 8;

function credentials(opts: ChannelOptions): ChannelResult<Credentials> {
  const s = opts.secrets ?? {};
  const p = opts.params ?? {};
  const community = s['community-file'];
  const authKey = s['auth-file'];
  const privKey = s['priv-file'];
  const v3 = opts.user !== undefined || authKey !== undefined || privKey !== undefined;
  if (community !== undefined && v3) return cerr('CONFIG', 'give either --community-file (SNMPv2c) or --user with --auth-file and --priv-file (SNMPv3), not both');
  if (community !== undefined) return community.length > 0 ? cok({ version: 'v2c', community }) : cerr('CONFIG', 'the community file is empty');
  if (!v3) return cerr('CONFIG', 'the PDU needs --community-file (SNMPv2c) or --user, --auth-file and --priv-file (SNMPv3)');
  if (!opts.user || authKey === undefined || privKey === undefined) return cerr('CONFIG', 'SNMPv3 needs --user, --auth-file and --priv-file (authPriv only)');
  if (authKey.length < MIN_KEY || privKey.length < MIN_KEY) return cerr('CONFIG', `SNMPv3 passphrases must be at least ${MIN_KEY} characters (RFC 3414)`);
  const ap = p['auth-protocol'] ?? 'sha';
  const pp = p['priv-protocol'] ?? 'aes';
  const authProtocol = AUTH.find((a) => a === ap);
  const privProtocol = PRIV.find((a) => a === pp);
  if (!authProtocol) return cerr('CONFIG', `--auth-protocol ${printable(ap, 20)}: want ${AUTH.join(', ')}`);
  if (!privProtocol) return cerr('CONFIG', `--priv-protocol ${printable(pp, 20)}: want ${PRIV.join(', ')}`);
  if (!/^[\x21-\x7e]{1,32}$/.test(opts.user)) return cerr('CONFIG', 'the SNMPv3 user name is 1-32 printable characters');
  return cok({ version: 'v3', user: opts.user, authProtocol, authKey, privProtocol, privKey });
}

export const pduChannel: ChannelModule = {
  name: 'pdu',
  defaultPort: () => 161,
  open(opts: ChannelOptions) {
    const host = opts.host?.replace(/^\[(.*)\]$/, '$1');
    if (!host) return cerr('CONFIG', 'the PDU channel needs a host');
    if (net.isIP(host) === 0 && !/^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(host)) return cerr('CONFIG', `"${printable(host, 80)}" is not a host name or address`);
    const port = opts.port ?? 161;
    if (!Number.isInteger(port) || port < 1 || port > 65535) return cerr('CONFIG', `port ${port} is out of range`);
    const spec = opts.params?.outlet;
    if (spec === undefined) return cerr('CONFIG', 'the PDU channel needs --outlet');
    const refs = parseOutlets(spec);
    if (!refs.ok) return refs;
    const v = opts.params?.vendor;
    let vendor: VendorName | null = null;
    if (v !== undefined) {
      if (!isVendor(v)) return cerr('CONFIG', `--vendor ${printable(v, 20)}: want apc, raritan, eaton, servertech or cyberpower`);
      vendor = v;
    }
    const creds = credentials(opts);
    if (!creds.ok) return creds;
    return cok(new PduDriver(new SnmpClient({ host, port }, creds.value), refs.value, vendor));
  },
};
