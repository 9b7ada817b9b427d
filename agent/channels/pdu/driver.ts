// The PDU PowerDriver. First use: GET sysObjectID, choose the vendor table,
// resolve outlet names by walking the name column. status(): one GET of every
// outlet's state (and pending flag), folded into the node's state by
// aggregate.ts. request(): one SET carrying every outlet's command, so that
// all of a node's feeds switch in the same PDU (RFC 3416 applies a SET as a
// whole or not at all); an on first reads the outlets' power-on delays.
//
// The power-on delay: the on command is the one that makes the PDU apply the
// operator's configured delay (delayedOn, Eaton's countdown), and the driver
// remembers how long that takes. Until then (plus SETTLE_MS) a node whose
// outlets are not all on reads 'transitioning', so neither a status read nor
// the ladder takes a pending on for off. When the delay outlasts the caller's
// deadline, request() says so at once (STATE) instead of letting the ladder
// poll into a certain timeout; the outlets still come on when the PDU's delay
// ends.

import { cerr, cok, remainingMs, type ChannelDescription, type ChannelResult, type Deadline, type Observed, type PowerAction, type PowerDriver } from '../types.ts';
import { aggregate, type LastRequest } from './aggregate.ts';
import { instanceUnder, intValue, matchName, oidValue, readingOf, textValue, TAG, type NamedRow, type OutletRef, type VarbindLike } from './decode.ts';
import type { SnmpClient } from './session.ts';
import { outletInstance, type Command, type OutletReading, type VendorName, type VendorTable } from './table.ts';
import { detect, SYS_OBJECT_ID } from './vendors.ts';
import { monotonicMs } from '../../clock.ts';

/** After a request's expected time, how long a half-done change still counts as under way. */
export const SETTLE_MS = 5000;

interface Ready {
  table: VendorTable;
  instances: string[];
}

export class PduDriver implements PowerDriver {
  private ready: Ready | null = null;
  private last: { action: 'on' | 'off'; until: number } | null = null;

  constructor(
    private readonly client: SnmpClient,
    private readonly refs: readonly OutletRef[],
    private readonly vendor: VendorName | null,
  ) {}

  describe(): ChannelDescription {
    const outlets = this.ready ? this.ready.instances.join(',') : this.refs.map((r) => (r.kind === 'number' ? String(r.n) : r.kind === 'instance' ? r.instance : r.name)).join(',');
    const model = this.ready ? ` ${this.ready.table.model}` : '';
    return { channel: 'pdu', target: `snmp://${this.client.target}${model} outlets ${outlets}`, actions: ['on', 'off'], verifiable: true };
  }

  async status(d: Deadline): Promise<ChannelResult<Observed>> {
    const r = await this.prepare(d);
    if (!r.ok) return r;
    const { table, instances } = r.value;
    const oids = instances.flatMap((i) => [`${table.stateColumn}.${i}`, ...(table.pending ? [`${table.pending.column}.${i}`] : [])]);
    const got = await this.client.get(oids, 'GET of the outlet states', d);
    if (!got.ok) return got;
    const readings = this.readings(table, instances, got.value);
    if (!readings.ok) return readings;
    const last: LastRequest = this.last?.action ?? null;
    const inFlight = this.last !== null && monotonicMs() < this.last.until;
    return cok(aggregate(readings.value, last, inFlight));
  }

  async request(action: PowerAction, d: Deadline): Promise<ChannelResult<void>> {
    // cycle is the ladder's (off, verified off, on); a PDU's own reboot command is a timer nobody can verify, and reset has no meaning for an outlet.
    if (action !== 'on' && action !== 'off') return cerr('UNSUPPORTED', `a PDU outlet is switched on or off; ${action} is done as off, verified off, on`);
    const r = await this.prepare(d);
    if (!r.ok) return r;
    const { table, instances } = r.value;
    let commands: Command[] = instances.map(() => table.off);
    let delayMs = 0;
    if (action === 'on') {
      const delays = await this.readDelays(table, instances, d);
      if (!delays.ok) return delays;
      commands = instances.map((_, k) => table.on(delays.value.perOutlet[k] ?? null));
      delayMs = delays.value.totalMs;
    }
    const varbinds = commands.map((c, k) => ({ oid: `${c.column}.${instances[k]}`, value: c.value }));
    const sent = await this.client.set(varbinds, `SET ${action} on outlets ${instances.join(',')}`, d);
    if (!sent.ok) return sent;
    for (const vb of sent.value) if (vb.type === TAG.NoSuchObject || vb.type === TAG.NoSuchInstance) return cerr('CONFIG', `SET ${action}: the PDU has no ${vb.oid}`);
    this.last = { action, until: monotonicMs() + delayMs + SETTLE_MS };
    if (delayMs > remainingMs(d)) return cerr('STATE', `on sent; the PDU's power-on delay (${Math.round(delayMs / 1000)} s) ends after the deadline (${Math.round(remainingMs(d) / 1000)} s left)`);
    return cok(undefined);
  }

  async close(_d: Deadline): Promise<void> {
    this.client.close();
  }

  private readings(table: VendorTable, instances: string[], vbs: VarbindLike[]): ChannelResult<OutletReading[]> {
    const per = table.pending ? 2 : 1;
    if (vbs.length !== instances.length * per) return cerr('PROTOCOL', `GET of the outlet states: ${vbs.length} values for ${instances.length * per} objects`);
    const out: OutletReading[] = [];
    for (let k = 0; k < instances.length; k++) {
      const state = readingOf(table, vbs[k * per] as VarbindLike, `outlet ${instances[k]} state`);
      if (!state.ok) return state;
      let reading = state.value;
      if (table.pending) {
        const p = intValue(vbs[k * per + 1] as VarbindLike, `outlet ${instances[k]} pending flag`);
        if (!p.ok) return p;
        const pending = table.pending.decode(p.value);
        if (pending === null) return cerr('PROTOCOL', `outlet ${instances[k]} pending flag: ${p.value} is not a value ${table.model} defines`);
        if (pending && (reading === 'on' || reading === 'off')) reading = 'switching';
      }
      out.push(reading);
    }
    return cok(out);
  }

  private async readDelays(table: VendorTable, instances: string[], d: Deadline): Promise<ChannelResult<{ perOutlet: (number | null)[]; totalMs: number }>> {
    const od = table.onDelay;
    if (!od) return cok({ perOutlet: instances.map(() => null), totalMs: 0 });
    const keys = od.scope === 'outlet' ? instances : [...new Set(instances.map((i) => i.split('.')[0] ?? i))];
    const got = await this.client.get(keys.map((k) => `${od.column}.${k}`), 'GET of the power-on delays', d);
    if (!got.ok) return got;
    if (got.value.length !== keys.length) return cerr('PROTOCOL', 'GET of the power-on delays: wrong number of values');
    const values: number[] = [];
    for (const [k, vb] of got.value.entries()) {
      const v = intValue(vb, `power-on delay of ${keys[k]}`);
      if (!v.ok) return v;
      if (v.value < od.min || v.value > od.max) return cerr('PROTOCOL', `power-on delay of ${keys[k]}: ${v.value} is outside ${od.min}..${od.max}`);
      values.push(v.value);
    }
    return cok({ perOutlet: od.scope === 'outlet' ? values : instances.map(() => null), totalMs: od.totalMs(values, instances.length) });
  }

  private async prepare(d: Deadline): Promise<ChannelResult<Ready>> {
    if (this.ready) return cok(this.ready);
    const sys = await this.client.get([SYS_OBJECT_ID], 'GET of sysObjectID', d);
    if (!sys.ok) return sys;
    const vb = sys.value[0];
    let sysObjectId: string | null = null;
    if (vb && vb.type !== TAG.NoSuchObject && vb.type !== TAG.NoSuchInstance) {
      const oid = oidValue(vb, 'sysObjectID');
      if (!oid.ok) return oid;
      sysObjectId = oid.value;
    } else if (this.vendor === null) {
      return cerr('CONFIG', 'the PDU does not report a sysObjectID: name the vendor with --vendor');
    }
    const table = detect(sysObjectId, this.vendor);
    if (!table.ok) return table;
    const instances = await this.resolve(table.value, d);
    if (!instances.ok) return instances;
    this.ready = { table: table.value, instances: instances.value };
    return cok(this.ready);
  }

  private async resolve(t: VendorTable, d: Deadline): Promise<ChannelResult<string[]>> {
    let rows: NamedRow[] | null = null;
    const out: string[] = [];
    for (const ref of this.refs) {
      if (ref.kind === 'number') out.push(outletInstance(t, ref.n));
      else if (ref.kind === 'instance') {
        if (ref.instance.split('.').length !== t.indexArity) return cerr('CONFIG', `outlet ${ref.instance}: ${t.model} rows have ${t.indexArity} index components`);
        out.push(ref.instance);
      } else {
        if (rows === null) {
          const named = await this.names(t, d);
          if (!named.ok) return named;
          rows = named.value;
        }
        const hit = matchName(rows, ref.name);
        if (!hit.ok) return hit;
        out.push(hit.value);
      }
    }
    if (new Set(out).size !== out.length) return cerr('CONFIG', `--outlet names one outlet twice (${out.join(',')})`);
    return cok(out);
  }

  private async names(t: VendorTable, d: Deadline): Promise<ChannelResult<NamedRow[]>> {
    const walked = await this.client.walk(t.nameColumn, 'walk of the outlet names', d);
    if (!walked.ok) return walked;
    const rows: NamedRow[] = [];
    for (const vb of walked.value) {
      const instance = instanceUnder(t.nameColumn, vb.oid);
      if (instance === null) continue;
      const name = textValue(vb, `outlet ${instance} name`);
      if (!name.ok) return name;
      rows.push({ instance, name: name.value });
    }
    return cok(rows);
  }
}
