// What a Proxmox VE error means for the ladder. Pure: fed the status and the
// parsed body, so the mapping is tested without a server. The texts matched
// are the ones PVE dies with (qemu-server, pve-container, pve-guest-common,
// pve-cluster), read as facts from their sources.

import type { ChannelError } from '../types.ts';
import { excerpt, statusError } from '../http/api.ts';
import { errorText } from './parse.ts';

/** The VM is not (or no longer) on the node asked: look it up again. */
export type Moved = { moved: true; message: string };

/**
 * "Configuration file 'nodes/N/qemu-server/ID.conf' does not exist" (load_config
 * on a node the VM left), "hostname lookup 'N' failed" (a node no longer in the
 * cluster) and 595 (pveproxy could not reach the node: it may be down and HA may
 * have recovered the VM elsewhere) all say: ask the cluster where the VM is.
 */
const MOVED = /Configuration file 'nodes\/[^/']+\/(qemu-server|lxc)\/\d+\.conf' does not exist|hostname lookup '[^']*' failed|no such cluster node/;

/** A lock (backup, migration, snapshot), a lock file held, or a cluster without quorum: the same request works later. */
const BUSY = /is locked|can't lock file|got timeout|no quorum/i;

export function replyError(status: number, json: unknown, what: string): ChannelError | Moved {
  const text = errorText(json);
  if (status === 595 || (status === 500 && MOVED.test(text))) return { moved: true, message: `${what}: HTTP ${status}${text ? `: ${text}` : ''}` };
  // pveproxy answers 401 with an empty body and the reason in the status line ("No ticket",
  // "Authentication failed!", "Permission denied - invalid csrf token"); a failed login adds
  // {"message": "authentication failure"}.
  if (status === 401) return { code: 'AUTH', message: `${what}: HTTP 401, the credentials were refused${text ? `: ${text}` : ''}` };
  if (status === 403) return { code: 'AUTH', message: `${what}: HTTP 403, the user or token lacks the privilege${text ? `: ${text}` : ''}` };
  // pveproxy answers an unknown path or method with 501 (its reason names the method and path), not 404/405.
  if (status === 501) return { code: 'CONFIG', message: `${what}: HTTP 501${text ? `: ${text}` : ''}` };
  if (status === 400) return { code: 'CONFIG', message: `${what}: HTTP 400, parameters refused${text ? `: ${text}` : ''}` };
  if (status === 500 && BUSY.test(text)) return { code: 'BUSY', message: `${what}: ${text}` };
  if (status === 500 && /\b(not running|already running)\b/.test(text)) return { code: 'STATE', message: `${what}: ${text}` };
  return statusError(status, what, text);
}

export const isMoved = (e: ChannelError | Moved): e is Moved => 'moved' in e;

export type Verb = 'start' | 'stop' | 'reset';

/** "VM 100 already running" to a start, "CT 100 not running" to a stop: what was asked already holds. */
export const satisfied = (action: Verb, text: string): boolean => (action === 'start' && /already running/.test(text)) || (action === 'stop' && /not running/.test(text));

/**
 * A finished task's exitstatus: "OK" and "WARNINGS: N" succeeded (PVE::UPID
 * status_is_error), anything else is the error text. A start that finds the VM
 * running, or a stop that finds it stopped, reached what was asked.
 */
export function taskError(exitstatus: string, action: Verb, what: string): ChannelError | null {
  if (exitstatus === 'OK' || /^WARNINGS: \d+$/.test(exitstatus) || satisfied(action, exitstatus)) return null;
  const message = `${what}: the task failed: ${excerpt(exitstatus)}`;
  if (BUSY.test(exitstatus)) return { code: 'BUSY', message };
  return { code: 'STATE', message };
}
