// The client's loops and retries against a scripted in-memory TPM.

import test from 'ava';
import { Writer } from '../../agent/tpm/codec.ts';
import { exec, readPcrs } from '../../agent/tpm/client.ts';
import { getRandom, parseGetRandom } from '../../agent/tpm/commands.ts';
import { writePcrSelection } from '../../agent/tpm/pcr-selection.ts';
import { TpmFailure, tok, type Tpm } from '../../agent/tpm/types.ts';

function scripted(answers: Buffer[]): Tpm & { sent: number } {
  const t = {
    uri: 'test:',
    sent: 0,
    transmit: async () => tok(answers[Math.min(t.sent++, answers.length - 1)] as Buffer),
    close: async () => undefined,
  };
  return t;
}

function response(body: Buffer, rc = 0): Buffer {
  return new Writer().u16(0x8001).u32(10 + body.length).u32(rc).bytes(body).finish();
}

function pcrReadAnswer(pcrs: number[]): Buffer {
  const w = new Writer().u32(1);
  writePcrSelection(w, [{ hash: 'sha256', pcrs }]);
  w.u32(pcrs.length);
  for (const p of pcrs) w.tpm2b(Buffer.alloc(32, p));
  return response(w.finish());
}

test('readPcrs asks again for what a PCR_Read left out (8 digests per answer)', async (t) => {
  const tpm = scripted([pcrReadAnswer([0, 1, 2, 3, 4, 5, 6, 7]), pcrReadAnswer([8, 9])]);
  const v = await readPcrs(tpm, [{ hash: 'sha256', pcrs: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9] }]);
  t.is(tpm.sent, 2);
  t.deepEqual(v.get('sha256')?.get(9), Buffer.alloc(32, 9));
});

test('readPcrs fails, not loops, when the TPM keeps answering PCRs not asked for', async (t) => {
  const tpm = scripted([pcrReadAnswer([5])]);
  const e = await t.throwsAsync(readPcrs(tpm, [{ hash: 'sha256', pcrs: [0] }]), { instanceOf: TpmFailure });
  t.is((e as TpmFailure).error.code, 'UNSUPPORTED');
  t.is(tpm.sent, 1);
});

test('exec repeats a command the TPM answers with TPM_RC_RETRY, and gives up on real errors', async (t) => {
  const tpm = scripted([response(Buffer.alloc(0), 0x922), response(new Writer().tpm2b(Buffer.from('ab', 'hex')).finish())]);
  t.deepEqual(await exec(tpm, getRandom(1), parseGetRandom), Buffer.from('ab', 'hex'));
  t.is(tpm.sent, 2);
  const bad = scripted([response(Buffer.alloc(0), 0x1c4)]);
  const e = await t.throwsAsync(exec(bad, getRandom(1), parseGetRandom), { instanceOf: TpmFailure });
  t.is((e as TpmFailure).error.message, 'TPM_RC_VALUE (parameter 1) [0x1c4]');
  t.is(bad.sent, 1);
});
