// The PTHI questions the agent asks, each one request and one reply through a
// MeiClient on the PTHI GUID. A firmware refusal comes back as STATUS with the
// PTHI status number (e.g. 3 INVALID_AMT_MODE for Unprovision in ACM).

import type { Deadline } from '../channels/types.ts';
import { MEI_GUID } from './guid.ts';
import { LeWriter } from './le.ts';
import { PTHI_CMD, decodePthiReply, encodePthiRequest, pthiRequestCode } from './pthi.ts';
import {
  decodeCertHashEntry,
  decodeCodeVersions,
  decodeDnsSuffix,
  decodeHashHandles,
  decodeLanSettings,
  decodeLocalSystemAccount,
  decodeRemoteAccess,
  decodeU32,
  decodeUuid,
  type CertHashEntry,
  type CodeVersions,
  type LanSettings,
  type LocalSystemAccount,
  type RemoteAccessStatus,
} from './pthi-replies.ts';
import { mok, type MeiBus, type MeiResult } from './types.ts';
import { MeiClient } from './client.ts';

export const pthiClient = (bus: MeiBus): MeiClient => new MeiClient(bus, MEI_GUID.PTHI, 'PTHI');

function pthiCall<T>(c: MeiClient, cmd: number, payload: Uint8Array, d: Deadline, body: (b: Uint8Array) => MeiResult<T>): Promise<MeiResult<T>> {
  const code = pthiRequestCode(cmd);
  return c.call(encodePthiRequest(code, payload), d, (reply) => {
    const r = decodePthiReply(reply, code);
    return r.ok ? body(r.value.body) : r;
  });
}

const u32Payload = (v: number): Uint8Array => new LeWriter().u32(v).done();
const none = new Uint8Array(0);

export const getCodeVersions = (c: MeiClient, d: Deadline): Promise<MeiResult<CodeVersions>> =>
  pthiCall(c, PTHI_CMD.GET_CODE_VERSIONS, none, d, decodeCodeVersions);

export const getUuid = (c: MeiClient, d: Deadline): Promise<MeiResult<string>> => pthiCall(c, PTHI_CMD.GET_UUID, none, d, decodeUuid);

/** 0 none (pre-provisioning), 1 client control mode, 2 admin control mode. */
export const getControlMode = (c: MeiClient, d: Deadline): Promise<MeiResult<number>> =>
  pthiCall(c, PTHI_CMD.GET_CONTROL_MODE, none, d, (b) => decodeU32(b, 'GetControlMode'));

/** 0 pre-, 1 in-, 2 post-provisioning. */
export const getProvisioningState = (c: MeiClient, d: Deadline): Promise<MeiResult<number>> =>
  pthiCall(c, PTHI_CMD.GET_PROVISIONING_STATE, none, d, (b) => decodeU32(b, 'GetProvisioningState'));

export const getDnsSuffix = (c: MeiClient, d: Deadline): Promise<MeiResult<string>> =>
  pthiCall(c, PTHI_CMD.GET_PKI_FQDN_SUFFIX, none, d, decodeDnsSuffix);

export const getRemoteAccessStatus = (c: MeiClient, d: Deadline): Promise<MeiResult<RemoteAccessStatus>> =>
  pthiCall(c, PTHI_CMD.GET_REMOTE_ACCESS_CONNECTION_STATUS, none, d, decodeRemoteAccess);

/** `index` 0 is the wired interface, 1 the wireless one. */
export const getLanSettings = (c: MeiClient, index: 0 | 1, d: Deadline): Promise<MeiResult<LanSettings>> =>
  pthiCall(c, PTHI_CMD.GET_LAN_INTERFACE_SETTINGS, u32Payload(index), d, decodeLanSettings);

/** The password inside is a secret; see LocalSystemAccount. The request carries 40 reserved zero bytes. */
export const getLocalSystemAccount = (c: MeiClient, d: Deadline): Promise<MeiResult<LocalSystemAccount>> =>
  pthiCall(c, PTHI_CMD.GET_LOCAL_SYSTEM_ACCOUNT, new Uint8Array(40), d, decodeLocalSystemAccount);

/** Every certificate hash: EnumerateHashHandles, then GetCertHashEntry per handle; the first failure ends it. */
export async function getCertHashes(c: MeiClient, d: Deadline): Promise<MeiResult<CertHashEntry[]>> {
  const handles = await pthiCall(c, PTHI_CMD.ENUMERATE_HASH_HANDLES, none, d, decodeHashHandles);
  if (!handles.ok) return handles;
  const out: CertHashEntry[] = [];
  for (const h of handles.value) {
    const e = await pthiCall(c, PTHI_CMD.GET_CERT_HASH_ENTRY, u32Payload(h), d, decodeCertHashEntry);
    if (!e.ok) return e;
    out.push(e.value);
  }
  return mok(out);
}

/**
 * The password-less unprovision (mode 0). Works in client control mode; in admin
 * control mode the firmware refuses with status 3 (INVALID_AMT_MODE), returned as
 * STATUS. Success is the header status only (rpc-go learned the payload lies).
 */
export const unprovision = (c: MeiClient, d: Deadline): Promise<MeiResult<number>> =>
  pthiCall(c, PTHI_CMD.UNPROVISION, u32Payload(0), d, (b) => decodeU32(b, 'Unprovision'));
