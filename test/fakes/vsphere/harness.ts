// Test plumbing around the FAKE vCenter: pinned HTTPS, a user, and the options that reach it.

import * as fs from 'node:fs';
import type { ChannelOptions } from '../../../agent/channels/types.ts';
import type { VerifyTiming } from '../../../agent/channels/verify.ts';
import { makeCert, type TestCert } from '../cert.ts';
import { FakeVcenter, type VsphereFakeOptions } from './server.ts';

export const USER = 'fence@vsphere.local';
/** Distinctive, so that a test can look for it in every message. */
export const PASSWORD = 'vc-Pw!7719-omega';

export const FAST: VerifyTiming = { pollMs: 30, backoffMs: 20, backoffMaxMs: 100, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

export interface VcRig {
  fake: FakeVcenter;
  cert: TestCert;
  url: string;
  opts(params?: Record<string, string>): ChannelOptions;
  close(): Promise<void>;
}

export async function startVcenter(o: Omit<VsphereFakeOptions, 'tls' | 'user' | 'password'> = {}): Promise<VcRig> {
  const cert = makeCert('vcenter');
  const fake = new FakeVcenter({ ...o, user: USER, password: PASSWORD, tls: { key: cert.key, cert: cert.cert } });
  await fake.start();
  const url = fake.server.url;
  return {
    fake,
    cert,
    url,
    opts: (params = {}) => ({ user: USER, password: PASSWORD, tlsFingerprint: cert.pin, params: { endpoint: url, vm: 'vm-42', ...params } }),
    async close() {
      await fake.stop();
      fs.rmSync(cert.dir, { recursive: true, force: true });
    },
  };
}
