// One HTTP POST on its own connection. With TLS the certificate is compared to
// the pinned SHA-256 of its DER bytes on this socket, after the handshake and
// before a byte of the request (or a digest of the password) is written. Chain
// validation is off for this socket only, because AMT and DASH firmware carry
// self-signed certificates: the pin replaces it; nothing process-wide changes.

import { createHash, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { cerr, cok, remainingMs, type ChannelErrorCode, type ChannelResult, type Deadline } from '../types.ts';
import { MAX_XML_BYTES } from './xml.ts';

export interface Endpoint {
  host: string;
  port: number;
  /** SHA-256 of the certificate's DER bytes; null for plain HTTP. */
  pin: Buffer | null;
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export const MAX_BODY = MAX_XML_BYTES;
export const WSMAN_PATH = '/wsman';

export const hostPort = (ep: Endpoint): string => (net.isIPv6(ep.host) ? `[${ep.host}]:${ep.port}` : `${ep.host}:${ep.port}`);
export const wsmanUrl = (ep: Endpoint): string => `${ep.pin ? 'https' : 'http'}://${hostPort(ep)}${WSMAN_PATH}`;


function errorCode(err: NodeJS.ErrnoException, handshaken: boolean): ChannelErrorCode {
  const code = err.code ?? '';
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'CONFIG';
  if (code.startsWith('HPE_')) return 'PROTOCOL';
  if (!handshaken && (code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS') || /SSL|TLS|EPROTO/.test(`${code} ${err.message}`))) return 'TLS';
  return 'UNREACHABLE';
}

function connect(ep: Endpoint, done: (r: ChannelResult<net.Socket>) => void): net.Socket {
  const pin = ep.pin;
  if (pin === null) {
    const s = net.connect({ host: ep.host, port: ep.port });
    s.once('connect', () => done(cok(s)));
    return s;
  }
  const s = tls.connect({ host: ep.host, port: ep.port, servername: net.isIP(ep.host) ? undefined : ep.host, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
  s.once('secureConnect', () => {
    const raw = s.getPeerCertificate().raw;
    const seen = raw ? createHash('sha256').update(raw).digest() : null;
    if (seen === null || !timingSafeEqual(seen, pin)) {
      s.destroy();
      return done(cerr('TLS', `${hostPort(ep)} presented certificate ${seen ? `sha256:${seen.toString('hex')}` : 'none'}, not the pinned sha256:${pin.toString('hex')}`));
    }
    done(cok(s));
  });
  return s;
}

/** POSTs one SOAP document to /wsman and reads the whole reply within the deadline. Never throws. */
export function post(ep: Endpoint, body: string, authorization: string | null, d: Deadline): Promise<ChannelResult<Reply>> {
  const ms = remainingMs(d);
  if (ms <= 0) return Promise.resolve(cerr('TIMEOUT', `POST ${WSMAN_PATH}: the deadline passed before it was sent`));
  return new Promise((resolve) => {
    let settled = false;
    let handshaken = false;
    const finish = (r: ChannelResult<Reply>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish(cerr('TIMEOUT', `POST ${WSMAN_PATH}: no complete answer from ${hostPort(ep)} within ${Math.round(ms)} ms`)), ms);
    const sock = connect(ep, (c) => {
      if (!c.ok) return finish(c);
      handshaken = true;
      const payload = Buffer.from(body, 'utf8');
      const headers: Record<string, string> = {
        Host: hostPort(ep),
        'Content-Type': 'application/soap+xml;charset=UTF-8',
        'Content-Length': String(payload.length),
        Connection: 'close',
        ...(authorization ? { Authorization: authorization } : {}),
      };
      const req = http.request({ method: 'POST', path: WSMAN_PATH, headers, createConnection: () => c.value });
      req.on('error', (err: NodeJS.ErrnoException) => finish(cerr(errorCode(err, true), `POST ${WSMAN_PATH}: ${err.code ?? 'connection error'}`)));
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (b: Buffer) => {
          size += b.length;
          if (size > MAX_BODY) return finish(cerr('PROTOCOL', `POST ${WSMAN_PATH}: the reply is larger than ${MAX_BODY} bytes`));
          chunks.push(b);
        });
        res.on('error', () => finish(cerr('UNREACHABLE', `POST ${WSMAN_PATH}: the connection broke during the reply`)));
        res.on('end', () => finish(cok({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) })));
      });
      req.end(payload);
    });
    sock.on('error', (err: NodeJS.ErrnoException) => finish(cerr(errorCode(err, handshaken), `POST ${WSMAN_PATH}: ${hostPort(ep)}: ${err.code ?? 'socket error'}`)));
  });
}
