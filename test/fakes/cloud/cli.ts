// The CLI test every VPS provider channel gets: `agent oob NAME cycle` through
// main() against its fake, a wrong token, a missing token file, and the token
// looked for in everything printed.

import test from 'ava';
import { runAgent, secretFile } from '../../helpers/run.ts';
import type { ProviderRig } from './suite.ts';

/** `agent oob NAME cycle` and a wrong token through main(): exit codes, JSON, and the token in no output. */
export function cliSuite(rig: ProviderRig): void {
  test(`${rig.name}: agent oob cycle verified through the CLI; a wrong token exits 1 with AUTH; no token printed`, async (t) => {
    const f = rig.fake({ initial: 'on', delayMs: 100 });
    await f.start();
    t.teardown(() => f.stop());
    const ids = Object.entries(rig.idParams).flatMap(([k, v]) => [`--${k}`, v]);
    const base = ['--endpoint', f.server.url + rig.basePath, '--insecure-http', ...ids, '--timeout', '30'];
    const ok = await runAgent(['oob', rig.name, 'cycle', '--json', '--token-file', secretFile(t, f.token), ...base]);
    t.is(ok.code, 0, ok.err);
    t.like(JSON.parse(ok.out) as object, { channel: rig.name, action: 'cycle', state: 'on', verified: true });
    t.deepEqual(f.machine.requests, ['off', 'on']);
    const wrong = 'Wr0ng-cloud-token-5150';
    const bad = await runAgent(['oob', rig.name, 'status', '--json', '--token-file', secretFile(t, wrong), ...base]);
    t.is(bad.code, 1);
    t.like(JSON.parse(bad.out) as object, { verified: false, error: { code: 'AUTH' } });
    const usage = await runAgent(['oob', rig.name, 'status', ...base]);
    t.is(usage.code, 2, 'the token file is required');
    for (const r of [ok, bad, usage]) {
      t.false((r.out + r.err).includes(f.token));
      t.false((r.out + r.err).includes(wrong));
    }
  });
}
