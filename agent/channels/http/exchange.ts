// One HTTP exchange on its own connection, for every HTTP channel (Redfish, the
// hypervisor and cloud APIs). With a pin, the certificate is checked against the
// pinned SHA-256 of its DER bytes on this very socket, after the handshake and
// before the request is written, so a wrong certificate never sees a credential;
// chain validation is then off for this socket only (BMCs and hypervisors carry
// self-signed certificates): the pin replaces it, nothing process-wide changes.
// Without a pin, HTTPS checks the chain against the system's CAs (public cloud
// APIs); plain HTTP happens only when the caller asked for it.

import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { cerr, cok, remainingMs, type ChannelErrorCode, type ChannelResult, type Deadline } from '../types.ts';

export interface Endpoint {
  host: string;
  port: number;
  /** SHA-256 of the certificate's DER bytes; null for plain HTTP, or for HTTPS checked against the system CAs (`caTls`). */
  pin: Buffer | null;
  /** HTTPS with the usual chain and host name checks (no pin). */
  caTls?: boolean;
  /** Runs the exchange over this stream instead of a TCP connection to host:port (AMT's WS-MAN over an LME channel); with a pin, TLS runs inside it. */
  connect?: () => Duplex;
}

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  /** Sent as given: the caller sets Accept, Content-Type and its auth headers. */
  headers?: Record<string, string>;
  body?: Buffer;
  /** The largest reply body taken (default 1 MiB); a longer one is a PROTOCOL error. */
  maxBody?: number;
}

export interface HttpReply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

const MAX_BODY = 1 << 20;

export const hostHeader = (ep: Endpoint): string => (net.isIPv6(ep.host) ? `[${ep.host}]:${ep.port}` : `${ep.host}:${ep.port}`);

function socketErrorCode(err: NodeJS.ErrnoException, secured: boolean): ChannelErrorCode {
  const code = err.code ?? '';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'CONFIG';
  if (code.startsWith('HPE_')) return 'PROTOCOL';
  if (!secured && (code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') || /SSL|TLS|EPROTO/.test(`${code} ${err.message}`))) return 'TLS';
  return 'UNREACHABLE';
}

function connect(ep: Endpoint, done: (r: ChannelResult<Duplex>) => void): Duplex {
  const { pin } = ep;
  if (pin === null && ep.caTls) {
    const s = tls.connect({ host: ep.host, port: ep.port, servername: net.isIP(ep.host) ? undefined : ep.host, ALPNProtocols: ['http/1.1'] });
    s.once('secureConnect', () => done(cok(s)));
    return s;
  }
  if (pin === null && ep.connect) {
    const s = ep.connect();
    process.nextTick(() => done(cok(s)));
    return s;
  }
  if (pin === null) {
    const s = net.connect({ host: ep.host, port: ep.port });
    s.once('connect', () => done(cok(s)));
    return s;
  }
  const s = tls.connect({
    ...(ep.connect ? { socket: ep.connect() } : { host: ep.host, port: ep.port }),
    servername: net.isIP(ep.host) ? undefined : ep.host,
    rejectUnauthorized: false,
    ALPNProtocols: ['http/1.1'],
  });
  s.once('secureConnect', () => {
    const raw = s.getPeerCertificate().raw;
    const seen = raw ? createHash('sha256').update(raw).digest() : null;
    if (seen === null || !timingSafeEqual(seen, pin)) {
      s.destroy();
      const shown = seen ? `sha256:${seen.toString('hex')}` : 'none';
      done(cerr('TLS', `${hostHeader(ep)} presented certificate ${shown}, not the pinned sha256:${pin.toString('hex')}`));
      return;
    }
    done(cok(s));
  });
  return s;
}

/** Sends one request and reads the whole reply, within the deadline. Never throws. */
export function exchange(ep: Endpoint, req: HttpRequest, d: Deadline): Promise<ChannelResult<HttpReply>> {
  const ms = remainingMs(d);
  const what = `${req.method} ${req.path}`;
  const maxBody = req.maxBody ?? MAX_BODY;
  if (ms <= 0) return Promise.resolve(cerr('TIMEOUT', `${what}: the deadline passed before it was sent`));
  return new Promise((resolve) => {
    let settled = false;
    let secured = false;
    let sock: Duplex | undefined;
    const finish = (r: ChannelResult<HttpReply>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock?.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish(cerr('TIMEOUT', `${what}: no complete answer from ${hostHeader(ep)} within ${Math.round(ms)} ms`)), ms);
    const onSocket = (c: ChannelResult<Duplex>) => {
      if (!c.ok) return finish(c);
      secured = true;
      const payload = req.body;
      const headers: Record<string, string> = {
        Host: hostHeader(ep),
        Connection: 'close',
        ...(payload ? { 'Content-Length': String(payload.length) } : {}),
        ...req.headers,
      };
      let r: http.ClientRequest;
      try {
        r = http.request({ method: req.method, path: req.path, headers, createConnection: () => c.value });
      } catch (err) {
        // Node refuses a header value or path with characters HTTP cannot carry; the value may be a credential, so it is not echoed.
        return finish(cerr('CONFIG', `${what}: the request cannot be sent (${(err as NodeJS.ErrnoException).code ?? 'invalid request'})`));
      }
      r.on('error', (err: NodeJS.ErrnoException) => finish(cerr(socketErrorCode(err, true), `${what}: ${err.code ?? err.message}`)));
      r.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (b: Buffer) => {
          size += b.length;
          if (size > maxBody) return finish(cerr('PROTOCOL', `${what}: the reply is larger than ${maxBody} bytes`));
          chunks.push(b);
        });
        res.on('error', () => finish(cerr('UNREACHABLE', `${what}: the connection broke during the reply`)));
        res.on('end', () => finish(cok({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) })));
      });
      r.end(payload);
    };
    try {
      sock = connect(ep, onSocket);
    } catch (err) {
      return finish(cerr('CONFIG', `${what}: cannot connect to ${hostHeader(ep)}: ${err instanceof Error ? err.message : String(err)}`));
    }
    sock.on('error', (err: NodeJS.ErrnoException) => finish(cerr(socketErrorCode(err, secured), `${what}: ${hostHeader(ep)}: ${err.code ?? err.message}`)));
  });
}
