// The monotonic clock the agent's deadlines and start-up figures use: milliseconds
// since the process started. Same origin and resolution as performance.now(), but
// reading it does not load perf_hooks (a dozen internal modules, over a millisecond
// of a one-shot command's start).
export const monotonicMs = (): number => process.uptime() * 1000;
