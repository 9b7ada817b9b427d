// EC2 Query API replies (XML, API version 2016-11-15): the instance state of a
// DescribeInstances, the acknowledgement of Start/Stop/RebootInstances, and the
// <Response><Errors><Error><Code> document of a refusal. Untrusted bytes in, a
// value or a typed error out, never an exception.

import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { cerr, cok, type ChannelErrorCode, type ChannelResult, type Observed } from '../types.ts';
import { excerpt, statusError } from '../http/api.ts';

const MAX_XML = 256 * 1024;

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  trimValues: true,
  processEntities: false,
  isArray: (name) => name === 'item' || name === 'Error',
});

type Node = Record<string, unknown>;
const isNode = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);
const child = (n: unknown, key: string): unknown => (isNode(n) ? n[key] : undefined);
const items = (n: unknown): Node[] => {
  const v = child(n, 'item');
  return Array.isArray(v) ? v.filter(isNode) : [];
};
const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

export function parseXml(body: string): ChannelResult<Node> {
  if (body.length > MAX_XML) return cerr('PROTOCOL', 'the EC2 reply is larger than expected');
  if (XMLValidator.validate(body) !== true) return cerr('PROTOCOL', 'the EC2 reply is not XML');
  try {
    const doc: unknown = parser.parse(body);
    return isNode(doc) ? cok(doc) : cerr('PROTOCOL', 'the EC2 reply is not an XML document');
  } catch {
    return cerr('PROTOCOL', 'the EC2 reply is not XML');
  }
}

/** EC2's error codes -> ours. Throttling and a state the action cannot start from are transient; credentials never are. */
const CODES: ReadonlyMap<string, ChannelErrorCode> = new Map(Object.entries({
  AuthFailure: 'AUTH',
  UnauthorizedOperation: 'AUTH',
  SignatureDoesNotMatch: 'AUTH',
  InvalidClientTokenId: 'AUTH',
  MissingAuthenticationToken: 'AUTH',
  IncompleteSignature: 'AUTH',
  ExpiredToken: 'AUTH',
  RequestExpired: 'AUTH',
  OptInRequired: 'AUTH',
  Blocked: 'AUTH',
  RequestLimitExceeded: 'BUSY',
  Throttling: 'BUSY',
  IncorrectInstanceState: 'BUSY',
  IncorrectState: 'BUSY',
  ServiceUnavailable: 'BUSY',
  Unavailable: 'BUSY',
  InsufficientInstanceCapacity: 'BUSY',
  InternalError: 'UNREACHABLE',
  'InvalidInstanceID.NotFound': 'CONFIG',
  'InvalidInstanceID.Malformed': 'CONFIG',
  UnsupportedOperation: 'UNSUPPORTED',
}));

/** A non-2xx reply: EC2's own code when the body carries one, else the HTTP status. */
export function ec2Error(status: number, body: string, what: string): { code: ChannelErrorCode; message: string } {
  const doc = parseXml(body);
  const errs = doc.ok ? child(child(child(doc.value, 'Response'), 'Errors'), 'Error') : undefined;
  const first = Array.isArray(errs) ? errs[0] : undefined;
  const code = text(child(first, 'Code'));
  if (code === undefined) return statusError(status, what);
  const message = `${what}: ${excerpt(code)}: ${excerpt(text(child(first, 'Message')) ?? '')}`;
  return { code: CODES.get(code) ?? statusError(status, what).code, message };
}

/** The instance's state name -> what the ladder sees. A terminated instance is gone for good: CONFIG, never retried. */
export function observed(name: string, instance: string): ChannelResult<Observed> {
  switch (name) {
    case 'running':
      return cok('on');
    case 'stopped':
      return cok('off');
    case 'pending':
    case 'stopping':
      return cok('transitioning');
    case 'shutting-down':
    case 'terminated':
      return cerr('CONFIG', `instance ${instance} is ${name}: a terminated instance cannot be powered on again`);
    default:
      return cerr('PROTOCOL', `instance ${instance}: unknown state ${JSON.stringify(excerpt(name))}`);
  }
}

/** DescribeInstancesResponse -> the named instance's state. */
export function parseDescribe(body: string, instance: string): ChannelResult<Observed> {
  const doc = parseXml(body);
  if (!doc.ok) return doc;
  const root = child(doc.value, 'DescribeInstancesResponse');
  if (!isNode(root)) return cerr('PROTOCOL', 'the reply is not a DescribeInstancesResponse');
  for (const reservation of items(root.reservationSet)) {
    for (const inst of items(reservation.instancesSet)) {
      if (text(inst.instanceId) !== instance) continue;
      const name = text(child(inst.instanceState, 'name'));
      if (name === undefined) return cerr('PROTOCOL', `instance ${instance}: no instanceState name`);
      return observed(name, instance);
    }
  }
  return cerr('CONFIG', `instance ${instance} is not in the DescribeInstances reply (wrong region or id?)`);
}

/** Start/Stop/RebootInstancesResponse: the action's own document; Reboot answers <return>true</return>. */
export function parseAck(body: string, action: 'StartInstances' | 'StopInstances' | 'RebootInstances'): ChannelResult<void> {
  const doc = parseXml(body);
  if (!doc.ok) return doc;
  const root = child(doc.value, `${action}Response`);
  if (!isNode(root)) return cerr('PROTOCOL', `the reply is not a ${action}Response`);
  if (action === 'RebootInstances' && text(root.return) !== 'true') return cerr('PROTOCOL', 'RebootInstances did not return true');
  return cok(undefined);
}
