// What one virsh run said, as a channel result. Pure: fed the exit status and
// the bytes virsh printed (under LC_ALL=C, so the words are libvirt's English
// ones), never throws, and is fuzzed. virsh prints its answer on stdout and
// each error as a line "error: MESSAGE" on stderr (virsh(1)); the exit status
// decides which of the two counts.

import { cerr, cok, type ChannelErrorCode, type ChannelResult, type Observed } from '../types.ts';

/** How a virsh run ended, as the runner saw it. */
export type VirshRun =
  | { kind: 'exited'; code: number; stdout: string; stderr: string }
  | { kind: 'signalled'; signal: string }
  | { kind: 'timeout'; ms: number }
  | { kind: 'missing' }
  | { kind: 'failed'; reason: string }
  | { kind: 'overflow'; bytes: number };

/** The virsh commands the channel sends: on = start, off = destroy (a hard stop, not shutdown), reset. */
export type VirshVerb = 'start' | 'destroy' | 'reset';

/**
 * `virsh domstate` words (virsh(1) "STATES") and what each means for fencing. A domain is
 * off only when libvirt holds no running instance of it: paused, pmsuspended (guest S3)
 * and crashed (a panicked guest kept by on_crash=preserve) still have their QEMU process
 * and memory, can carry on where they stopped once resumed, refuse `start` and need
 * `destroy` to be off, so they read as on (fence_virsh counts paused as on too). A cycle
 * therefore brings them back running; an `on` finds them "already on".
 */
const STATES = new Map<string, Observed>([
  ['running', 'on'],
  ['idle', 'on'],
  ['blocked', 'on'],
  ['paused', 'on'],
  ['pmsuspended', 'on'],
  ['crashed', 'on'],
  // The guest has begun to stop; QEMU exits shortly (on_poweroff) or stays: neither is off yet.
  ['in shutdown', 'transitioning'],
  ['shut off', 'off'],
  ['no state', 'unknown'],
]);

/** What virsh prints after a request that worked (virsh 9: "Domain 'x' started"; older ones drop the quotes). */
const DONE: Record<VirshVerb, RegExp> = {
  start: /^Domain .+ started$/,
  destroy: /^Domain .+ destroyed$/,
  reset: /^Domain .+ was reset$/,
};

/** How much of virsh's text goes into a message, and how much the rules read (bounded, so no regex runs long). */
const MAX_DETAIL = 300;
const MAX_CLASSIFIED = 2000;

/** Printable, one line, bounded: virsh's text goes into our messages and logs. */
export function clean(s: string, max = MAX_DETAIL): string {
  const one = s.slice(0, max * 2).replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  return one.length > max ? `${one.slice(0, max)}...` : one;
}

/** The messages of virsh's "error: ..." lines, joined. Empty when there are none. */
export function errorText(stderr: string, max = MAX_DETAIL): string {
  const lines = stderr.split('\n').filter((l) => l.startsWith('error: ')).map((l) => l.slice('error: '.length).trim());
  return clean(lines.filter(Boolean).join('; '), max);
}

/** virsh ends its answers with blank lines. A loop, not /\n+$/, which backtracks quadratically on a run of newlines. */
function dropTrailingNewlines(s: string): string {
  let end = s.length;
  while (end > 0 && s[end - 1] === '\n') end--;
  return s.slice(0, end);
}

type Kind = ChannelErrorCode | 'NOT_RUNNING' | 'ALREADY_ACTIVE';

/**
 * libvirt's error texts (virerror.c messages, virsh's own, and what ssh prints through the
 * remote driver), first match wins. Order matters: "failed to connect to the hypervisor"
 * comes with a second line that says why, and the why decides.
 */
const RULES: readonly [RegExp, Kind][] = [
  [/authentication (failed|unavailable)|access denied|Permission denied \(|Failed to connect socket to .*: Permission denied|keyboard interactive authentication failed/i, 'AUTH'],
  [/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED/, 'CONFIG'],
  [/certificate|GnuTLS|TLS handshake|x509/i, 'TLS'],
  [/Domain not found|failed to get domain|no domain with matching/, 'CONFIG'],
  [/domain is not running/, 'NOT_RUNNING'],
  [/is already (active|running)|Domain is already running/, 'ALREADY_ACTIVE'],
  [/cannot acquire state change lock|Timed out during operation/, 'BUSY'],
  [/packet \d+ bytes received from server too large|Unable to decode message|Unexpected message|unknown procedure/i, 'PROTOCOL'],
  [/Temporary failure in name resolution/, 'UNREACHABLE'],
  [/Unable to parse URI|no connection driver available|Name or service not known|Could not resolve hostname|invalid argument|unsupported configuration/i, 'CONFIG'],
  [/this function is not supported|Operation not supported|not supported by/i, 'UNSUPPORTED'],
  [/Connection refused|Connection reset|No route to host|Network is unreachable|Failed to connect socket|Cannot recv data|Cannot write data|End of file while reading|Connection timed out|Broken pipe|unable to connect to server|client socket is closed|failed to connect to the hypervisor/i, 'UNREACHABLE'],
];

function kindOf(text: string): Kind | undefined {
  return RULES.find(([re]) => re.test(text))?.[1];
}

/** A run that did not end with virsh's own answer: no binary, killed, too much output. */
function notAnswered(run: Exclude<VirshRun, { kind: 'exited' }>, what: string): ChannelResult<never> {
  switch (run.kind) {
    case 'timeout':
      return cerr('TIMEOUT', `virsh ${what} gave no answer in ${run.ms} ms (killed)`);
    case 'missing':
      return cerr('CONFIG', 'virsh is not installed (Debian package libvirt-clients); the libvirt channel runs it');
    case 'failed':
      return cerr('CONFIG', `virsh could not be run: ${clean(run.reason)}`);
    case 'overflow':
      return cerr('PROTOCOL', `virsh ${what} printed more than ${run.bytes} bytes (killed)`);
    case 'signalled':
      return cerr('PROTOCOL', `virsh ${what} was killed by ${run.signal}`);
  }
}

/** A failed run as an error; `kind` lets a request take "already in that state" as success. */
function failure(code: number, stderr: string, what: string): { kind: Kind; message: string } {
  const text = errorText(stderr, MAX_CLASSIFIED);
  if (text === '') return { kind: 'PROTOCOL', message: `virsh ${what} exited ${code} without an error message` };
  return { kind: kindOf(text) ?? 'STATE', message: `virsh ${what}: ${clean(text)}` };
}

/** `virsh domstate DOMAIN`: one state word on a line of its own. */
export function readState(run: VirshRun): ChannelResult<Observed> {
  if (run.kind !== 'exited') return notAnswered(run, 'domstate');
  if (run.code !== 0) {
    const f = failure(run.code, run.stderr, 'domstate');
    // Neither special case can follow a read; a text naming one is not one we know how to read.
    return cerr(f.kind === 'NOT_RUNNING' || f.kind === 'ALREADY_ACTIVE' || f.kind === 'STATE' ? 'PROTOCOL' : f.kind, f.message);
  }
  const word = dropTrailingNewlines(run.stdout);
  const state = STATES.get(word);
  if (state === undefined) return cerr('PROTOCOL', `virsh domstate printed no known state: "${clean(run.stdout.slice(0, 80))}"`);
  return cok(state);
}

/** `virsh start|destroy|reset DOMAIN`: the confirmation line, or an error that may mean "already so". */
export function readRequest(verb: VirshVerb, run: VirshRun): ChannelResult<void> {
  if (run.kind !== 'exited') return notAnswered(run, verb);
  if (run.code === 0) {
    const line = dropTrailingNewlines(run.stdout);
    return DONE[verb].test(line) ? cok(undefined) : cerr('PROTOCOL', `virsh ${verb} succeeded but printed "${clean(run.stdout.slice(0, 80))}"`);
  }
  const f = failure(run.code, run.stderr, verb);
  // Already in the state asked for is what the request wanted; the ladder's status read confirms it.
  if (f.kind === 'ALREADY_ACTIVE' && verb === 'start') return cok(undefined);
  if (f.kind === 'NOT_RUNNING' && verb === 'destroy') return cok(undefined);
  if (f.kind === 'NOT_RUNNING') return cerr('STATE', `${f.message} (reset needs a running domain)`);
  if (f.kind === 'ALREADY_ACTIVE') return cerr('STATE', f.message);
  return cerr(f.kind, f.message);
}
