// An org with a recovery key and enrolled nodes in temp directories, for the vault tests;
// built on the identity tests' fixture (test/identity/fixture.ts).

import { join } from 'node:path';
import { loadRecoveryKey, NODE_FILES, type RecoveryKeyPair } from '../../agent/identity/store.ts';
import { openVault, type NodeVault } from '../../agent/vault/store.ts';
import { makeNode, makeOrg, must, tmp, type Org } from '../identity/fixture.ts';

export { must, tmp };

export interface VaultOrg extends Org {
  recovery: RecoveryKeyPair;
}

export function vaultOrg(): VaultOrg {
  const org = makeOrg();
  return { ...org, recovery: must(loadRecoveryKey(org.dir)) };
}

export interface VaultNode {
  name: string;
  identityDir: string;
  stateDir: string;
  vault: NodeVault;
}

/** Enrolled from a minute ago for a day, as the real CLI would; its vault opened on a fresh state directory. */
export function vaultNode(org: Org, name = 'node-a', stateDir = tmp()): VaultNode {
  const id = makeNode(org, name, Math.floor(Date.now() / 1000) - 60, 86_400);
  return { name, identityDir: id.dir, stateDir, vault: must(openVault({ stateDir, identityDir: id.dir })) };
}

export const recoveryPubPath = (n: VaultNode): string => join(n.identityDir, NODE_FILES.recoveryPublicKey);

/** Distinctive secrets the tests look for in everything printed. */
export const AMT_SECRET = 'Vlt-AMT-9qXr!27Lm';
export const BMC_SECRET = 'Vlt-BMC-4kTz#81Pw';
export const secretBytes = (s: string): Uint8Array => new TextEncoder().encode(s);
