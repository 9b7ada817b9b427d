// errno numbers to their names, for typed errors and messages. Where two names
// share a number, the one Linux drivers return wins (EOPNOTSUPP, EAGAIN).
import { constants } from 'node:os';

const ERRNO = constants.errno;
const NAMES = new Map<number, string>();
for (const [name, n] of Object.entries(ERRNO)) if (!NAMES.has(n)) NAMES.set(n, name);
NAMES.set(ERRNO.EOPNOTSUPP, 'EOPNOTSUPP');
NAMES.set(ERRNO.EAGAIN, 'EAGAIN');

export const errnoName = (errno: number): string => NAMES.get(errno) ?? `errno ${errno}`;
