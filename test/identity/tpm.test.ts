import test from 'ava';
import { openTpm, parsePcrSelection } from '../../agent/tpm/index.ts';
import { tpmQuoteCheck, tpmQuoter } from '../../agent/identity/tpm.ts';
import { verifyRecord } from '../../agent/identity/verify.ts';
import { hasTool, startSwtpm } from '../tpm/swtpm.ts';
import { makeNode, makeOrg, makeRecord, must, T0 } from './fixture.ts';

test('a real quote binds the session key; a quote over another nonce or from another record is BAD_QUOTE (swtpm)', async (t) => {
  if (!hasTool('swtpm')) {
    t.log('swtpm not installed: skipped');
    t.pass();
    return;
  }
  const sw = await startSwtpm();
  const tpm = await openTpm(sw.uri);
  try {
    const org = makeOrg();
    const node = makeNode(org, 'node-q');
    const opts = { org: org.keys.publicKey, now: T0 + 1000, checkQuote: tpmQuoteCheck };
    const quoter = tpmQuoter(tpm, must(parsePcrSelection('sha256:0,7')));
    const good = await makeRecord(node, { quoter });
    t.true(must(verifyRecord(good.bytes, opts)).attested);

    const stale = await makeRecord(node, { quoter: () => quoter(new Uint8Array(32).fill(1)) });
    const r = verifyRecord(stale.bytes, opts);
    t.false(r.ok);
    if (!r.ok) {
      t.is(r.error.code, 'BAD_QUOTE');
      t.regex(r.error.message, /BAD_NONCE/);
    }
    // Lifting a valid quote into a record with another session key.
    const lifted = await makeRecord(node, { quoter: async () => good.session.quote ?? Promise.reject(new Error('no quote')) });
    const l = verifyRecord(lifted.bytes, opts);
    t.deepEqual(l.ok ? null : l.error.code, 'BAD_QUOTE');
  } finally {
    await tpm.close();
    await sw.stop();
  }
});
