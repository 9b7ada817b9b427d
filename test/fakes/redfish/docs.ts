// FAKE Redfish documents, shaped after the DMTF schema (DSP0268/DSP8010:
// ServiceRoot v1, ComputerSystemCollection, ComputerSystem v1 with
// #ComputerSystem.Reset, ActionInfo, SessionService/Session, Task) and the DMTF
// public mockups (DSP2043 "public-rackmount1"), and the Base message registry's
// error shape (DSP0266 §9.6: error.code, error.message, @Message.ExtendedInfo).

export const odata = (id: string) => ({ '@odata.id': id });

export function serviceRoot(sessions: boolean) {
  return {
    '@odata.type': '#ServiceRoot.v1_15_0.ServiceRoot',
    '@odata.id': '/redfish/v1/',
    Id: 'RootService',
    Name: 'Root Service',
    RedfishVersion: '1.15.0',
    UUID: '92384634-2938-2342-8820-489239905423',
    Systems: odata('/redfish/v1/Systems'),
    ...(sessions ? { SessionService: odata('/redfish/v1/SessionService'), Links: { Sessions: odata('/redfish/v1/SessionService/Sessions') } } : { Links: {} }),
  };
}

export function systemCollection(ids: readonly string[]) {
  return {
    '@odata.type': '#ComputerSystemCollection.ComputerSystemCollection',
    '@odata.id': '/redfish/v1/Systems',
    Name: 'Computer System Collection',
    'Members@odata.count': ids.length,
    Members: ids.map((id) => odata(`/redfish/v1/Systems/${id}`)),
  };
}

export interface ResetShape {
  /** Inline AllowableValues; null leaves the annotation out. */
  allowed: readonly string[] | null;
  /** Put the values in an ActionInfo document instead (iLO 5, OpenBMC style). */
  actionInfo: boolean;
}

export function computerSystem(id: string, power: string, reset: ResetShape) {
  const base = `/redfish/v1/Systems/${id}`;
  const action: Record<string, unknown> = { target: `${base}/Actions/ComputerSystem.Reset` };
  if (reset.actionInfo) action['@Redfish.ActionInfo'] = `${base}/ResetActionInfo`;
  else if (reset.allowed !== null) action['ResetType@Redfish.AllowableValues'] = reset.allowed;
  return {
    '@odata.type': '#ComputerSystem.v1_20_0.ComputerSystem',
    '@odata.id': base,
    Id: id,
    Name: `Fake system ${id}`,
    SystemType: 'Physical',
    UUID: `38947555-7742-3448-3784-8234723438${id.padStart(2, '0').slice(-2)}`,
    PowerState: power,
    Status: { State: 'Enabled', Health: 'OK' },
    Actions: { '#ComputerSystem.Reset': action },
  };
}

export function resetActionInfo(id: string, allowed: readonly string[]) {
  return {
    '@odata.type': '#ActionInfo.v1_3_0.ActionInfo',
    '@odata.id': `/redfish/v1/Systems/${id}/ResetActionInfo`,
    Id: 'ResetActionInfo',
    Name: 'Reset Action Info',
    Parameters: [{ Name: 'ResetType', Required: true, DataType: 'String', AllowableValues: allowed }],
  };
}

export function session(n: number, user: string) {
  return { '@odata.type': '#Session.v1_6_0.Session', '@odata.id': `/redfish/v1/SessionService/Sessions/${n}`, Id: String(n), Name: 'User Session', UserName: user };
}

export function task(n: number) {
  return { '@odata.type': '#Task.v1_7_0.Task', '@odata.id': `/redfish/v1/TaskService/Tasks/${n}`, Id: String(n), TaskState: 'Completed', TaskStatus: 'OK', PercentComplete: 100, Messages: [] };
}

/** Base registry messages the fake answers with (Base.1.16.0). */
export const BASE = {
  NoValidSession: 'There is no valid session established with the implementation.',
  ResourceMissingAtURI: 'The resource at the URI %1 was not found.',
  ActionParameterNotSupported: 'The parameter %1 for the action %2 is not supported on the target resource.',
  ActionParameterMissing: 'The action %2 requires the parameter %1 to be present in the request body.',
  MalformedJSON: 'The request body submitted was malformed JSON and could not be parsed by the receiving service.',
  OperationNotAllowed: 'The HTTP method is not allowed on this resource.',
  ServiceTemporarilyUnavailable: 'The service is temporarily unavailable.  Retry in %1 seconds.',
} as const;

export function fault(id: keyof typeof BASE | string, message: string) {
  return {
    error: {
      code: id.includes('.') ? id : `Base.1.16.${id}`,
      message,
      '@Message.ExtendedInfo': [{ '@odata.type': '#Message.v1_1_1.Message', MessageId: id.includes('.') ? id : `Base.1.16.${id}`, Message: message, Severity: 'Critical' }],
    },
  };
}
