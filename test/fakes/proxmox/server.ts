// FAKE Proxmox VE API (pveproxy) for the channel tests; not Proxmox. It follows
// the published API (https://pve.proxmox.com/pve-docs/api-viewer/: access/ticket,
// cluster/resources, nodes/{node}/qemu|lxc/{vmid}/status/current|start|stop|reset,
// nodes/{node}/tasks/{upid}/status), the admin guide's API token header (§14.3
// "PVEAPIToken=USER@REALM!TOKENID=UUID") and, for the exact answers, the sources
// read as facts (no code taken): pve-http-server AnyEvent.pm 5c9e4ea7 (401 with
// an empty body and the reason "No ticket" / "Authentication failed!"; 501
// "Method 'GET /x' not implemented" for an unknown path or method; chunked bodies
// refused 501; JSON or form bodies; 401s delayed 3 s, here `authDelayMs`, 0 by
// default), Formatter/Standard.pm ({"data": ...}; errors {"data": null,
// "message": ...} or {"errors": {...}} on 400), pve-manager HTTPServer.pm
// 14a22df3 (CSRFPreventionToken required on non-GET with a ticket, not with a
// token; "Permission denied - invalid csrf token" 401), pve-access-control
// 5ccd07d9 (login failure 401 {"message": "authentication failure\n"}; tickets
// live 2 h), pve-guest-common AbstractConfig.pm ("Configuration file
// 'nodes/N/qemu-server/ID.conf' does not exist" 500 for a VM not on the node),
// pve-common Network.pm ("hostname lookup 'N' failed" 500 for an unknown node),
// and 595 with an empty body when pveproxy cannot reach the node. Every request
// is in `server.log` (ApiServer).

import { randomBytes } from 'node:crypto';
import { ApiServer, type FakeReply, type FakeRequest } from '../api-server.ts';
import { FakeCluster, type Guest } from './cluster.ts';

export interface ProxmoxFakeOptions {
  /** user@realm -> password. */
  users?: Record<string, string>;
  /** user@realm!tokenid -> secret. */
  tokens?: Record<string, string>;
  /** A ticket is refused after this many authenticated requests (it "expired"); default unlimited. */
  ticketUses?: number;
  authDelayMs?: number;
  tls?: { key: string; cert: string };
}

const NOT_IMPLEMENTED = (m: string, p: string): FakeReply => ({ status: 501, json: { data: null, message: `Method '${m} ${p}' not implemented` } });
const fail = (status: number, message: string): FakeReply => ({ status, json: { data: null, message: `${message}\n` } });
const paramError = (errors: Record<string, string>): FakeReply => ({ status: 400, json: { data: null, errors, message: 'Parameter verification failed.\n' } });
const ok = (data: unknown): FakeReply => ({ status: 200, json: { data } });

interface Who {
  user: string;
  token: boolean;
}

export class FakeProxmox {
  readonly cluster: FakeCluster;
  readonly server: ApiServer;
  private readonly tickets = new Map<string, { user: string; csrf: string; uses: number }>();
  /** Logins attempted, successful or not. */
  logins = 0;
  /** Refuse every ticket (as after an auth key rotation the node has not seen, or with a skewed clock). */
  refuseTickets = false;
  /** Answer this many power POSTs with the lock-file timeout (500) before doing them. */
  busyPosts = 0;

  constructor(
    nodes: string[],
    private readonly opts: ProxmoxFakeOptions = {},
  ) {
    this.cluster = new FakeCluster(nodes);
    this.server = new ApiServer((r) => this.handle(r), opts.tls ? { tls: opts.tls } : {});
  }

  start(): Promise<number> {
    return this.server.start();
  }
  stop(): Promise<void> {
    return this.server.stop();
  }
  get url(): string {
    return this.server.url;
  }

  private async handle(r: FakeRequest): Promise<FakeReply> {
    if (r.headers['transfer-encoding']) return { status: 501, raw: 'chunked transfer encoding not supported' };
    // pve-http-server matches the unescaped path (uri_unescape).
    let path: string;
    try {
      path = decodeURIComponent(r.path);
    } catch {
      return { status: 400, raw: 'bad path' };
    }
    const m = /^\/api2\/json(\/.*)$/.exec(path);
    if (!m?.[1]) return { status: 501, raw: 'no such uri' };
    const rel = m[1];
    const params = this.params(r);
    if (params === null) return { status: 400, raw: 'invalid JSON body' };
    if (rel === '/access/ticket' && r.method === 'POST') return this.login(params);
    const who = this.authenticate(r);
    if (who === null) {
      if (this.opts.authDelayMs) await new Promise((res) => setTimeout(res, this.opts.authDelayMs));
      return { status: 401 };
    }
    return this.route(r.method, rel, params, who, r.query);
  }

  /** Form-encoded or JSON bodies, as pve-http-server's extract_params; null for a JSON body that does not parse. */
  private params(r: FakeRequest): Record<string, unknown> | null {
    if (r.body.length === 0) return {};
    const text = r.body.toString('utf8');
    if (/^application\/json/.test(String(r.headers['content-type'] ?? ''))) {
      try {
        const v: unknown = JSON.parse(text);
        return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
      } catch {
        return null;
      }
    }
    return Object.fromEntries(new URLSearchParams(text));
  }

  private login(p: Record<string, unknown>): FakeReply {
    this.logins++;
    const user = typeof p['username'] === 'string' ? p['username'] : '';
    if (typeof p['password'] !== 'string') return paramError({ password: 'property is missing and it is not optional' });
    const want = this.opts.users?.[user];
    if (want === undefined || want !== p['password']) return { status: 401, json: { data: null, message: 'authentication failure\n' } };
    const stamp = Math.floor(Date.now() / 1000).toString(16).toUpperCase().padStart(8, '0');
    const ticket = `PVE:${user}:${stamp}::${randomBytes(24).toString('base64')}`;
    const csrf = `${stamp}:${randomBytes(20).toString('base64').replace(/=+$/, '')}`;
    this.tickets.set(ticket, { user, csrf, uses: 0 });
    return ok({ username: user, ticket, CSRFPreventionToken: csrf, cap: {} });
  }

  /** Cookie first, then a cookie in Authorization, then an API token (AnyEvent.pm's order). */
  private authenticate(r: FakeRequest): Who | null {
    const extract = (h: unknown, key: string) => {
      const v = typeof h === 'string' ? new RegExp(`(?:^|\\s)${key}(?:=| )([^;]*)`).exec(h)?.[1] : undefined;
      return v ? decodeURIComponent(v) : undefined;
    };
    const ticket = extract(r.headers['cookie'], 'PVEAuthCookie') ?? extract(r.headers['authorization'], 'PVEAuthCookie');
    if (ticket !== undefined) {
      const t = this.tickets.get(ticket);
      if (!t || this.refuseTickets || (this.opts.ticketUses !== undefined && t.uses >= this.opts.ticketUses)) return null;
      t.uses++;
      if (r.method !== 'GET' && r.headers['csrfpreventiontoken'] !== t.csrf) return null;
      return { user: t.user, token: false };
    }
    const token = extract(r.headers['authorization'], 'PVEAPIToken');
    const m = token === undefined ? null : /^(.*)=(.*)$/.exec(token);
    if (!m?.[1] || this.opts.tokens?.[m[1]] === undefined || this.opts.tokens[m[1]] !== m[2]) return null;
    return { user: m[1], token: true };
  }

  private route(method: string, rel: string, p: Record<string, unknown>, who: Who, query: URLSearchParams): FakeReply {
    if (rel === '/cluster/resources' && method === 'GET') {
      const type = query.get('type');
      if (type !== null && !['vm', 'storage', 'node', 'sdn'].includes(type)) return paramError({ type: `value '${type}' does not have a value in the enumeration 'vm, storage, node, sdn'` });
      const nodes = this.cluster.nodes.map((n) => ({ id: `node/${n}`, type: 'node', node: n, status: this.cluster.offline.has(n) ? 'offline' : 'online' }));
      return ok([...(type === null || type === 'node' ? nodes : []), ...(type === null || type === 'vm' ? this.cluster.resources() : [])]);
    }
    const task = /^\/nodes\/([^/]+)\/tasks\/([^/]+)\/status$/.exec(rel);
    if (task?.[1] && task[2] && method === 'GET') {
      if (this.cluster.offline.has(task[1])) return { status: 595 };
      const t = this.cluster.tasks.get(task[2]);
      if (!t || t.node !== task[1]) return paramError({ upid: 'no such task' });
      return ok(this.cluster.taskStatus(t));
    }
    const vm = /^\/nodes\/([^/]+)\/(qemu|lxc)\/(\d+)\/status\/(current|start|stop|reset)$/.exec(rel);
    if (!vm?.[1] || !vm[2] || !vm[3] || !vm[4]) return NOT_IMPLEMENTED(method, rel);
    const [, node, kind, id, op] = vm;
    if ((op === 'current') !== (method === 'GET') || (kind === 'lxc' && op === 'reset')) return NOT_IMPLEMENTED(method, rel);
    if (!this.cluster.nodes.includes(node)) return fail(500, `hostname lookup '${node}' failed - failed to get address info for: ${node}: Name or service not known`);
    if (this.cluster.offline.has(node)) return { status: 595 };
    const g = this.cluster.guests.get(Number(id));
    if (!g || g.node !== node || g.kind !== kind) return fail(500, `Configuration file 'nodes/${node}/${kind === 'qemu' ? 'qemu-server' : 'lxc'}/${id}.conf' does not exist`);
    if (op === 'current') return ok(this.cluster.statusOf(g));
    return this.power(g, op as 'start' | 'stop' | 'reset', p, who);
  }

  private power(g: Guest, verb: 'start' | 'stop' | 'reset', p: Record<string, unknown>, who: Who): FakeReply {
    const allowed = new Set(['skiplock', 'timeout', 'keepActive', 'overrule-shutdown', 'migratedfrom', 'machine', 'stateuri']);
    const extra = Object.keys(p).filter((k) => !allowed.has(k));
    if (extra.length > 0) return paramError(Object.fromEntries(extra.map((k) => [k, 'property is not defined in schema and the schema does not allow additional properties'])));
    if (p['skiplock'] !== undefined && who.user !== 'root@pam') return paramError({ skiplock: 'Only root may use this option.' });
    if (this.busyPosts > 0) {
      this.busyPosts--;
      return fail(500, `can't lock file '/var/lock/qemu-server/lock-${g.vmid}.conf' - got timeout`);
    }
    const label = g.kind === 'qemu' ? 'VM' : 'CT';
    const state = g.machine.state();
    if (verb === 'reset' && state === 'off') return fail(500, `VM ${g.vmid} not running`);
    if (g.kind === 'lxc' && verb === 'start' && state !== 'off') return fail(500, `${label} ${g.vmid} already running`);
    if (g.kind === 'lxc' && verb === 'stop' && state === 'off') return fail(500, `${label} ${g.vmid} not running`);
    return ok(this.cluster.startTask(g, verb, who.user));
  }
}
