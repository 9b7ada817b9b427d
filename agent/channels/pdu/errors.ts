// net-snmp's failures, mapped onto the channel error codes. The library's own
// messages are not passed on: an authentication failure carries digests and
// the user object, so every message here is written from the error's kind.

import { cerr, type ChannelResult } from '../types.ts';

/** RFC 3416 error-status values (net-snmp's ErrorStatus numbering). */
const BUSY_STATUS = new Set([5, 13, 14, 15]); // genErr, resourceUnavailable, commitFailed, undoFailed
const CONFIG_STATUS = new Set([2, 3, 7, 8, 9, 10, 11, 12, 18]); // noSuchName, badValue, wrongType/Length/Encoding/Value, noCreation, inconsistentValue/Name
const AUTH_STATUS = new Set([4, 6, 16, 17]); // readOnly, noAccess, authorizationError, notWritable
const STATUS_NAMES: Record<number, string> = {
  1: 'tooBig', 2: 'noSuchName', 3: 'badValue', 4: 'readOnly', 5: 'genErr', 6: 'noAccess', 7: 'wrongType', 8: 'wrongLength', 9: 'wrongEncoding',
  10: 'wrongValue', 11: 'noCreation', 12: 'inconsistentValue', 13: 'resourceUnavailable', 14: 'commitFailed', 15: 'undoFailed', 16: 'authorizationError',
  17: 'notWritable', 18: 'inconsistentName',
};
/** net-snmp's ResponseInvalidCode values that matter here. */
const E_COULD_NOT_DECRYPT = 4;
const E_AUTH_FAILURE = 5;
const E_NOT_IN_TIME_WINDOW = 14;

const field = (e: object, k: string): unknown => (k in e ? (e as Record<string, unknown>)[k] : undefined);

export interface ErrorContext {
  /** "GET of outlet state", "SET off" */
  what: string;
  target: string;
  version: 'v2c' | 'v3';
  waitedMs: number;
}

export function snmpError(e: unknown, c: ErrorContext): ChannelResult<never> {
  if (typeof e !== 'object' || e === null) return cerr('PROTOCOL', `${c.what}: the SNMP library failed without an error object`);
  const name = field(e, 'name');
  if (name === 'RequestTimedOutError') {
    // A v2c agent drops a request with a wrong community without a word (RFC 3584 §4.1 snmpInBadCommunityNames), so silence cannot tell a wrong community from a dead PDU.
    const hint = c.version === 'v2c' ? ' (an SNMPv2c agent ignores a wrong community silently: check the community, the port and the PDU\'s access list)' : '';
    return cerr('TIMEOUT', `${c.what}: no answer from ${c.target} in ${Math.round(c.waitedMs)} ms${hint}`);
  }
  if (name === 'RequestFailedError') {
    const status = field(e, 'status');
    const s = typeof status === 'number' ? status : 5;
    const label = STATUS_NAMES[s] ?? `error-status ${s}`;
    if (BUSY_STATUS.has(s)) return cerr('BUSY', `${c.what}: the PDU answered ${label}`);
    if (AUTH_STATUS.has(s)) return cerr('AUTH', `${c.what}: the PDU answered ${label}: these credentials may not do this (a read-only community or user?)`);
    if (CONFIG_STATUS.has(s)) return cerr('CONFIG', `${c.what}: the PDU answered ${label}: wrong outlet or vendor table`);
    return cerr('PROTOCOL', `${c.what}: the PDU answered ${label}`);
  }
  if (name === 'ResponseInvalidError') {
    const code = field(e, 'code');
    const msg = String(field(e, 'message') ?? '');
    if (code === E_AUTH_FAILURE) {
      // USM report PDUs (RFC 3414 §3.2): unknownUserNames, wrongDigests, decryptionErrors, unsupportedSecLevels.
      const why = /unknown user/i.test(msg) ? 'unknown user name' : /digest/i.test(msg) ? 'wrong authentication key (wrongDigests)' : /decrypt/i.test(msg) ? 'wrong privacy key (decryptionErrors)' : /security level/i.test(msg) ? 'security level not supported for this user' : /time window/i.test(msg) ? 'not in time window' : 'authentication failed';
      if (why === 'not in time window') return cerr('BUSY', `${c.what}: the PDU reported ${why}`);
      return cerr('AUTH', `${c.what}: SNMPv3 ${why}`);
    }
    if (code === E_COULD_NOT_DECRYPT) return cerr('AUTH', `${c.what}: the reply could not be decrypted (wrong privacy key or protocol)`);
    if (code === E_NOT_IN_TIME_WINDOW) return cerr('BUSY', `${c.what}: the reply was outside the SNMPv3 time window`);
    return cerr('PROTOCOL', `${c.what}: an invalid SNMP reply (code ${typeof code === 'number' ? code : '?'})`);
  }
  if (name === 'RequestInvalidError') return cerr('CONFIG', `${c.what}: the request could not be encoded`);
  const code = field(e, 'code');
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'ECONNREFUSED' || code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return cerr('UNREACHABLE', `${c.what}: ${c.target}: ${code}`);
  if (typeof code === 'string' && /^ERR_OSSL/.test(code)) return cerr('CONFIG', `${c.what}: this Node.js build refuses the privacy cipher (DES needs --openssl-legacy-provider)`);
  return cerr('PROTOCOL', `${c.what}: ${typeof code === 'string' ? code : 'unexpected failure'}`);
}
