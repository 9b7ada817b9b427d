// `agent amt features --sol on|off --ider on|off --kvm on|off`: the
// redirection switches, as MeshCommander sets them (amt-me.md 2):
// AMT_RedirectionService.RequestStateChange(32768 + IDE-R 1 + SOL 2), the
// listener through a Put of AMT_RedirectionService (on while any of the three
// is on), CIM_KVMRedirectionSAP.RequestStateChange(2 | 3). Only what differs
// is sent; success is the read-back matching what was asked.

import type { ChannelResult, Deadline } from '../channels/types.ts';
import { cok } from '../channels/types.ts';
import { putListener, readKvm, readRedirection, requestKvm, requestRedirection, type Redirection } from './calls.ts';
import type { MeHost } from './host.ts';
import { wsmanAs } from './link.ts';
import { CONTROL_MODE } from './me-state.ts';
import { AmtSession } from './session.ts';
import { StepLog, type ActionResult } from './steps.ts';
import type { AmtWsman } from './wsman.ts';

export interface FeatureWish {
  sol?: boolean;
  ider?: boolean;
  kvm?: boolean;
}

export interface FeaturesOptions extends FeatureWish {
  password: string;
}

const onOff = (b: boolean): string => (b ? 'on' : 'off');

interface Seen {
  r: Redirection;
  kvm: boolean;
}

async function read(w: AmtWsman, d: Deadline): Promise<ChannelResult<Seen>> {
  const r = await readRedirection(w, d);
  if (!r.ok) return r;
  const kvm = await readKvm(w, d);
  return kvm.ok ? cok({ r: r.value, kvm: kvm.value }) : kvm;
}

const describe = (s: Seen): string => `SOL ${onOff(s.r.sol)}, IDE-R ${onOff(s.r.ider)}, KVM ${onOff(s.kvm)}, listener ${onOff(s.r.listener)}`;

export async function setFeatures(host: MeHost, o: FeaturesOptions, d: Deadline): Promise<ActionResult> {
  const log = new StepLog('features');
  const mode = await host.controlMode(d);
  if (!mode.ok) return log.fail('read control mode (PTHI)', mode.error);
  if (mode.value === 0) return log.fail('read control mode (PTHI)', { code: 'STATE', message: 'AMT is not activated: activate it first' });
  log.done('read control mode (PTHI)', CONTROL_MODE[mode.value] ?? String(mode.value));
  const lme = new AmtSession(host);
  try {
    const link = await lme.link(d);
    if (!link.ok) return log.fail('open LME and the WS-MAN link', link.error);
    log.done('open LME and the WS-MAN link', `port ${link.value.port}${link.value.tls ? ' (TLS)' : ' (HTTP)'}`);
    const w = wsmanAs(link.value, { user: 'admin', password: o.password });
    const before = await read(w, d);
    if (!before.ok) return log.fail('read redirection state', before.error);
    log.done('read redirection state', describe(before.value));
    const want = { sol: o.sol ?? before.value.r.sol, ider: o.ider ?? before.value.r.ider, kvm: o.kvm ?? before.value.kvm };
    const listener = want.sol || want.ider || want.kvm;

    if (want.sol !== before.value.r.sol || want.ider !== before.value.r.ider) {
      const r = await requestRedirection(w, want.sol, want.ider, d);
      if (!r.ok) return log.fail('AMT_RedirectionService.RequestStateChange', r.error);
      log.changed = true;
      log.done('AMT_RedirectionService.RequestStateChange', `SOL ${onOff(want.sol)}, IDE-R ${onOff(want.ider)}`);
    } else log.skipped('AMT_RedirectionService.RequestStateChange', 'SOL and IDE-R are already as asked');

    if (listener !== before.value.r.listener) {
      // The Put carries the instance as it is now: RequestStateChange may have changed EnabledState.
      const now = await readRedirection(w, d);
      if (!now.ok) return log.fail('Put AMT_RedirectionService (ListenerEnabled)', now.error);
      const p = await putListener(w, now.value, listener, d);
      if (!p.ok) return log.fail('Put AMT_RedirectionService (ListenerEnabled)', p.error);
      log.changed = true;
      log.done('Put AMT_RedirectionService (ListenerEnabled)', onOff(listener));
    } else log.skipped('Put AMT_RedirectionService (ListenerEnabled)', `the listener is already ${onOff(listener)}`);

    if (want.kvm !== before.value.kvm) {
      const k = await requestKvm(w, want.kvm, d);
      if (!k.ok) return log.fail('CIM_KVMRedirectionSAP.RequestStateChange', k.error);
      log.changed = true;
      log.done('CIM_KVMRedirectionSAP.RequestStateChange', onOff(want.kvm));
    } else log.skipped('CIM_KVMRedirectionSAP.RequestStateChange', `KVM is already ${onOff(want.kvm)}`);

    const after = await read(w, d);
    if (!after.ok) return log.fail('verify redirection state', after.error);
    const a = after.value;
    if (a.r.sol !== want.sol || a.r.ider !== want.ider || a.kvm !== want.kvm || a.r.listener !== listener)
      return log.fail('verify redirection state', { code: 'STATE', message: `read back ${describe(a)}; asked for SOL ${onOff(want.sol)}, IDE-R ${onOff(want.ider)}, KVM ${onOff(want.kvm)}, listener ${onOff(listener)}` });
    log.done('verify redirection state', describe(a));
    return log.ok();
  } finally {
    await lme.close();
  }
}
