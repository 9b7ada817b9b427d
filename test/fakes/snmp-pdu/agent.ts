// A TEST PDU: an SNMP agent on 127.0.0.1 built on net-snmp's agent
// implementation (the Agent, Mib and Authorizer of npm net-snmp 3.29), serving
// each vendor's outlet tables at the OIDs of the MIBs cited in profiles.ts.
// The control columns are writable and switch a PowerMachine per outlet; the
// state columns read back from it. v2c checks the community (net-snmp's agent
// drops a wrong one without answering, as real agents do); v3 knows one USM
// user (authPriv), and net-snmp answers a wrong key or user with the RFC 3414
// report PDUs. Every varbind served is logged; requests the agent refused
// (wrong community, unknown user, bad digest) are counted in `rejected`.

import dgram from 'node:dgram';
import snmp, { type Agent, type MibRequest, type ProviderColumn } from 'net-snmp';
import { FakeOutlet } from './outlet.ts';
import { PROFILES, type FakeProfile, type FakeTable, type ProfileName, type Unit } from './profiles.ts';

export interface OutletSpec {
  name: string;
  power: 'on' | 'off';
  /** The outlet's configured power-on delay (seconds, the MIB's unit). */
  onDelay?: number;
}

export interface PduAgentOptions {
  profile: ProfileName;
  outlets: OutletSpec[];
  /** How long the load takes to follow a switched relay (PowerMachine delay). */
  delayMs?: number;
  community?: string;
  user?: { name: string; authKey: string; privKey: string };
  inrushMs?: number;
  /** Corrupt the state column: served as an OCTET STRING, or as an integer the MIB does not define. */
  fault?: 'string-state' | 'out-of-range';
  /** Serve another sysObjectID (null: none at all). */
  sysObjectId?: string | null;
}

export interface Served {
  op: 'get' | 'set';
  oid: string;
  value?: unknown;
}

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((res) => s.bind(0, '127.0.0.1', res));
  const { port } = s.address();
  await new Promise<void>((res) => s.close(() => res()));
  return port;
}

export class PduAgent {
  readonly log: Served[] = [];
  /** Requests the agent refused before serving them (bad community, USM failures). */
  rejected = 0;
  /** Answer genErr to the next N varbinds. */
  busy = 0;
  readonly outlets: FakeOutlet[];
  private readonly unit: Unit;

  private constructor(
    private readonly agent: Agent,
    readonly port: number,
    readonly profile: FakeProfile,
    opts: PduAgentOptions,
  ) {
    this.outlets = opts.outlets.map((o, k) => new FakeOutlet(k + 1, o.name, o.power, opts.delayMs ?? 0, o.onDelay ?? 0));
    this.unit = { inrushMs: opts.inrushMs ?? 100, nextOnAt: 0 };
  }

  static async start(opts: PduAgentOptions): Promise<PduAgent> {
    const port = await freeUdpPort();
    let self: PduAgent | null = null;
    const agent = snmp.createAgent({ port, address: '127.0.0.1', transport: 'udp4', disableAuthorization: false, accessControlModelType: snmp.AccessControlModelType.None }, (error) => {
      if (error && self) self.rejected++;
    });
    const a = new PduAgent(agent, port, PROFILES[opts.profile], opts);
    self = a;
    const auth = agent.getAuthorizer();
    if (opts.community !== undefined) auth.addCommunity(opts.community);
    if (opts.user) {
      auth.addUser({ name: opts.user.name, level: snmp.SecurityLevel.authPriv, authProtocol: snmp.AuthProtocols.sha, authKey: opts.user.authKey, privProtocol: snmp.PrivProtocols.aes, privKey: opts.user.privKey });
    }
    a.register(opts);
    return a;
  }

  /** The settled power of each outlet's load, for assertions. */
  power(): string[] {
    return this.outlets.map((o) => o.power());
  }

  sets(): Served[] {
    return this.log.filter((l) => l.op === 'set');
  }

  close(): Promise<void> {
    for (const o of this.outlets) o.cancel();
    return new Promise((res) => this.agent.close(() => res()));
  }

  private register(opts: PduAgentOptions): void {
    const mib = this.agent.getMib();
    const sys = opts.sysObjectId === undefined ? this.profile.sysObjectId : opts.sysObjectId;
    if (sys !== null) {
      mib.registerProvider({ name: 'sysObjectID', type: snmp.MibProviderType.Scalar, oid: '1.3.6.1.2.1.1.2', scalarType: snmp.ObjectType.OID, maxAccess: snmp.MaxAccess['read-only'] });
      mib.setScalarValue('sysObjectID', sys);
    }
    const arity = this.profile.unitIndex.length + 1;
    for (const table of this.profile.tables) {
      mib.registerProvider(this.provider(table, arity, opts.fault));
      for (const o of this.outlets) mib.addTableRow(table.name, [...this.profile.unitIndex, o.number, ...table.columns.map((c) => this.initial(table, c.number, o, opts.fault))]);
    }
    const ut = this.profile.unitTable;
    if (ut) {
      mib.registerProvider(this.provider(ut, 1, undefined));
      mib.addTableRow(ut.name, [this.profile.unitIndex[0] ?? 1, ...ut.columns.map((c) => c.read(this.outlets[0] as FakeOutlet, this.unit))]);
    }
  }

  private isState(table: FakeTable, column: number): boolean {
    return this.profile.state.table === table.name && this.profile.state.column === column;
  }

  private initial(table: FakeTable, column: number, o: FakeOutlet, fault: PduAgentOptions['fault']): unknown {
    if (this.isState(table, column) && fault === 'string-state') return 'on';
    if (this.isState(table, column) && fault === 'out-of-range') return 42;
    const c = table.columns.find((x) => x.number === column);
    return c ? c.read(o, this.unit) : 0;
  }

  private provider(table: FakeTable, arity: number, fault: PduAgentOptions['fault']) {
    const indexCols: ProviderColumn[] = Array.from({ length: arity }, (_, k) => ({ number: 200 + k, name: `${table.name}Index${k}`, type: snmp.ObjectType.Integer, maxAccess: snmp.MaxAccess['read-only'] }));
    const cols: ProviderColumn[] = table.columns.map((c) => ({
      number: c.number,
      name: `${table.name}.${c.name}`,
      type: c.kind === 'text' || (this.isState(table, c.number) && fault === 'string-state') ? snmp.ObjectType.OctetString : snmp.ObjectType.Integer,
      maxAccess: c.write ? snmp.MaxAccess['read-write'] : snmp.MaxAccess['read-only'],
    }));
    return {
      name: table.name,
      type: snmp.MibProviderType.Table,
      oid: table.entry,
      maxAccess: snmp.MaxAccess['not-accessible'],
      tableColumns: [...indexCols, ...cols],
      tableIndex: indexCols.map((c) => ({ columnName: c.name })),
      handler: (req: MibRequest) => this.serve(table, req, fault),
    };
  }

  private serve(table: FakeTable, req: MibRequest, fault: PduAgentOptions['fault']): void {
    const isSet = req.operation === snmp.PduType.SetRequest;
    // net-snmp runs a SET's handler twice, test then commit: the switch happens (and is logged) once, on commit.
    const commit = isSet && req.commitSet === true;
    if (!isSet || commit) this.log.push(isSet ? { op: 'set', oid: req.oid, value: req.setValue } : { op: 'get', oid: req.oid });
    if (this.busy > 0 && !commit) {
      this.busy--;
      return req.done({ errorStatus: snmp.ErrorStatus.GeneralError ?? 5 });
    }
    const parts = req.oid.slice(table.entry.length + 1).split('.').map(Number);
    const column = table.columns.find((c) => c.number === parts[0]);
    const outlet = table === this.profile.unitTable ? this.outlets[0] : this.outlets[(parts[parts.length - 1] ?? 0) - 1];
    if (!column || !outlet) return req.done();
    if (isSet) {
      if (!column.write || typeof req.setValue !== 'number') return req.done({ errorStatus: snmp.ErrorStatus.WrongValue ?? 10 });
      if (!commit) return req.done();
      return req.done(column.write(outlet, req.setValue, this.unit) ? undefined : { errorStatus: snmp.ErrorStatus.WrongValue ?? 10 });
    }
    if (!(this.isState(table, column.number) && fault)) req.instanceNode.value = column.read(outlet, this.unit);
    req.done();
  }
}
