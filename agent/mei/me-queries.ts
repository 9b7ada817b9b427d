// The non-PTHI questions: MKHI firmware version and capability rules, and the AMT
// operational state from the watchdog client. Each opens its own short-lived
// client, as these are asked once.

import type { Deadline } from '../channels/types.ts';
import { MeiClient } from './client.ts';
import { MEI_GUID } from './guid.ts';
import {
  MKHI_FWCAPS_GET_RULE,
  MKHI_GEN_GET_FW_VERSION,
  MKHI_GROUP,
  decodeFwCapsRule,
  decodeFwVersion,
  decodeMkhiReply,
  encodeGetRule,
  encodeMkhiRequest,
  type FwCapsRule,
  type MkhiFwVersion,
} from './mkhi.ts';
import { OPSTATE_GET_REQUEST, decodeOperationalState, decodeSetOperationalStateReply, encodeSetOperationalState, type OperationalState } from './opstate.ts';
import type { MeiBus, MeiResult } from './types.ts';

export const mkhiClient = (bus: MeiBus): MeiClient => new MeiClient(bus, MEI_GUID.MKHI, 'MKHI');
export const watchdogClient = (bus: MeiBus): MeiClient => new MeiClient(bus, MEI_GUID.WATCHDOG, 'WD');

export const getFwVersion = (c: MeiClient, d: Deadline): Promise<MeiResult<MkhiFwVersion>> =>
  c.call(encodeMkhiRequest(MKHI_GROUP.GEN, MKHI_GEN_GET_FW_VERSION), d, (reply) => {
    const b = decodeMkhiReply(reply, MKHI_GROUP.GEN, MKHI_GEN_GET_FW_VERSION);
    return b.ok ? decodeFwVersion(b.value) : b;
  });

export const getFwCapsRule = (c: MeiClient, ruleId: number, d: Deadline): Promise<MeiResult<FwCapsRule>> =>
  c.call(encodeGetRule(ruleId), d, (reply) => {
    const b = decodeMkhiReply(reply, MKHI_GROUP.FWCAPS, MKHI_FWCAPS_GET_RULE);
    return b.ok ? decodeFwCapsRule(b.value, ruleId) : b;
  });

export const getOperationalState = (c: MeiClient, d: Deadline): Promise<MeiResult<OperationalState>> =>
  c.call(OPSTATE_GET_REQUEST, d, decodeOperationalState);

/** rpc-go's `configure enableamt/disableamt`: meaningful only where the new interface bit is set. */
export const setOperationalState = (c: MeiClient, enable: boolean, d: Deadline): Promise<MeiResult<void>> =>
  c.call(encodeSetOperationalState(enable), d, decodeSetOperationalStateReply);
