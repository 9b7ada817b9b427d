// FAKE vCenter Server (vSphere Automation REST API) for the channel tests; not
// VMware code. It follows the vSphere Automation API reference
// (https://developer.broadcom.com/xapis/vsphere-automation-api/latest/: cis
// "Create Session" POST /api/session with basic auth -> 201 and the session id
// as a JSON string, the id then in the vmware-api-session-id header, "Delete
// Session" DELETE /api/session -> 204; vcenter/vm/power: GET /api/vcenter/vm/{vm}/power
// -> {"state": POWERED_ON|POWERED_OFF|SUSPENDED}, POST ...?action=start|stop|reset|suspend
// -> 204), the legacy /rest API it replaced (POST /rest/com/vmware/cis/session
// -> {"value": id}; /rest/vcenter/vm/{vm}/power/start; values and errors wrapped
// as {"value": ...} / {"type": "com.vmware.vapi.std.errors.x", "value": ...}),
// the vapi.std.errors descriptions (AlreadyInDesiredState "trying to power on a
// virtual machine that is already powered on"; ResourceBusy "trying to power off
// a virtual machine that is in the process of being powered on";
// NotAllowedInCurrentState "trying to ... reset ... a virtual machine that is not
// powered on") and the REST programming guide's status table ("vSphere
// Automation API Responses": 400 ALREADY_IN_DESIRED_STATE / NOT_ALLOWED_IN_CURRENT_STATE
// / INVALID_ARGUMENT, 401 UNAUTHENTICATED, 403 UNAUTHORIZED, 404 NOT_FOUND,
// 500 RESOURCE_BUSY, 503 SERVICE_UNAVAILABLE). Power operations answer when
// done (the API has no task for them), so a VM is never seen half-way; a second
// request meanwhile is RESOURCE_BUSY. Sessions are counted: tests assert none leaks.

import { randomBytes } from 'node:crypto';
import { ApiServer, type FakeReply, type FakeRequest } from '../api-server.ts';
import { PowerMachine } from '../power-machine.ts';

export interface FakeVm {
  machine: PowerMachine;
  /** Suspended to disk: the machine is off, but the VM resumes on start. */
  suspended: boolean;
}

export interface VsphereFakeOptions {
  user: string;
  password: string;
  /** 'rest-only': a vCenter before 7.0 U2, without /api (404). */
  dialects?: 'both' | 'rest-only';
  /** A session is refused after this many uses (vCenter's idle timeout, compressed). */
  sessionUses?: number;
  tls?: { key: string; cert: string };
}

type Dialect = 'api' | 'rest';
const MESSAGES: Record<string, { id: string; text: string }> = {
  UNAUTHENTICATED: { id: 'com.vmware.vapi.endpoint.method.authentication.required', text: 'Authentication required.' },
  NOT_FOUND: { id: 'com.vmware.api.vcenter.vm.not_found', text: 'Virtual machine with identifier does not exist.' },
  ALREADY_IN_DESIRED_STATE: { id: 'com.vmware.api.vcenter.vm.power.already_in_state', text: 'Virtual machine is already in the requested power state.' },
  RESOURCE_BUSY: { id: 'com.vmware.api.vcenter.vm.power.busy', text: 'Another power operation is in progress.' },
  NOT_ALLOWED_IN_CURRENT_STATE: { id: 'com.vmware.api.vcenter.vm.power.not_powered_on', text: 'Virtual machine is not powered on.' },
  INVALID_ARGUMENT: { id: 'vapi.method.input.invalid', text: 'Invalid input.' },
};
const STATUS: Record<string, number> = { UNAUTHENTICATED: 401, NOT_FOUND: 404, ALREADY_IN_DESIRED_STATE: 400, RESOURCE_BUSY: 500, NOT_ALLOWED_IN_CURRENT_STATE: 400, INVALID_ARGUMENT: 400 };

function vapi(d: Dialect, type: string, args: string[] = []): FakeReply {
  const m = MESSAGES[type] ?? { id: 'vapi.error', text: type };
  const messages = [{ args, default_message: m.text, id: m.id }];
  const json = d === 'api' ? { error_type: type, messages } : { type: `com.vmware.vapi.std.errors.${type.toLowerCase()}`, value: { messages } };
  return { status: STATUS[type] ?? 500, json };
}

export class FakeVcenter {
  readonly vms = new Map<string, FakeVm>();
  readonly server: ApiServer;
  /** What each request got: method, path, status and the vAPI error type. */
  readonly answered: { method: string; path: string; status: number; error?: string }[] = [];
  private readonly sessions = new Map<string, { uses: number; dialect: Dialect }>();
  sessionsCreated = 0;
  /** Refuse (and forget) every session on its next use, as after a vCenter restart or a revoked account. */
  refuseSessions = false;
  /** Answer this many power POSTs with RESOURCE_BUSY first. */
  busyPosts = 0;

  constructor(private readonly opts: VsphereFakeOptions) {
    this.server = new ApiServer(async (r) => {
      const reply = await this.handle(r);
      const j = reply.json as { error_type?: string; type?: string } | undefined;
      const error = j?.error_type ?? j?.type?.split('.').pop()?.toUpperCase();
      this.answered.push({ method: r.method, path: r.path, status: reply.status, ...(error ? { error } : {}) });
      return reply;
    }, opts.tls ? { tls: opts.tls } : {});
  }

  get openSessions(): number {
    return this.sessions.size;
  }
  start(): Promise<number> {
    return this.server.start();
  }
  stop(): Promise<void> {
    return this.server.stop();
  }

  add(id: string, power: 'on' | 'off' | 'suspended', delayMs = 0): FakeVm {
    const vm = { machine: new PowerMachine(power === 'on' ? 'on' : 'off', delayMs), suspended: power === 'suspended' };
    this.vms.set(id, vm);
    return vm;
  }

  private async handle(r: FakeRequest): Promise<FakeReply> {
    const dialect: Dialect | null = r.path.startsWith('/api/') ? 'api' : r.path.startsWith('/rest/') ? 'rest' : null;
    if (dialect === null || (dialect === 'api' && this.opts.dialects === 'rest-only')) return { status: 404, raw: 'Not Found' };
    if (r.path === '/api/session' || r.path === '/rest/com/vmware/cis/session') return this.session(r, dialect);
    const id = String(r.headers['vmware-api-session-id'] ?? '');
    const s = this.sessions.get(id);
    if (!s || s.dialect !== dialect) return vapi(dialect, 'UNAUTHENTICATED');
    if (this.refuseSessions || (this.opts.sessionUses !== undefined && s.uses >= this.opts.sessionUses)) {
      // Expired: vCenter forgets an idle session.
      this.sessions.delete(id);
      return vapi(dialect, 'UNAUTHENTICATED');
    }
    s.uses++;
    const m = dialect === 'api' ? /^\/api\/vcenter\/vm\/([^/]+)\/power$/.exec(r.path) : /^\/rest\/vcenter\/vm\/([^/]+)\/power(?:\/(start|stop|reset|suspend))?$/.exec(r.path);
    if (!m?.[1]) return vapi(dialect, 'NOT_FOUND');
    const vmId = decodeURIComponent(m[1]);
    const vm = this.vms.get(vmId);
    const action = dialect === 'api' ? r.query.get('action') : (m[2] ?? null);
    if (r.method === 'GET' && action === null) return vm ? this.state(dialect, vm) : vapi(dialect, 'NOT_FOUND', [vmId]);
    if (r.method !== 'POST' || action === null) return { status: 405, raw: 'Method Not Allowed' };
    if (!vm) return vapi(dialect, 'NOT_FOUND', [vmId]);
    return this.power(dialect, vm, action);
  }

  private session(r: FakeRequest, dialect: Dialect): FakeReply {
    if (r.method === 'DELETE') {
      const id = String(r.headers['vmware-api-session-id'] ?? '');
      if (!this.sessions.delete(id)) return vapi(dialect, 'UNAUTHENTICATED');
      return dialect === 'api' ? { status: 204 } : { status: 200 };
    }
    if (r.method !== 'POST') return { status: 405, raw: 'Method Not Allowed' };
    const want = `Basic ${Buffer.from(`${this.opts.user}:${this.opts.password}`).toString('base64')}`;
    if (r.headers['authorization'] !== want) return vapi(dialect, 'UNAUTHENTICATED');
    const id = randomBytes(16).toString('hex');
    this.sessions.set(id, { uses: 0, dialect });
    this.sessionsCreated++;
    return dialect === 'api' ? { status: 201, json: id } : { status: 200, json: { value: id } };
  }

  private state(dialect: Dialect, vm: FakeVm): FakeReply {
    // A power operation answers only when done, so a read meanwhile still shows the state before it.
    const s = vm.machine.state();
    const on = s === 'on' || s === 'stopping';
    const state = vm.suspended ? 'SUSPENDED' : on ? 'POWERED_ON' : 'POWERED_OFF';
    const info = state === 'POWERED_OFF' ? { state, clean_power_off: true } : { state };
    return { status: 200, json: dialect === 'api' ? info : { value: info } };
  }

  private async power(dialect: Dialect, vm: FakeVm, action: string): Promise<FakeReply> {
    if (!['start', 'stop', 'reset', 'suspend'].includes(action)) return vapi(dialect, 'INVALID_ARGUMENT', [action]);
    if (this.busyPosts > 0 || vm.machine.settled() === null) {
      this.busyPosts = Math.max(0, this.busyPosts - 1);
      return vapi(dialect, 'RESOURCE_BUSY');
    }
    const on = vm.machine.settled() === 'on';
    if (action === 'start') {
      if (on) return vapi(dialect, 'ALREADY_IN_DESIRED_STATE');
      vm.suspended = false;
      vm.machine.on();
    } else if (action === 'stop') {
      if (!on && !vm.suspended) return vapi(dialect, 'ALREADY_IN_DESIRED_STATE');
      vm.suspended = false;
      vm.machine.off();
    } else if (action === 'reset') {
      if (!on) return vapi(dialect, 'NOT_ALLOWED_IN_CURRENT_STATE');
      vm.machine.reset();
    } else {
      if (!on) return vapi(dialect, 'NOT_ALLOWED_IN_CURRENT_STATE');
      vm.suspended = true;
      vm.machine.off();
    }
    await new Promise((res) => setTimeout(res, vm.machine.delayMs + 1));
    return dialect === 'api' ? { status: 204 } : { status: 200 };
  }
}
