// Exit codes are a contract (DESIGN.md): enrollment and operators script against them.
export const EXIT = {
  OK: 0,
  FAILED: 1,
  USAGE: 2,
  UNSUPPORTED: 3,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** A mistake in how the agent was called: one line on stderr, exit 2. */
export class UsageError extends Error {
  readonly code = 'E_USAGE';
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
