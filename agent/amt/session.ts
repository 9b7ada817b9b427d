// The LME side of one AMT action: an LME session and the WS-MAN link on it,
// opened on first use and opened again if the firmware ended the session
// (an ME that restarts its port stack after Setup drops LME with it). Closed
// once, in the action's finally, whatever happened.

import { cerr, cok, deadlineIn, type ChannelErrorCode, type ChannelResult, type Deadline } from '../channels/types.ts';
import type { Lme } from '../mei/lme.ts';
import type { MeiErrorCode } from '../mei/types.ts';
import type { MeHost } from './host.ts';
import { amtLink, type AmtLink } from './link.ts';

const CLOSE_MS = 2000;

/** MEI failures of the LME open in the words of the WS-MAN steps that needed it. Unlisted: UNREACHABLE. */
const LME_ERROR: Partial<Record<MeiErrorCode, ChannelErrorCode>> = {
  TIMEOUT: 'TIMEOUT',
  NO_CLIENT: 'UNSUPPORTED',
  // Another LME user (Intel's LMS) holds the client.
  BUSY: 'BUSY',
  PERMISSION: 'CONFIG',
};

export class AmtSession {
  private lme: Lme | null = null;
  private current: AmtLink | null = null;
  /** How many LME sessions this action opened, for the step log. */
  opened = 0;

  constructor(private readonly host: MeHost) {}

  async link(d: Deadline): Promise<ChannelResult<AmtLink>> {
    if (this.lme !== null && this.current !== null && this.lme.ended === null) return cok(this.current);
    await this.close();
    const l = await this.host.openLme(d);
    if (!l.ok) return cerr(LME_ERROR[l.error.code] ?? 'UNREACHABLE', `LME: ${l.error.message}`);
    this.lme = l.value;
    this.opened++;
    const link = await amtLink(l.value, d);
    if (!link.ok) {
      await this.close();
      return link;
    }
    this.current = link.value;
    return link;
  }

  async close(): Promise<void> {
    const lme = this.lme;
    this.lme = null;
    this.current = null;
    if (lme) await lme.close(deadlineIn(CLOSE_MS));
  }
}

/** Errors after which a request may or may not have been applied: only a re-read can tell. */
export const replyLost = (code: string): boolean => code === 'UNREACHABLE' || code === 'TIMEOUT' || code === 'PROTOCOL' || code === 'RESET';
