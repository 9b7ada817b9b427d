// A real sd_notify receiver for tests: a unix datagram socket bound by python3
// (Node cannot bind one), printing each datagram as one JSON line. It stands
// where systemd's notification socket would.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

const RECEIVER = `
import json, socket, sys
name = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(("\\0" + name[1:]) if name.startswith("@") else name)
s.settimeout(float(sys.argv[2]))
print("bound", flush=True)
try:
    while True:
        print(json.dumps(s.recv(65536).decode()), flush=True)
except socket.timeout:
    pass
`;

export interface NotifySocket {
  datagrams: string[];
  /** Resolves when `n` datagrams have arrived, or rejects after `ms`. */
  waitFor(n: number, ms: number): Promise<string[]>;
  close(): void;
}

export async function notifySocket(name: string, lifetimeSec = 20): Promise<NotifySocket> {
  const child: ChildProcess = spawn('python3', ['-c', RECEIVER, name, String(lifetimeSec)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const datagrams: string[] = [];
  let buffered = '';
  let bound!: () => void;
  const ready = new Promise<void>((r) => (bound = r));
  child.stdout?.on('data', (d: Buffer) => {
    buffered += d.toString();
    let nl: number;
    while ((nl = buffered.indexOf('\n')) !== -1) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (line === 'bound') bound();
      else datagrams.push(JSON.parse(line) as string);
    }
  });
  await Promise.race([ready, once(child, 'exit').then(() => Promise.reject(new Error('notify receiver exited before binding')))]);
  return {
    datagrams,
    async waitFor(n, ms) {
      const deadline = Date.now() + ms;
      while (datagrams.length < n) {
        if (Date.now() > deadline) throw new Error(`got ${datagrams.length} of ${n} datagrams: ${JSON.stringify(datagrams)}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return datagrams.slice(0, n);
    },
    close: () => child.kill('SIGKILL'),
  };
}
