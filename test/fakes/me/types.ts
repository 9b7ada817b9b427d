// Contract between the pieces of the simulated ME firmware (test/fakes/me/):
// the firmware core routes MEI connections by client GUID to client handlers
// (PTHI, MKHI, watchdog, LME), and every handler reads and changes one shared
// AMT state, as the real firmware's clients do. This is a test double: no
// emulated MEI exists anywhere, so it is written from the published message
// layouts (shared/reference/amt-me.md and the sources it cites).

/** What the firmware side of one connection may do. */
export interface SimPeer {
  /** Queue one whole message for the host to receive (a reply, or an unasked LME request). */
  push(message: Uint8Array): void;
  /** The firmware drops the connection (the host's next receive fails with RESET). */
  close(): void;
}

/** One connection's firmware half. A handler that throws is a bug in the fake, not a firmware answer. */
export interface SimClientSession {
  onMessage(message: Uint8Array): void;
  onClose?(): void;
}

export type SimClientFactory = (peer: SimPeer, state: AmtState) => SimClientSession;

export interface SimClientSpec {
  guid: string;
  maxMessageLength: number;
  protocolVersion: number;
  /** Clients such as PTHI take one connection at a time: a second connect is EBUSY. */
  singleConnection: boolean;
  create: SimClientFactory;
}

export type ProvisioningState = 0 | 1 | 2; // pre, in, post
export type ControlMode = 0 | 1 | 2; // none, CCM, ACM

/** The AMT state every client sees; WS-MAN (through LME) and PTHI change the same object. */
export interface AmtState {
  amtVersion: string; // "16.1.25"
  buildNumber: string;
  sku: number; // 16392 = AMT Pro Corporate
  meVersion: { major: number; minor: number; hotfix: number; build: number };
  uuid: Uint8Array; // 16 bytes as PTHI returns them
  provisioningState: ProvisioningState;
  controlMode: ControlMode;
  digestRealm: string;
  /** hex MD5("admin:" + realm + ":" + password) once activated; null before. */
  adminDigest: string | null;
  dnsSuffix: string;
  tlsEnforcedOnLocalPorts: boolean;
  /** Operational state bits from the watchdog client (ME >= 16.1): AMT enabled in the BIOS sense. */
  amtEnabled: boolean;
  redirection: { sol: boolean; ider: boolean; kvm: boolean; listenerEnabled: boolean };
  lan: { wired: { enabled: boolean; ipv4: number; dhcp: boolean; dhcpMode: number; link: boolean; mac: Uint8Array }; wireless: { enabled: boolean; ipv4: number; dhcp: boolean; dhcpMode: number; link: boolean; mac: Uint8Array } | null };
  certHashes: { name: string; algorithm: number; hash: Uint8Array; isDefault: boolean; isActive: boolean }[];
  localSystemAccount: { user: string; password: string };
  remoteAccess: { network: number; remote: number; trigger: number; mpsHostname: string };
  /** Every state change, in order, so tests can assert what was and was not applied. */
  journal: string[];
}
