// The FAKE Proxmox VE cluster behind test/fakes/proxmox/server.ts: nodes, the
// guests on them (each a PowerMachine that lags its API), and the worker tasks
// (UPIDs) that power requests start. What a task does and how it ends follows
// qemu-server (API2/Qemu.pm vm_start/vm_stop/vm_reset, QemuServer.pm),
// pve-container (API2/LXC/Status.pm) and pve-common (PVE/UPID.pm: UPID format,
// exitstatus "OK" or the error text), read at the commits cited in server.ts.

import { PowerMachine } from '../power-machine.ts';

export type Kind = 'qemu' | 'lxc';

export interface Guest {
  vmid: number;
  kind: Kind;
  node: string;
  name: string;
  machine: PowerMachine;
  /** A config lock (backup, migrate, snapshot, suspended...). */
  lock?: string;
  /** QEMU only: the QMP run state while the process runs (default: 'running', 'prelaunch' while starting). */
  qmpstatus?: string;
}

interface Task {
  upid: string;
  node: string;
  type: string;
  id: string;
  user: string;
  starttime: number;
  /** When the task ends: at once with an error, or when the guest's machine settles. */
  end: { error: string } | { guest: Guest };
}

const hex8 = (n: number) => (n >>> 0).toString(16).toUpperCase().padStart(8, '0');

export class FakeCluster {
  readonly guests = new Map<number, Guest>();
  readonly tasks = new Map<string, Task>();
  /** Nodes whose pveproxy does not answer (pveproxy relays 595). */
  readonly offline = new Set<string>();
  /** The next power tasks end with these exitstatus texts, in order (e.g. "start failed: QEMU exited with code 1"). */
  readonly failTasks: string[] = [];
  private pid = 0x1000;

  constructor(readonly nodes: string[]) {}

  add(g: Omit<Guest, 'machine' | 'name'> & { power: 'on' | 'off'; delayMs?: number; name?: string }): Guest {
    const guest: Guest = { vmid: g.vmid, kind: g.kind, node: g.node, name: g.name ?? `guest${g.vmid}`, machine: new PowerMachine(g.power, g.delayMs ?? 0) };
    if (g.lock !== undefined) guest.lock = g.lock;
    if (g.qmpstatus !== undefined) guest.qmpstatus = g.qmpstatus;
    this.guests.set(g.vmid, guest);
    return guest;
  }

  /** A migration: the config moves to another node. */
  migrate(vmid: number, node: string): void {
    const g = this.guests.get(vmid);
    if (g) g.node = node;
  }

  /** status/current's data, as qemu-server's vmstatus and pve-container's vmstatus report it. */
  statusOf(g: Guest): Record<string, unknown> {
    const s = g.machine.state();
    // QEMU: the process exists from the start of a launch until a stop ends ('prelaunch' meanwhile);
    // LXC: the container counts as running once lxc-start is done, and until it is stopped.
    const running = g.kind === 'qemu' ? s !== 'off' : s === 'on' || s === 'stopping';
    const data: Record<string, unknown> = { vmid: g.vmid, name: g.name, status: running ? 'running' : 'stopped', ha: { managed: 0 }, cpus: 1, maxmem: 1 << 30 };
    if (g.kind === 'qemu' && running) {
      data['qmpstatus'] = g.qmpstatus ?? (s === 'starting' ? 'prelaunch' : 'running');
      data['pid'] = 4242;
    }
    if (g.lock) data['lock'] = g.lock;
    return data;
  }

  resources(): Record<string, unknown>[] {
    return [...this.guests.values()].map((g) => ({ id: `${g.kind}/${g.vmid}`, type: g.kind, vmid: g.vmid, node: g.node, name: g.name, status: this.statusOf(g)['status'], template: 0 }));
  }

  /**
   * A power request that passed the synchronous checks: the worker either fails
   * at once (a lock: check_lock "VM is locked (backup)"; a start of a running
   * QEMU VM: "VM 100 already running") or changes the machine and runs until it settles.
   */
  startTask(g: Guest, verb: 'start' | 'stop' | 'reset', user: string): string {
    const type = `${g.kind === 'qemu' ? 'qm' : 'vz'}${verb}`;
    const starttime = Math.floor(Date.now() / 1000);
    const upid = `UPID:${g.node}:${hex8(++this.pid)}:${hex8(this.pid * 7)}:${hex8(starttime)}:${type}:${g.vmid}:${user}:`;
    const label = g.kind === 'qemu' ? 'VM' : 'CT';
    let end: Task['end'];
    const planned = this.failTasks.shift();
    if (planned !== undefined) end = { error: planned };
    else if (g.lock && !(verb === 'start' && g.lock === 'suspended')) end = { error: `${label} is locked (${g.lock})` };
    else if (verb === 'start' && g.kind === 'qemu' && g.machine.state() !== 'off') end = { error: `VM ${g.vmid} already running` };
    else {
      if (verb === 'start') {
        if (g.lock === 'suspended') delete g.lock;
        g.machine.on();
      } else if (verb === 'stop') g.machine.off();
      else g.machine.reset();
      end = { guest: g };
    }
    this.tasks.set(upid, { upid, node: g.node, type, id: String(g.vmid), user, starttime, end });
    return upid;
  }

  /** tasks/{upid}/status's data (pve-manager API2/Tasks.pm read_task_status). */
  taskStatus(t: Task): Record<string, unknown> {
    const base = { upid: t.upid, node: t.node, pid: 4242, pstart: 1234, starttime: t.starttime, type: t.type, id: t.id, user: t.user };
    if ('error' in t.end) return { ...base, status: 'stopped', exitstatus: t.end.error };
    if (t.end.guest.machine.settled() === null) return { ...base, status: 'running' };
    return { ...base, status: 'stopped', exitstatus: 'OK' };
  }
}
