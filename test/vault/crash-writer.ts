// The child the crash test kills: opens the vault (which clears leftovers of
// the previous kill) and puts records round-robin over three ids for ever,
// reporting each completed put as "ID SEQ" on stdout with a synchronous write,
// so the parent knows the last seq that reached the disk for each id.
// Usage: crash-writer STATE_DIR IDENTITY_DIR [FIRST]: FIRST picks the id it starts with, so that
// runs killed after one put still cover every id (a loaded machine may allow only one).

import { writeSync } from 'node:fs';
import { openVault } from '../../agent/vault/store.ts';

const [stateDir, identityDir, firstArg] = process.argv.slice(2);
const first = Number(firstArg ?? 0);
if (!stateDir || !identityDir) {
  writeSync(2, 'usage: crash-writer STATE_DIR IDENTITY_DIR\n');
  process.exit(2);
}
const v = openVault({ stateDir, identityDir });
if (!v.ok) {
  writeSync(2, `${v.error.code}: ${v.error.message}\n`);
  process.exit(1);
}
writeSync(1, `ready ${v.value.removedTemps.length}\n`);
const ids = [
  ['amt-admin', 'amt-admin'],
  ['bmc-user', 'bmc-user:fortros-oob'],
  ['channel-ref', 'channel-ref:pdu'],
] as const;
const secret = new TextEncoder().encode('crash-test-secret');
for (let i = first; ; i++) {
  const [kind, id] = ids[i % ids.length] as (typeof ids)[number];
  const r = await v.value.put(kind, id, secret, { n: i });
  if (!r.ok) {
    writeSync(2, `${r.error.code}: ${r.error.message}\n`);
    process.exit(1);
  }
  writeSync(1, `${id} ${r.value.seq}\n`);
}
