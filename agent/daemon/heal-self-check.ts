// The actor's look at itself before it power-cycles anyone, as
// fence_heuristics_ping and fence_aws's race check do: a node cut off from
// its network sees every peer die and must not take that for their death.
// Two pieces of evidence: its own gossip view still holds enough stable
// members alive for quorum, each heard from lately (a view is only as fresh
// as the news that changed it: a node cut off from everyone holds its peers
// alive until its probes get round to them), and the gateway answers. A TCP connect that is
// accepted or refused both prove the path (a RST came back); only silence,
// an unreachable network or the deadline count against it. No ICMP: Node
// has no raw sockets, and a refused port is as good a witness as an echo.

import { connect } from 'node:net';
import type { MemberView } from '../gossip/types.ts';

export interface SelfCheckAsk {
  peers: readonly string[];
  need: number;
  /** Wall-clock ms by which to answer. */
  deadline: number;
}

export interface SelfCheckAnswer {
  ok: boolean;
  why: string;
}

/** Whether a TCP connect to host:port gets any answer within timeoutMs. Never rejects. */
export function reachable(host: string, port: number, timeoutMs: number): Promise<{ ok: boolean; how: string }> {
  if (timeoutMs <= 0) return Promise.resolve({ ok: false, how: 'no time left before the deadline' });
  return new Promise((resolve) => {
    const s = connect({ host, port });
    const done = (ok: boolean, how: string): void => {
      clearTimeout(timer);
      s.destroy();
      resolve({ ok, how });
    };
    const timer = setTimeout(() => done(false, `no answer in ${timeoutMs} ms`), timeoutMs);
    s.once('connect', () => done(true, 'accepted'));
    s.once('error', (e: NodeJS.ErrnoException) => done(e.code === 'ECONNREFUSED', e.code ?? e.message));
  });
}

export interface Freshness {
  /** When the member last sent something that verified (GossipDriver.heardAt), ms since the epoch. */
  heardAt(name: string): number | null;
  /** A peer counts only if heard from within this. */
  windowMs: number;
}

export async function selfCheck(ask: SelfCheckAsk, view: () => readonly MemberView[], gateway: { host: string; port: number } | null, fresh?: Freshness): Promise<SelfCheckAnswer> {
  const since = Date.now() - (fresh?.windowMs ?? 0);
  const alive = new Set(view().filter((m) => m.state === 'alive' && (!fresh || (fresh.heardAt(m.name) ?? -Infinity) >= since)).map((m) => m.name));
  const seen = ask.peers.filter((p) => alive.has(p));
  const heard = fresh ? ` and heard from within ${fresh.windowMs} ms` : '';
  if (seen.length < ask.need) return { ok: false, why: `own view holds ${seen.length} of the ${ask.need} stable peers needed alive${heard}` };
  const peers = `own view holds ${seen.length} stable peer(s) alive${heard}, ${ask.need} needed`;
  if (!gateway) return { ok: true, why: `${peers}; no gateway configured` };
  const g = await reachable(gateway.host, gateway.port, ask.deadline - Date.now());
  const at = `${gateway.host}:${gateway.port}`;
  return g.ok ? { ok: true, why: `${peers}; gateway ${at} answered (${g.how})` } : { ok: false, why: `gateway ${at}: ${g.how}` };
}
