// The part of net-snmp (3.29, MIT) this project uses, typed from its README:
// the command generator for the PDU channel, the agent for the test PDU. The
// package ships no types; errors are typed loosely on purpose and narrowed by
// their `name` where they are mapped (session.ts).

declare module 'net-snmp' {
  export interface Varbind {
    oid: string;
    type: number;
    value: unknown;
  }
  export interface SessionOptions {
    port?: number;
    retries?: number;
    timeout?: number;
    backoff?: number;
    transport?: 'udp4' | 'udp6';
    version?: number;
    idBitsSize?: 16 | 32;
    engineID?: string;
  }
  export interface User {
    name: string;
    level: number;
    authProtocol?: number;
    authKey?: string;
    privProtocol?: number;
    privKey?: string;
  }
  export type ResponseCallback = (error: Error | null, varbinds?: Varbind[]) => void;
  export interface Session {
    timeout: number;
    retries: number;
    /** SNMPv3: set once the agent answered engine discovery (RFC 3414 §4). Internal to net-snmp, read only to tell a silent wrong key from a dead PDU. */
    msgSecurityParameters?: unknown;
    get(oids: string[], cb: ResponseCallback): void;
    set(varbinds: Varbind[], cb: ResponseCallback): void;
    subtree(oid: string, maxRepetitions: number, feed: (varbinds: Varbind[]) => boolean | void, done: (error: Error | null) => void): void;
    close(): void;
    on(event: 'error', cb: (error: Error) => void): void;
    on(event: 'close', cb: () => void): void;
  }

  export interface MibRequest {
    oid: string;
    operation: number;
    setValue?: unknown;
    setType?: number;
    /** A SET reaches the handler twice: once to test (testSet), then to commit (commitSet). */
    testSet?: boolean;
    commitSet?: boolean;
    instanceNode: { value: unknown };
    done(error?: { errorStatus: number }): void;
  }
  export interface ProviderColumn {
    number: number;
    name: string;
    type: number;
    maxAccess: number;
    constraints?: { enumeration?: Record<string, string>; ranges?: { min?: number; max?: number }[] };
  }
  export interface Provider {
    name: string;
    type: number;
    oid: string;
    maxAccess: number;
    scalarType?: number;
    tableColumns?: ProviderColumn[];
    tableIndex?: { columnName: string }[];
    handler?: (req: MibRequest) => void;
  }
  export interface Mib {
    registerProvider(p: Provider): void;
    setScalarValue(name: string, value: unknown): void;
    addTableRow(name: string, row: unknown[]): void;
    getTableSingleCell(name: string, column: number, rowIndex: unknown[]): unknown;
    setTableSingleCell(name: string, column: number, rowIndex: unknown[], value: unknown): void;
  }
  export interface Authorizer {
    addCommunity(community: string): void;
    addUser(user: User): void;
  }
  export interface AgentOptions {
    port?: number;
    address?: string | null;
    transport?: 'udp4' | 'udp6';
    disableAuthorization?: boolean;
    accessControlModelType?: number;
    engineID?: string;
  }
  export interface Agent {
    getAuthorizer(): Authorizer;
    getMib(): Mib;
    close(cb?: () => void): void;
  }

  interface NetSnmp {
    Version1: number;
    Version2c: number;
    Version3: number;
    ObjectType: Record<'Integer' | 'OctetString' | 'OID' | 'Null' | 'Counter32' | 'Gauge32' | 'TimeTicks' | 'NoSuchObject' | 'NoSuchInstance' | 'EndOfMibView', number>;
    ErrorStatus: Record<string, number>;
    SecurityLevel: Record<'noAuthNoPriv' | 'authNoPriv' | 'authPriv', number>;
    AuthProtocols: Record<'md5' | 'sha' | 'sha224' | 'sha256' | 'sha384' | 'sha512', number>;
    PrivProtocols: Record<'des' | 'aes' | 'aes256b' | 'aes256r', number>;
    ResponseInvalidCode: Record<string, number>;
    MibProviderType: Record<'Scalar' | 'Table', number>;
    MaxAccess: Record<'not-accessible' | 'read-only' | 'read-write' | 'read-create', number>;
    AccessControlModelType: Record<'None' | 'Simple', number>;
    PduType: Record<string, number>;
    createSession(target: string, community: string, options: SessionOptions): Session;
    createV3Session(target: string, user: User, options: SessionOptions): Session;
    createAgent(options: AgentOptions, callback: (error: Error | null, data?: unknown) => void, mib?: Mib): Agent;
    isVarbindError(vb: Varbind): boolean;
  }
  const snmp: NetSnmp;
  export default snmp;
}
