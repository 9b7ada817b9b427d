// FAKE Redfish service for the channel tests. It is not a real BMC: it follows
// the DMTF Redfish schema and protocol (DSP0266 authentication §13.3, sessions,
// tasks §13.2.5; DSP0268 ServiceRoot, ComputerSystemCollection, ComputerSystem,
// ActionInfo, SessionService/Sessions, Task/TaskMonitor), the documents in
// docs.ts, and behaviour recorded from real BMCs in
// ../shared/reference/power-channels.md (iDRAC 409 after power-off, sushy's
// session-or-basic fallback, transitions that take time). It is strict: wrong
// credentials -> 401 with a Redfish error body, an unknown path -> 404, a
// ResetType the system does not take -> 400 ActionParameterNotSupported.

import { randomBytes } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { BASE, computerSystem, fault, resetActionInfo, serviceRoot, session, systemCollection, task } from './docs.ts';
import { FakeMachine, IMPLEMENTED } from './machine.ts';

export interface FakeSystem {
  id: string;
  power: 'On' | 'Off';
  /** Advertised ResetType values; null omits the annotation (then the implemented ones are taken). */
  allowed?: readonly string[] | null;
  actionInfo?: boolean;
  /** What the service really takes, when it differs from what it advertises (default: the advertised values). */
  accepts?: readonly string[];
}

export interface FakeOptions {
  user: string;
  password: string;
  systems: FakeSystem[];
  /** enabled: sessions and basic; absent: no session service (basic only); refused: POST Sessions -> 405. */
  sessions?: 'enabled' | 'absent' | 'refused';
  transitionMs?: number;
  conflictAfterOffMs?: number;
  /** Resets answer 202 with a task monitor that finishes after taskMs. */
  taskMs?: number | null;
  /** Paths answered with 200 and bytes that are not JSON. */
  garbage?: string[];
  tls?: { key: string; cert: string };
}

export interface SeenRequest {
  method: string;
  path: string;
  /** The request carried a credential: Authorization, X-Auth-Token, or a login body. */
  credentialed: boolean;
  status: number;
  /** The PowerState a ComputerSystem GET reported. */
  power?: string;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

type Reply = { status: number; body?: unknown; headers?: Record<string, string> };

export class FakeRedfish {
  readonly machines = new Map<string, FakeMachine>();
  readonly seen: SeenRequest[] = [];
  /** Answer this many authenticated requests with 503 first. */
  busy = 0;
  private readonly sessions = new Map<string, { n: number }>();
  private readonly monitors = new Map<string, { n: number; doneAt: number }>();
  private next = 1;
  private readonly server: http.Server;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(private readonly o: FakeOptions) {
    for (const s of o.systems) this.machines.set(s.id, new FakeMachine(s.power, o.transitionMs ?? 300, o.conflictAfterOffMs ?? 0));
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => this.handle(req, res);
    this.server = o.tls ? https.createServer({ key: o.tls.key, cert: o.tls.cert }, handler) : http.createServer(handler);
  }

  get openSessions(): number {
    return this.sessions.size;
  }

  /** The BMC forgets every session, as after its SessionTimeout or a restart. */
  expireSessions(): void {
    this.sessions.clear();
  }

  async start(): Promise<number> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (b: Buffer) => chunks.push(b));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      const credentialed = req.headers.authorization !== undefined || req.headers['x-auth-token'] !== undefined || body.includes('Password');
      const r = this.route(req.method ?? 'GET', path, req.headers, body);
      const power = isObj(r.body) && typeof r.body['PowerState'] === 'string' ? r.body['PowerState'] : undefined;
      this.seen.push({ method: req.method ?? '', path, credentialed, status: r.status, ...(power ? { power } : {}) });
      if (this.o.garbage?.includes(path) && r.status === 200) {
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('<html><body>Login</body>{"Members": [');
        return;
      }
      const text = r.body === undefined ? '' : JSON.stringify(r.body);
      res.writeHead(r.status, { ...(text ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(text)) } : {}), 'OData-Version': '4.0', ...r.headers }).end(text);
    });
  }

  private route(method: string, path: string, h: http.IncomingHttpHeaders, body: string): Reply {
    const sessionsOn = (this.o.sessions ?? 'enabled') !== 'absent';
    if (method === 'GET' && (path === '/redfish/v1/' || path === '/redfish/v1')) return { status: 200, body: serviceRoot(sessionsOn) };
    if (sessionsOn && path === '/redfish/v1/SessionService/Sessions' && method === 'POST') return this.login(body);
    const token = this.authorized(h);
    if (token === null) return { status: 401, body: fault('NoValidSession', BASE.NoValidSession), headers: { 'WWW-Authenticate': 'Basic realm="fake-bmc"' } };
    if (this.busy > 0) {
      this.busy--;
      return { status: 503, body: fault('ServiceTemporarilyUnavailable', BASE.ServiceTemporarilyUnavailable.replace('%1', '1')), headers: { 'Retry-After': '1' } };
    }
    const now = performance.now();
    const sess = /^\/redfish\/v1\/SessionService\/Sessions\/(\d+)$/.exec(path);
    if (sessionsOn && sess && method === 'DELETE') return this.logout(sess[1] ?? '', token);
    if (method === 'GET' && path === '/redfish/v1/Systems') return { status: 200, body: systemCollection(this.o.systems.map((s) => s.id)) };
    const sys = /^\/redfish\/v1\/Systems\/([^/]+)(\/ResetActionInfo|\/Actions\/ComputerSystem\.Reset)?$/.exec(path);
    const spec = sys ? this.o.systems.find((s) => s.id === sys[1]) : undefined;
    const machine = spec ? this.machines.get(spec.id) : undefined;
    if (spec && machine) {
      const allowed = spec.allowed === undefined ? IMPLEMENTED : spec.allowed;
      if (method === 'GET' && !sys?.[2]) return { status: 200, body: computerSystem(spec.id, machine.state(now), { allowed, actionInfo: spec.actionInfo ?? false }) };
      if (method === 'GET' && sys?.[2] === '/ResetActionInfo' && spec.actionInfo) return { status: 200, body: resetActionInfo(spec.id, allowed ?? IMPLEMENTED) };
      if (method === 'POST' && sys?.[2] === '/Actions/ComputerSystem.Reset') return this.reset(machine, spec.accepts ?? allowed ?? IMPLEMENTED, body, now);
    }
    const mon = this.monitors.get(path);
    if (mon && method === 'GET') {
      if (now < mon.doneAt) return { status: 202, headers: { Location: path, 'Retry-After': '0' }, body: { ...task(mon.n), TaskState: 'Running', TaskStatus: 'OK', PercentComplete: 50 } };
      this.monitors.delete(path);
      return { status: 200, body: task(mon.n) };
    }
    if (method !== 'GET' && method !== 'POST' && method !== 'DELETE') return { status: 405, body: fault('OperationNotAllowed', BASE.OperationNotAllowed) };
    return { status: 404, body: fault('ResourceMissingAtURI', BASE.ResourceMissingAtURI.replace('%1', path)) };
  }

  /** The session token or "basic"; null when neither credential is valid. */
  private authorized(h: http.IncomingHttpHeaders): string | null {
    const token = h['x-auth-token'];
    if (typeof token === 'string' && this.sessions.has(token)) return token;
    const basic = `Basic ${Buffer.from(`${this.o.user}:${this.o.password}`).toString('base64')}`;
    return h.authorization === basic ? 'basic' : null;
  }

  private login(body: string): Reply {
    if (this.o.sessions === 'refused') return { status: 405, body: fault('OperationNotAllowed', BASE.OperationNotAllowed) };
    let creds: unknown;
    try {
      creds = JSON.parse(body);
    } catch {
      return { status: 400, body: fault('MalformedJSON', BASE.MalformedJSON) };
    }
    const c = creds as { UserName?: unknown; Password?: unknown };
    if (c.UserName !== this.o.user || c.Password !== this.o.password) return { status: 401, body: fault('NoValidSession', BASE.NoValidSession) };
    const n = this.next++;
    const token = randomBytes(16).toString('hex');
    this.sessions.set(token, { n });
    return { status: 201, body: session(n, this.o.user), headers: { 'X-Auth-Token': token, Location: `/redfish/v1/SessionService/Sessions/${n}` } };
  }

  private logout(id: string, token: string): Reply {
    for (const [t, s] of this.sessions) {
      if (String(s.n) !== id) continue;
      if (t !== token && token !== 'basic') return { status: 401, body: fault('NoValidSession', BASE.NoValidSession) };
      this.sessions.delete(t);
      return { status: 204 };
    }
    return { status: 404, body: fault('ResourceMissingAtURI', BASE.ResourceMissingAtURI.replace('%1', `/redfish/v1/SessionService/Sessions/${id}`)) };
  }

  private reset(machine: FakeMachine, allowed: readonly string[], body: string, now: number): Reply {
    let type: unknown;
    try {
      type = (JSON.parse(body) as { ResetType?: unknown }).ResetType;
    } catch {
      return { status: 400, body: fault('MalformedJSON', BASE.MalformedJSON) };
    }
    if (type === undefined) return { status: 400, body: fault('ActionParameterMissing', BASE.ActionParameterMissing.replace('%1', 'ResetType').replace('%2', 'ComputerSystem.Reset')) };
    if (typeof type !== 'string' || !allowed.includes(type) || !(IMPLEMENTED as readonly string[]).includes(type))
      return { status: 400, body: fault('ActionParameterNotSupported', BASE.ActionParameterNotSupported.replace('%1', 'ResetType').replace('%2', 'ComputerSystem.Reset')) };
    const taskMs = this.o.taskMs;
    if (taskMs === undefined || taskMs === null) {
      const r = machine.reset(type, now);
      return r.ok ? { status: 204 } : { status: r.status, body: fault(r.messageId, r.message) };
    }
    // The reset runs when its task does, as on iLO: the 202 itself has changed nothing yet.
    const n = this.next++;
    const uri = `/redfish/v1/TaskService/TaskMonitors/${n}`;
    this.monitors.set(uri, { n, doneAt: now + taskMs });
    const t = setTimeout(() => {
      this.timers.delete(t);
      machine.reset(type, performance.now());
    }, taskMs);
    this.timers.add(t);
    return { status: 202, headers: { Location: uri, 'Retry-After': '0' }, body: { ...task(n), TaskState: 'New' } };
  }
}
