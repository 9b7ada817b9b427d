// A loopback HTTP(S) server for the fakes of the JSON APIs (Proxmox, vSphere,
// the cloud providers): it logs every request it sees, with headers and body,
// so a test can assert the exact auth header and payload a channel sent, and it
// can be told to go silent (accept connections, never answer) or to answer
// garbage. The provider semantics live in each fake's handler.

import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';

export interface FakeRequest {
  method: string;
  /** The path without the query string. */
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export interface FakeReply {
  status: number;
  json?: unknown;
  /** A raw body (malformed-reply tests); wins over json. */
  raw?: string | Buffer;
  headers?: Record<string, string>;
}

export type Handler = (req: FakeRequest) => FakeReply | Promise<FakeReply>;

export interface ApiServerOptions {
  tls?: { key: string; cert: string };
  host?: string;
}

const MAX_BODY = 1 << 20;

export class ApiServer {
  readonly log: FakeRequest[] = [];
  /** 'silent': hold every request without an answer; 'garbage': answer 200 with non-JSON. */
  mode: 'normal' | 'silent' | 'garbage' = 'normal';
  private readonly server: http.Server;
  private readonly sockets = new Set<import('node:net').Socket>();

  constructor(
    private readonly handler: Handler,
    private readonly opts: ApiServerOptions = {},
  ) {
    const listener = (req: http.IncomingMessage, res: http.ServerResponse) => this.serve(req, res);
    this.server = opts.tls ? https.createServer({ key: opts.tls.key, cert: opts.tls.cert }, listener) : http.createServer(listener);
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, this.opts.host ?? '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    const a = this.server.address() as AddressInfo;
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    return `${this.opts.tls ? 'https' : 'http'}://${host}:${a.port}`;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private serve(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (b: Buffer) => {
      size += b.length;
      if (size <= MAX_BODY) chunks.push(b);
    });
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const r: FakeRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body: Buffer.concat(chunks) };
      this.log.push(r);
      if (this.mode === 'silent') return;
      if (this.mode === 'garbage') {
        res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"not json');
        return;
      }
      Promise.resolve()
        .then(() => this.handler(r))
        .then(
          (reply) => {
            const body = reply.raw ?? (reply.json === undefined ? '' : JSON.stringify(reply.json));
            res.writeHead(reply.status, { ...(reply.raw === undefined && reply.json !== undefined ? { 'Content-Type': 'application/json' } : {}), ...reply.headers }).end(body);
          },
          (e: unknown) => res.writeHead(500, { 'Content-Type': 'text/plain' }).end(`fake handler failed: ${e instanceof Error ? e.message : String(e)}`),
        );
    });
  }
}

/** The JSON body of a request, or undefined when it is not JSON (a fake answers 400 then). */
export function jsonBody(r: FakeRequest): unknown {
  try {
    return JSON.parse(r.body.toString('utf8'));
  } catch {
    return undefined;
  }
}
