// Boot stages with deadlines (the preboot's probe, policy, unlock, kexec). A
// stage still running past its deadline makes the node unhealthy, the feeding
// stops, and the hardware watchdog resets a boot that hung.

export class Stages {
  private readonly running = new Map<string, { deadline: number; deadlineMs: number }>();
  constructor(
    private readonly deadlinesMs: Readonly<Record<string, number>>,
    private readonly now: () => number,
  ) {}

  /** Runs `fn` as stage `name`; a stage without a configured deadline is only timed. */
  async run<T>(name: string, fn: () => T | Promise<T>): Promise<T> {
    const deadlineMs = this.deadlinesMs[name];
    if (deadlineMs !== undefined) this.running.set(name, { deadline: this.now() + deadlineMs, deadlineMs });
    try {
      return await fn();
    } finally {
      // An overrun stage stays recorded: the boot it belongs to is not to be trusted.
      const s = this.running.get(name);
      if (s && this.now() <= s.deadline) this.running.delete(name);
    }
  }

  get current(): ReadonlyMap<string, { deadline: number; deadlineMs: number }> {
    return this.running;
  }
}
