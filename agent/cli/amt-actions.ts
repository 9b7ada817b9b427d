// `agent amt activate --ccm --password-file F`, `agent amt deactivate
// [--password-file F]`, `agent amt features [--sol on|off] [--ider on|off]
// [--kvm on|off] --password-file F`, dispatched from amt.ts. The password
// comes only from a file and is never printed; the outcome lists every step
// that ran, so a failure says what had already been applied. Exit 0 only when
// the read-back confirmed the end state.

import { timeoutFlagMs, type FlagSpec, type Parsed } from './args.ts';
import { EXIT, UsageError, type ExitCode } from './exit.ts';
import type { Io } from './io.ts';
import { readSecretFile } from './secret-file.ts';
import { activateCcm } from '../amt/activate.ts';
import { deactivate } from '../amt/deactivate.ts';
import { setFeatures, type FeatureWish } from '../amt/features.ts';
import type { MeHost } from '../amt/host.ts';
import { meHost } from '../amt/me-host.ts';
import type { SettleOptions } from '../amt/settle.ts';
import type { ActionResult } from '../amt/steps.ts';
import { deadlineIn } from '../channels/types.ts';
import type { MeiBus, MeiResult } from '../mei/types.ts';

export type AmtAction = 'activate' | 'deactivate' | 'features';
export const AMT_ACTIONS: readonly AmtAction[] = ['activate', 'deactivate', 'features'];

/** What amt.ts hands an action: its output, and the bus (the device, or the simulated firmware in tests). */
export interface AmtCtx {
  io: Io;
  openBus(): MeiResult<MeiBus>;
  /** Tests shorten the re-read pauses; the device keeps the defaults. */
  settle?: SettleOptions;
}

/** The actions' own flags; amt.ts merges them into `agent amt --help`. */
export const AMT_ACTION_FLAGS: FlagSpec[] = [
  { name: 'ccm', kind: 'boolean', help: 'activate: host-based setup into client control mode (the only local mode supported)' },
  { name: 'password-file', kind: 'string', value: 'F', help: 'activate, features, deactivate in ACM: file whose first line is the AMT admin password' },
  { name: 'sol', kind: 'string', value: 'on|off', help: 'features: Serial-over-LAN' },
  { name: 'ider', kind: 'string', value: 'on|off', help: 'features: IDE redirection' },
  { name: 'kvm', kind: 'string', value: 'on|off', help: 'features: KVM redirection (in CCM a viewer needs the user-consent code)' },
  { name: 'json', kind: 'boolean', help: 'print the outcome and its steps as one JSON object' },
  { name: 'timeout', kind: 'string', value: 'S', help: 'seconds for the whole command (default 30)' },
];

const DEFAULT_TIMEOUT_S = 30;
const FEATURES = ['sol', 'ider', 'kvm'] as const;

function refuse(args: Parsed, cmd: string, names: readonly string[]): void {
  for (const n of names) if (args.flags.has(n)) throw new UsageError(`${cmd}: --${n} belongs to another subcommand`);
}

function password(args: Parsed, cmd: string, required: boolean): string | undefined {
  const f = args.flags.get('password-file');
  if (f === undefined || f === true) {
    if (required) throw new UsageError(`${cmd}: --password-file is required (the password never goes in argv)`);
    return undefined;
  }
  const buf = readSecretFile(cmd, 'password-file', f);
  const pw = buf.toString('utf8');
  buf.fill(0);
  return pw;
}

function wish(args: Parsed, cmd: string): FeatureWish {
  const w: FeatureWish = {};
  for (const n of FEATURES) {
    const v = args.flags.get(n);
    if (v === undefined) continue;
    if (v !== 'on' && v !== 'off') throw new UsageError(`${cmd}: --${n} takes on or off`);
    w[n] = v === 'on';
  }
  if (Object.keys(w).length === 0) throw new UsageError(`${cmd}: give at least one of --sol, --ider, --kvm`);
  return w;
}

/** Checks the flags and reads the password before anything touches the ME. */
function plan(action: AmtAction, args: Parsed): (host: MeHost, ctx: AmtCtx, ms: number) => Promise<ActionResult> {
  const cmd = `agent amt ${action}`;
  if (action === 'activate') {
    refuse(args, cmd, FEATURES);
    if (!args.flags.has('ccm')) throw new UsageError(`${cmd}: --ccm is required (admin control mode needs a provisioning certificate, which is not supported)`);
    const pw = password(args, cmd, true) as string;
    return (host, ctx, ms) => activateCcm(host, { password: pw, ...(ctx.settle ? { settle: ctx.settle } : {}) }, deadlineIn(ms));
  }
  if (action === 'deactivate') {
    refuse(args, cmd, ['ccm', ...FEATURES]);
    const pw = password(args, cmd, false);
    return (host, ctx, ms) => deactivate(host, { ...(pw !== undefined ? { password: pw } : {}), ...(ctx.settle ? { settle: ctx.settle } : {}) }, deadlineIn(ms));
  }
  refuse(args, cmd, ['ccm']);
  const w = wish(args, cmd);
  const pw = password(args, cmd, true) as string;
  return (host, _ctx, ms) => setFeatures(host, { ...w, password: pw }, deadlineIn(ms));
}

function render(r: ActionResult): string {
  const lines = r.steps.map((s) => `  ${s.outcome.padEnd(8)} ${s.step}${s.detail ? `: ${s.detail}` : ''}`);
  const head = r.ok ? `agent amt ${r.action}: ok${r.changed ? '' : ' (nothing to change)'}` : `agent amt ${r.action}: FAILED (${r.error?.code}: ${r.error?.message})${r.changed ? '; the steps marked done were applied' : '; nothing was changed'}`;
  return `${head}\n${lines.join('\n')}\n`;
}

export async function runAmtAction(action: AmtAction, args: Parsed, ctx: AmtCtx): Promise<ExitCode> {
  const ms = timeoutFlagMs(args, `agent amt ${action}`, DEFAULT_TIMEOUT_S);
  const run = plan(action, args);
  const bus = ctx.openBus();
  if (!bus.ok) {
    ctx.io.err(`agent amt ${action}: no Intel ME on this machine: ${bus.error.message}\n`);
    return EXIT.UNSUPPORTED;
  }
  const r = await run(meHost(bus.value), ctx, ms);
  const first = r.steps[0];
  if (!r.ok && r.steps.length === 1 && first?.step === 'read control mode (PTHI)' && (r.error?.code === 'NO_DEVICE' || r.error?.code === 'NO_CLIENT')) {
    ctx.io.err(`agent amt ${action}: no Intel AMT on this machine: ${r.error.message}\n`);
    return EXIT.UNSUPPORTED;
  }
  if (args.flags.has('json')) ctx.io.out(`${JSON.stringify(r, null, 2)}\n`);
  else (r.ok ? ctx.io.out : ctx.io.err)(render(r));
  return r.ok ? EXIT.OK : EXIT.FAILED;
}
