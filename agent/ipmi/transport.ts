// What the BMC queries and actions need from a path to the BMC: one request,
// one response. The in-band device (/dev/ipmi0) and the RMCP+ client
// (IpmiClient) both fit, so every query is written once and tested over LAN
// against ipmi_sim as well as in band in QEMU.

import { cerr, cok, type ChannelError, type ChannelResult, type Deadline } from '../channels/types.ts';
import { completionError } from './client.ts';
import type { IpmiRequest, IpmiResponse } from './messages.ts';

export interface IpmiTransport {
  command(req: IpmiRequest, d: Deadline): Promise<ChannelResult<IpmiResponse>>;
}

/** A completion code other than 0, kept apart from transport errors: the BMC answered and said no. */
export interface Refusal {
  refused: true;
  completion: number;
  message: string;
}

export type CallError = ChannelError | (Refusal & { code: 'REFUSED' });
export type CallResult = { ok: true; value: Buffer } | { ok: false; error: CallError };

/**
 * One command whose reply must be for it (same netFn and command): a reply for
 * another command is PROTOCOL, a completion code other than 0 is REFUSED with
 * the code, so an action can say "the BMC refused" apart from "no answer".
 */
export async function call(t: IpmiTransport, req: IpmiRequest, d: Deadline, what: string): Promise<CallResult> {
  const r = await t.command(req, d);
  if (!r.ok) return r;
  const { netFn, cmd, completion, data } = r.value;
  if (netFn !== (req.netFn & ~1) || cmd !== req.cmd) {
    return cerr('PROTOCOL', `${what}: the reply is for netFn 0x${netFn.toString(16)} command 0x${cmd.toString(16)}`);
  }
  if (completion !== 0) {
    const e = completionError(completion, what);
    const message = e.ok ? what : e.error.message;
    return { ok: false, error: { code: 'REFUSED', refused: true, completion, message } };
  }
  return cok(data);
}

export const isRefusal = (e: CallError): e is Refusal & { code: 'REFUSED' } => e.code === 'REFUSED';
