// Test plumbing around the FAKE Proxmox VE: a cluster over pinned HTTPS with a
// ticket user and an API token, and the options that reach it.

import * as fs from 'node:fs';
import type { ChannelOptions } from '../../../agent/channels/types.ts';
import type { VerifyTiming } from '../../../agent/channels/verify.ts';
import { makeCert, type TestCert } from '../cert.ts';
import { FakeProxmox, type ProxmoxFakeOptions } from './server.ts';

export const USER = 'fence@pve';
/** Distinctive, so that a test can look for them in every message. */
export const PASSWORD = 'pve-Pw#5531-zeta';
export const TOKEN_ID = 'fence@pve!agent';
export const TOKEN_SECRET = '7d1f0c9e-5b3a-4e61-9a2f-c0ffee5ec7e7';

export const FAST: VerifyTiming = { pollMs: 30, backoffMs: 20, backoffMaxMs: 100, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };

export interface PveRig {
  fake: FakeProxmox;
  cert: TestCert;
  /** Options for the API token; `ticket()` for the password login. */
  token(params?: Record<string, string>): ChannelOptions;
  ticket(params?: Record<string, string>): ChannelOptions;
  close(): Promise<void>;
}

export async function startPve(nodes: string[], o: Omit<ProxmoxFakeOptions, 'tls' | 'users' | 'tokens'> = {}): Promise<PveRig> {
  const cert = makeCert('pve');
  const fake = new FakeProxmox(nodes, { ...o, users: { [USER]: PASSWORD }, tokens: { [TOKEN_ID]: TOKEN_SECRET }, tls: { key: cert.key, cert: cert.cert } });
  await fake.start();
  const base = (params: Record<string, string>): ChannelOptions => ({ tlsFingerprint: cert.pin, params: { endpoint: fake.url, vm: '100', ...params } });
  return {
    fake,
    cert,
    token: (params = {}) => ({ ...base(params), user: TOKEN_ID, secrets: { 'token-file': TOKEN_SECRET } }),
    ticket: (params = {}) => ({ ...base(params), user: USER, password: PASSWORD }),
    async close() {
      await fake.stop();
      fs.rmSync(cert.dir, { recursive: true, force: true });
    },
  };
}
