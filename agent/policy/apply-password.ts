// Random passwords for the credentials the executor creates. AMT refuses an
// admin password without a digit, a lower- and an upper-case letter and a
// symbol (other than " , :), 8-32 characters; IPMI takes 16 bytes in the form
// every BMC accepts (20 only with IPMI 2.0's form, which ipmi_sim and older
// BMCs lack), so the BMC one is 16 alphanumerics: about 95 bits.

import { randomInt } from 'node:crypto';

const LOWER = 'abcdefghijkmnopqrstuvwxyz';
const UPPER = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const DIGIT = '23456789';
const SYMBOL = '!#%+-=?@^_~';
const ALNUM = `${LOWER}${UPPER}${DIGIT}`;

const pick = (set: string): number => set.charCodeAt(randomInt(set.length));

function shuffle(a: Uint8Array): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    const t = a[i] as number;
    a[i] = a[j] as number;
    a[j] = t;
  }
}

export const AMT_PASSWORD_LEN = 24;
export const BMC_PASSWORD_LEN = 16;

/** The bytes of a new password; the caller zeroes them when done. */
export function randomPassword(kind: 'amt' | 'bmc'): Uint8Array {
  if (kind === 'bmc') return Uint8Array.from({ length: BMC_PASSWORD_LEN }, () => pick(ALNUM));
  const out = new Uint8Array(AMT_PASSWORD_LEN);
  out[0] = pick(LOWER);
  out[1] = pick(UPPER);
  out[2] = pick(DIGIT);
  out[3] = pick(SYMBOL);
  for (let i = 4; i < out.length; i++) out[i] = pick(`${ALNUM}${SYMBOL}`);
  shuffle(out);
  return out;
}
