// What the AMT flows need from the ME besides WS-MAN: the PTHI and watchdog
// client queries, and an LME session. An interface, so the flows run on the
// device (pthi-host.ts) and on the simulated firmware alike, and so every
// PTHI connection is opened per query and closed after it (PTHI takes one
// connection at a time).

import type { Deadline } from '../channels/types.ts';
import type { Lme } from '../mei/lme.ts';
import type { MeiResult } from '../mei/types.ts';

/** The watchdog client's AMT operational state (ME >= 16.1, "new interface"). */
export interface OperationalState {
  /** Bit 7: the firmware has the new interface; without it the other bits mean nothing. */
  newInterface: boolean;
  /** Bit 1: AMT is enabled (the BIOS-level switch). */
  enabled: boolean;
  /** Bit 6: TLS is enforced on the local ports (16993 only). */
  tlsEnforced: boolean;
}

/** The local system account; the password is handed out by a method so it never lands in JSON or logs. */
export interface SystemAccount {
  readonly user: string;
  revealPassword(): string;
}

export interface MeHost {
  /** PTHI GetControlMode: 0 none, 1 CCM, 2 ACM. */
  controlMode(d: Deadline): Promise<MeiResult<number>>;
  /** PTHI GetProvisioningState: 0 pre, 1 in, 2 post. */
  provisioningState(d: Deadline): Promise<MeiResult<number>>;
  /** PTHI GetLocalSystemAccount. */
  localSystemAccount(d: Deadline): Promise<MeiResult<SystemAccount>>;
  /** PTHI Unprovision (mode 0): CCM only; ACM answers INVALID_AMT_MODE. */
  unprovision(d: Deadline): Promise<MeiResult<void>>;
  /** Watchdog-client IsChangeToAMTEnabled. */
  operationalState(d: Deadline): Promise<MeiResult<OperationalState>>;
  /** Watchdog-client SetAmtOperationalState(enabled). */
  enableAmt(d: Deadline): Promise<MeiResult<void>>;
  /** An LME session that lives until `d` or its close(). */
  openLme(d: Deadline): Promise<MeiResult<Lme>>;
}
