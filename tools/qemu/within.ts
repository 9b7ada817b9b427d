// Waiting on a promise for at most a while, without leaving a timer behind
// that would keep the process alive after the promise settled.

export const TIMED_OUT: unique symbol = Symbol('timed out');

/** The promise's value, or TIMED_OUT after `ms`; the timer is cleared either way. */
export async function within<T>(p: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), Math.max(0, ms));
  });
  try {
    return await Promise.race([p, expired]);
  } finally {
    clearTimeout(timer);
  }
}
