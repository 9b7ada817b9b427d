// Test plumbing around the fake Redfish service: a fake per test, a driver
// opened against it, and the check every test ends with — no session left open.

import type { ExecutionContext } from 'ava';
import { redfishChannel } from '../../../agent/channels/redfish/index.ts';
import type { ChannelOptions, PowerDriver } from '../../../agent/channels/types.ts';
import { deadlineIn } from '../../../agent/channels/types.ts';
import type { VerifyTiming } from '../../../agent/channels/verify.ts';
import type { TestCert } from '../cert.ts';
import { FakeRedfish, type FakeOptions } from './server.ts';

export const USER = 'fence';
/** Distinctive, so that a test can look for it in every message. */
export const PASSWORD = 'pw-Zq7#sEcret-91';

export const FAST: VerifyTiming = { pollMs: 40, backoffMs: 30, backoffMaxMs: 120, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

export interface Rig {
  fake: FakeRedfish;
  port: number;
  opts(over?: Partial<ChannelOptions>): ChannelOptions;
  open(over?: Partial<ChannelOptions>): PowerDriver;
}

/**
 * Runs `body` against a fresh fake; whatever happens in it, every driver it
 * opened is closed and the fake must then hold no session.
 */
export async function withFake(t: ExecutionContext, cert: TestCert | null, o: Omit<FakeOptions, 'user' | 'password' | 'tls'>, body: (rig: Rig) => Promise<void>): Promise<void> {
  const fake = new FakeRedfish({ user: USER, password: PASSWORD, ...o, ...(cert ? { tls: { key: cert.key, cert: cert.cert } } : {}) });
  const port = await fake.start();
  const drivers: PowerDriver[] = [];
  const opts = (over: Partial<ChannelOptions> = {}): ChannelOptions => ({
    host: '127.0.0.1',
    port,
    user: USER,
    password: PASSWORD,
    ...(cert ? { tlsFingerprint: cert.pin } : { insecureHttp: true }),
    ...over,
  });
  const rig: Rig = {
    fake,
    port,
    opts,
    open(over) {
      const r = redfishChannel.open(opts(over));
      if (!r.ok) throw new Error(`open failed: ${r.error.code} ${r.error.message}`);
      drivers.push(r.value);
      return r.value;
    },
  };
  try {
    await body(rig);
  } finally {
    for (const d of drivers) await d.close(deadlineIn(2000));
    const open = fake.openSessions;
    await fake.stop();
    t.is(open, 0, 'sessions left open on the BMC');
  }
}
