// The tests every VPS provider channel must pass, run against its strict fake:
// each fencing action through verify.ts's Channel while the fake's machine
// really lags, the refusals (a wrong token is AUTH and never retried; a rate
// limit or lock is retried), an unreachable or silent endpoint within the
// deadline, garbage as PROTOCOL, and the token in no message. Each provider's
// test file runs this and adds what is its own.

import test from 'ava';
import { deadlineIn, type ChannelModule, type ChannelName, type ChannelOptions, type PowerDriver } from '../../../agent/channels/types.ts';
import { Channel, type VerifyTiming } from '../../../agent/channels/verify.ts';
import { closedPort } from '../transport-checks.ts';
import { cloudOpts, FAKE_TOKEN, type CloudFake, type CloudFakeOptions } from './fake.ts';

export const FAST: VerifyTiming = { pollMs: 40, backoffMs: 30, backoffMaxMs: 120, sleep: (ms) => new Promise((r) => setTimeout(r, ms)) };
const LONG = 15_000;

export interface ProviderRig {
  name: ChannelName;
  module: ChannelModule;
  fake(o?: CloudFakeOptions, tls?: { key: string; cert: string }): CloudFake;
  /** The path the fake serves the API under ("/v1", "" ...) and the flag naming its machine. */
  basePath: string;
  idParams: Record<string, string>;
  /** Path prefix of the power requests (POST) and of the status read (GET). */
  powerPath: string;
  statusPath: string;
  /** The provider answers a locked machine with a busy refusal (Hetzner 423, DigitalOcean 422, Linode 400 busy). */
  busy: boolean;
  /** The provider returns action objects that can end in error. */
  actionObjects: boolean;
}

export const rigOpts = (rig: ProviderRig, endpoint: string, token = FAKE_TOKEN): ChannelOptions => cloudOpts(endpoint, rig.idParams, token);

/** Runs `body` with a started fake and a driver factory; the fake stops whatever happens. */
export async function withRig(rig: ProviderRig, o: CloudFakeOptions, body: (f: CloudFake, open: (over?: Partial<ChannelOptions>) => PowerDriver) => Promise<void>): Promise<void> {
  const f = rig.fake(o);
  await f.start();
  const open = (over: Partial<ChannelOptions> = {}): PowerDriver => {
    const r = rig.module.open({ ...rigOpts(rig, f.server.url + rig.basePath, f.token), ...over });
    if (!r.ok) throw new Error(`open failed: ${r.error.code} ${r.error.message}`);
    return r.value;
  };
  try {
    await body(f, open);
  } finally {
    await f.stop();
  }
}

export function cloudSuite(rig: ProviderRig): void {
  const n = rig.name;

  test(`${n}: status reads on and off through Channel`, async (t) => {
    for (const initial of ['on', 'off'] as const) {
      await withRig(rig, { initial }, async (f, open) => {
        const r = await new Channel(open(), FAST).status(deadlineIn(LONG));
        t.true(r.ok && r.value.state === initial, JSON.stringify(r));
        t.is(f.count('GET', rig.statusPath), 1);
        t.is(f.server.log[0]?.headers.authorization, `Bearer ${f.token}`);
      });
    }
  });

  test(`${n}: off through Channel waits out the transition and sends one request`, async (t) => {
    await withRig(rig, { initial: 'on', delayMs: 300 }, async (f, open) => {
      const r = await new Channel(open(), FAST).off(deadlineIn(LONG));
      t.true(r.ok, JSON.stringify(r));
      if (!r.ok) return;
      t.deepEqual(r.value.steps, ['status on', 'off sent', 'off verified']);
      t.true(r.value.elapsedMs >= 280, `elapsed ${r.value.elapsedMs}`);
      t.deepEqual(f.machine.requests, ['off']);
      t.is(f.count('POST', rig.powerPath), 1);
      t.is(f.machine.state(), 'off');
    });
  });

  test(`${n}: on through Channel`, async (t) => {
    await withRig(rig, { initial: 'off', delayMs: 200 }, async (f, open) => {
      const r = await new Channel(open(), FAST).on(deadlineIn(LONG));
      t.true(r.ok && r.value.state === 'on' && r.value.verified, JSON.stringify(r));
      t.deepEqual(f.machine.requests, ['on']);
    });
  });

  test(`${n}: cycle is a verified off then on; reset is the provider's reset, verified on`, async (t) => {
    await withRig(rig, { initial: 'on', delayMs: 150 }, async (f, open) => {
      const c = await new Channel(open(), FAST).cycle(deadlineIn(LONG));
      t.true(c.ok && c.value.state === 'on', JSON.stringify(c));
      t.deepEqual(f.machine.requests, ['off', 'on']);
      t.true(c.ok && c.value.steps.includes('off verified') && c.value.steps.at(-1) === 'on verified');
      const r = await new Channel(open(), FAST).reset(deadlineIn(LONG));
      t.true(r.ok && r.value.steps.at(-1) === 'on verified', JSON.stringify(r));
      t.deepEqual(f.machine.requests, ['off', 'on', 'reset']);
      t.is(f.machine.state(), 'on');
    });
  });

  test(`${n}: off when already off sends nothing`, async (t) => {
    await withRig(rig, { initial: 'off' }, async (f, open) => {
      const r = await new Channel(open(), FAST).off(deadlineIn(LONG));
      t.true(r.ok && r.value.steps.join() === 'status off,already off', JSON.stringify(r));
      t.is(f.count('POST'), 0);
    });
  });

  test(`${n}: a machine still moving reads as transitioning, never as done`, async (t) => {
    await withRig(rig, { initial: 'on', delayMs: 2000 }, async (f, open) => {
      f.machine.off();
      t.deepEqual(await open().status(deadlineIn(LONG)), { ok: true, value: 'transitioning' });
      const st = await new Channel(open(), FAST).status(deadlineIn(LONG));
      t.is(st.ok ? null : st.error.code, 'STATE');
      f.machine.delayMs = 0;
      f.machine.on();
    });
  });

  test(`${n}: a wrong token is AUTH at once, asked once, and named nowhere`, async (t) => {
    await withRig(rig, { initial: 'on' }, async (f, open) => {
      const wrong = 'wrong-Tok3n-9876-zz';
      const r = await new Channel(open({ secrets: { 'token-file': wrong } }), FAST).off(deadlineIn(LONG));
      t.is(r.ok ? null : r.error.code, 'AUTH');
      t.is(f.server.log.length, 1, 'AUTH is never retried');
      t.is(r.ok ? 0 : r.error.attempts, 1);
      t.false(JSON.stringify(r).includes(wrong));
      t.false(JSON.stringify(r).includes(f.token));
      t.deepEqual(f.machine.requests, []);
    });
  });

  test(`${n}: a rate limit (429) is BUSY, backed off and retried until it passes`, async (t) => {
    await withRig(rig, { initial: 'on' }, async (f, open) => {
      f.faults.rateLimited = 2;
      const r = await new Channel(open(), FAST).off(deadlineIn(LONG));
      t.true(r.ok, JSON.stringify(r));
      t.true(r.ok && r.value.steps.filter((s) => s.startsWith('busy, retrying')).length === 2, JSON.stringify(r));
      t.is(f.count('GET', rig.statusPath) >= 4, true, 'two refused reads, then the status, then the verification');
      t.deepEqual(f.machine.requests, ['off']);
    });
  });

  if (rig.busy) {
    test(`${n}: a locked machine's refusal is BUSY and the request is retried`, async (t) => {
      await withRig(rig, { initial: 'on' }, async (f, open) => {
        f.faults.busy = 2;
        const r = await new Channel(open(), FAST).off(deadlineIn(LONG));
        t.true(r.ok, JSON.stringify(r));
        t.is(f.count('POST', rig.powerPath), 3);
        t.deepEqual(f.machine.requests, ['off']);
      });
    });
  }

  if (rig.actionObjects) {
    test(`${n}: the action object is followed to completion inside request()`, async (t) => {
      // 1.5 s leaves room for several reads even when the event loop is slow under a loaded CI.
      await withRig(rig, { initial: 'on', delayMs: 1500 }, async (f, open) => {
        const started = performance.now();
        t.deepEqual(await open().request('off', deadlineIn(LONG)), { ok: true, value: undefined });
        t.true(performance.now() - started >= 1480, 'returned only when the action finished');
        t.is(f.machine.state(), 'off');
        t.true(f.server.log.filter((r) => r.method === 'GET').length >= 2, 'the action was read until done');
      });
    });

    test(`${n}: an action that ends in error is an error, and the ladder stops`, async (t) => {
      await withRig(rig, { initial: 'on', delayMs: 100 }, async (f, open) => {
        f.faults.actionError = true;
        const r = await new Channel(open(), FAST).off(deadlineIn(LONG));
        t.is(r.ok ? null : r.error.code, 'STATE');
        t.regex(r.ok ? '' : r.error.message, /action 7001/);
        t.deepEqual(f.machine.requests, [], 'the failed action never touched the machine');
      });
    });

    test(`${n}: an action outliving the deadline is TIMEOUT within it`, async (t) => {
      await withRig(rig, { initial: 'on', delayMs: 5000 }, async (f, open) => {
        const started = performance.now();
        const r = await open().request('off', deadlineIn(700));
        const took = performance.now() - started;
        t.is(r.ok ? null : r.error.code, 'TIMEOUT');
        t.true(took >= 650 && took < 1500, `took ${Math.round(took)} ms`);
        f.machine.delayMs = 0;
      });
    });
  }

  test(`${n}: a closed port is UNREACHABLE, retried until the deadline and no later`, async (t) => {
    const port = await closedPort();
    const r = rig.module.open(rigOpts(rig, `http://127.0.0.1:${port}${rig.basePath}`));
    if (!r.ok) return t.fail(r.error.message);
    const started = performance.now();
    const out = await new Channel(r.value, FAST).off(deadlineIn(800));
    const took = performance.now() - started;
    t.true(!out.ok && ['UNREACHABLE', 'TIMEOUT'].includes(out.error.code), JSON.stringify(out));
    t.true(!out.ok && out.error.attempts > 2, 'retried');
    t.true(took >= 600 && took < 1100, `took ${Math.round(took)} ms`);
  });

  test(`${n}: a silent endpoint is TIMEOUT at the deadline`, async (t) => {
    await withRig(rig, { initial: 'on' }, async (f, open) => {
      f.server.mode = 'silent';
      const started = performance.now();
      const r = await open().status(deadlineIn(600));
      const took = performance.now() - started;
      t.is(r.ok ? null : r.error.code, 'TIMEOUT');
      t.true(took >= 580 && took < 1000, `took ${Math.round(took)} ms`);
    });
  });

  test(`${n}: garbage is PROTOCOL, not retried`, async (t) => {
    await withRig(rig, { initial: 'on' }, async (f, open) => {
      f.server.mode = 'garbage';
      const r = await new Channel(open(), FAST).off(deadlineIn(LONG));
      t.is(r.ok ? null : r.error.code, 'PROTOCOL');
      t.is(f.server.log.length, 1);
    });
  });

  test(`${n}: bad settings are CONFIG before any I/O`, async (t) => {
    const f = rig.fake();
    await f.start();
    t.teardown(() => f.stop());
    const base = rigOpts(rig, f.server.url + rig.basePath);
    const cases: ChannelOptions[] = [
      { ...base, secrets: {} },
      { ...base, secrets: { 'token-file': 'has space' } },
      { ...base, params: { ...base.params, endpoint: 'http://127.0.0.1:1/x' }, insecureHttp: false },
      { ...base, params: { ...base.params, endpoint: 'https://user:pw@127.0.0.1:1/x' } },
      { ...base, params: Object.fromEntries(Object.entries(base.params ?? {}).map(([k, v]) => [k, k === 'endpoint' ? v : '../../x'])) },
    ];
    for (const o of cases) {
      const r = rig.module.open(o);
      t.is(r.ok ? null : r.error.code, 'CONFIG', JSON.stringify(o.params));
      t.false(JSON.stringify(r).includes(f.token));
    }
    t.is(f.server.log.length, 0);
  });
}
