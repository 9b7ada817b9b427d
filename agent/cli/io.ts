// What a command may touch of the outside world: its output streams and its
// environment. Passed in, so tests run commands in-process.
export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  env: NodeJS.ProcessEnv;
  stderrIsTTY: boolean;
}

export const processIo = (): Io => ({
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  env: process.env,
  stderrIsTTY: Boolean(process.stderr.isTTY),
});
