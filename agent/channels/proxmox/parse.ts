// Proxmox VE API replies, as pure functions of the parsed JSON (pve-http-server
// wraps every result as {"data": ...}; an error as {"data": null, "message": ...}
// or, for a parameter error, {"data": null, "errors": {param: text}}). Each
// returns a value or a typed error and never throws: the bytes are untrusted.

import { cerr, cok, type ChannelResult, type Observed } from '../types.ts';
import { excerpt } from '../http/api.ts';

export type Kind = 'qemu' | 'lxc';
export const isKind = (s: string): s is Kind => s === 'qemu' || s === 'lxc';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A node name as PVE accepts it (pve-node format: a DNS label). */
export const NODE_RE = /^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$/;

/** The `data` member of a 2xx reply. */
export function envelope(json: unknown, what: string): ChannelResult<unknown> {
  if (!isObject(json) || !('data' in json)) return cerr('PROTOCOL', `${what}: the reply has no "data" member`);
  return cok(json['data']);
}

export interface Ticket {
  ticket: string;
  csrf: string;
}

/** POST /access/ticket -> {data: {username, ticket, CSRFPreventionToken, ...}}. */
export function parseTicket(json: unknown): ChannelResult<Ticket> {
  const d = envelope(json, 'login');
  if (!d.ok) return d;
  if (!isObject(d.value)) return cerr('PROTOCOL', 'login: "data" is not an object');
  const { ticket, CSRFPreventionToken: csrf } = d.value;
  // A second factor would answer a ticket for /access/tfa only ("NeedTFA"); a fencing account cannot answer it.
  if (d.value['NeedTFA'] !== undefined) return cerr('CONFIG', 'login: the account requires a second factor; use an API token');
  const printable = (s: unknown): s is string => typeof s === 'string' && s.length > 0 && s.length <= 4096 && /^[\x21-\x7e]+$/.test(s);
  if (!printable(ticket) || !printable(csrf)) return cerr('PROTOCOL', 'login: the reply lacks a usable ticket or CSRFPreventionToken');
  return cok({ ticket, csrf });
}

/**
 * GET .../status/current -> Observed. `lock` is checked first: a VM under a
 * migration, backup, clone, rollback or snapshot refuses power requests ("VM is
 * locked") and may start again when the operation ends (a live-snapshot rollback
 * or an HA migration does), so it is not settled: transitioning. The one lock
 * that is settled is 'suspended' on a stopped VM (hibernated to disk: no QEMU
 * process; a start resumes it), which is off. Of a running QEMU VM, `qmpstatus`
 * 'paused' (and a guest's own S3 'suspended', or a crashed guest) is on: the
 * process lives, holds its disks and can be resumed without us, so a fence must
 * stop it. Launch and migration phases are transitioning.
 */
export function parseVmStatus(json: unknown): ChannelResult<Observed> {
  const d = envelope(json, 'status');
  if (!d.ok) return d;
  if (!isObject(d.value)) return cerr('PROTOCOL', 'status: "data" is not an object');
  const { status, lock, qmpstatus } = d.value;
  if (typeof status !== 'string') return cerr('PROTOCOL', 'status: no "status" string in the reply');
  if (lock !== undefined && typeof lock !== 'string') return cerr('PROTOCOL', 'status: "lock" is not a string');
  if (qmpstatus !== undefined && typeof qmpstatus !== 'string') return cerr('PROTOCOL', 'status: "qmpstatus" is not a string');
  if (status === 'stopped') return cok(lock === undefined || lock === '' || lock === 'suspended' ? 'off' : 'transitioning');
  if (status !== 'running') return cok('unknown');
  if (lock !== undefined && lock !== '') return cok('transitioning');
  if (qmpstatus !== undefined && MOVING_QMP.has(qmpstatus)) return cok('transitioning');
  return cok('on');
}

/** QEMU run states (QMP query-status) in which the VM is neither settled on nor off. */
const MOVING_QMP = new Set(['prelaunch', 'inmigrate', 'postmigrate', 'finish-migrate', 'restore-vm', 'save-vm']);

export interface Placement {
  node: string;
  kind: Kind;
}

/** GET /cluster/resources?type=vm -> where VMID lives now (and whether it is a VM or a container). */
export function findVm(json: unknown, vmid: number, kind: Kind | null): ChannelResult<Placement | null> {
  const d = envelope(json, 'cluster resources');
  if (!d.ok) return d;
  if (!Array.isArray(d.value)) return cerr('PROTOCOL', 'cluster resources: "data" is not a list');
  for (const r of d.value) {
    if (!isObject(r) || r['vmid'] !== vmid) continue;
    const { type, node } = r;
    if (typeof type !== 'string' || !isKind(type)) continue;
    if (kind !== null && type !== kind) continue;
    if (typeof node !== 'string' || !NODE_RE.test(node)) return cerr('PROTOCOL', `cluster resources: VM ${vmid} has no valid node name`);
    return cok({ node, kind: type });
  }
  return cok(null);
}

/** The node a task runs on is part of its UPID ("UPID:node:pid:pstart:starttime:type:id:user:"). */
export function parseUpid(json: unknown): ChannelResult<{ upid: string; node: string }> {
  const d = envelope(json, 'power request');
  if (!d.ok) return d;
  const upid = d.value;
  if (typeof upid !== 'string' || upid.length > 512) return cerr('PROTOCOL', 'power request: "data" is not a task id');
  const m = /^UPID:([a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?):[0-9A-Fa-f]{8}:[0-9A-Fa-f]{8,9}:[0-9A-Fa-f]{8}:[^:\s/]+:[^:\s/]*:[^:\s/]+:$/.exec(upid);
  if (!m?.[1]) return cerr('PROTOCOL', `power request: ${JSON.stringify(excerpt(upid))} is not a UPID`);
  return cok({ upid, node: m[1] });
}

export type TaskState = { running: true } | { running: false; exitstatus: string };

/** GET /nodes/{node}/tasks/{upid}/status -> running, or stopped with its exitstatus. */
export function parseTask(json: unknown): ChannelResult<TaskState> {
  const d = envelope(json, 'task status');
  if (!d.ok) return d;
  if (!isObject(d.value)) return cerr('PROTOCOL', 'task status: "data" is not an object');
  const { status, exitstatus } = d.value;
  if (status === 'running') return cok({ running: true });
  if (status !== 'stopped') return cerr('PROTOCOL', `task status: unexpected status ${JSON.stringify(excerpt(status))}`);
  // A task read at the instant it ended may not have its status line yet; that reads as "unexpected status".
  if (typeof exitstatus !== 'string') return cerr('PROTOCOL', 'task status: a stopped task without an exitstatus');
  return cok({ running: false, exitstatus });
}

/** The message of an error reply ({"data": null, "message": ..., "errors": {...}}), bounded and printable. */
export function errorText(json: unknown): string {
  if (!isObject(json)) return '';
  const parts: string[] = [];
  if (typeof json['message'] === 'string') parts.push(json['message'].trim());
  const errors = json['errors'];
  if (isObject(errors)) for (const [k, v] of Object.entries(errors).slice(0, 5)) parts.push(`${k}: ${typeof v === 'string' ? v.trim() : '?'}`);
  return excerpt(parts.join('; '));
}
