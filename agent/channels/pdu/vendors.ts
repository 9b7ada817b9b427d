// Which outlet table a PDU speaks, from its sysObjectID (SNMPv2-MIB
// 1.3.6.1.2.1.1.2.0), or from --vendor when the operator knows better (a
// rebadged PDU, an agent that reports a generic sysObjectID).

import { cerr, cok, type ChannelResult } from '../types.ts';
import { APC_RPDU, APC_RPDU2 } from './apc.ts';
import { CYBERPOWER } from './cyberpower.ts';
import { EATON } from './eaton.ts';
import { printable } from './decode.ts';
import { RARITAN } from './raritan.ts';
import { SENTRY3, SENTRY4 } from './servertech.ts';
import { VENDORS, type VendorName, type VendorTable } from './table.ts';

export const SYS_OBJECT_ID = '1.3.6.1.2.1.1.2.0';

export const TABLES: readonly VendorTable[] = [APC_RPDU, APC_RPDU2, RARITAN, EATON, SENTRY3, SENTRY4, CYBERPOWER];

/** For --vendor on a PDU whose sysObjectID names no table: the current generation of each family. */
const FAMILY_DEFAULT: Record<VendorName, VendorTable> = { apc: APC_RPDU2, raritan: RARITAN, eaton: EATON, servertech: SENTRY4, cyberpower: CYBERPOWER };

export const isVendor = (s: string): s is VendorName => (VENDORS as readonly string[]).includes(s);

/** The OID itself or anything under it (component-wise: 318.1.3.4.5 does not match 318.1.3.4.50). */
const within = (oid: string, root: string): boolean => oid === root || oid.startsWith(`${root}.`);

export function detect(sysObjectId: string | null, override: VendorName | null): ChannelResult<VendorTable> {
  const found = sysObjectId === null ? undefined : TABLES.find((t) => t.sysObjectIds.some((root) => within(sysObjectId, root)));
  if (override !== null) return cok(found && found.vendor === override ? found : FAMILY_DEFAULT[override]);
  if (found) return cok(found);
  const seen = sysObjectId === null ? 'no sysObjectID' : `sysObjectID ${printable(sysObjectId, 80)}`;
  return cerr('CONFIG', `the PDU reports ${seen}, which names no outlet table this agent knows; if it is one of ${VENDORS.join(', ')}, say so with --vendor`);
}
