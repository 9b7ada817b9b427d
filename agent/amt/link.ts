// WS-MAN to the local AMT over an LME channel. Each HTTP exchange gets its own
// channel (the shared exchange sends Connection: close), so the firmware's
// few channel slots are held only for one request each. Where the firmware
// forwards only 16993 (TLS enforced on local ports), TLS runs inside the
// channel with a pinned certificate: the pin is learned from the firmware's
// own certificate on a first channel. That is trust on first use, and it is
// sound here: the bytes travel over MEI to the ME itself, not over a network
// anyone else can reach, and the pin makes every later exchange of the flow
// talk to the same endpoint.

import { createHash } from 'node:crypto';
import tls from 'node:tls';
import type { Endpoint } from '../channels/http/exchange.ts';
import { cerr, cok, remainingMs, type ChannelResult, type Deadline } from '../channels/types.ts';
import { wsmanUrl } from '../channels/wsman/http.ts';
import { Transport, type Credentials } from '../channels/wsman/transport.ts';
import type { Lme } from '../mei/lme.ts';
import { AmtWsman } from './wsman.ts';

/** Host name in Host and wsa:To: AMT answers to the loopback name LMS would have given it. */
const LOCAL_HOST = '127.0.0.1';

export interface AmtLink {
  port: number;
  tls: boolean;
  /** sha256 of the certificate, once learned (TLS only). */
  pin: Buffer | null;
  endpoint: Endpoint;
}

/** The firmware's certificate fingerprint, from a TLS handshake on a channel of its own (closed after). */
export function learnPin(lme: Lme, port: number, d: Deadline): Promise<ChannelResult<Buffer>> {
  return new Promise((resolve) => {
    const ch = lme.channel(port);
    let done = false;
    const finish = (r: ChannelResult<Buffer>): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      ch.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => finish(cerr('TIMEOUT', 'no TLS handshake with AMT over LME in time')), remainingMs(d));
    const s = tls.connect({ socket: ch, rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] });
    s.once('secureConnect', () => {
      const raw = s.getPeerCertificate().raw;
      finish(raw ? cok(createHash('sha256').update(raw).digest()) : cerr('TLS', 'AMT presented no certificate over LME'));
    });
    s.once('error', (e: NodeJS.ErrnoException) => finish(cerr(e.code?.startsWith('MEI_') ? 'UNREACHABLE' : 'TLS', `TLS over LME: ${e.message}`)));
    ch.once('error', (e: Error) => finish(cerr('UNREACHABLE', `LME channel: ${e.message}`)));
  });
}

/** The WS-MAN endpoint the firmware forwards, with the pin learned when it is TLS. */
export async function amtLink(lme: Lme, d: Deadline): Promise<ChannelResult<AmtLink>> {
  const p = lme.wsmanPort();
  if (!p.ok) return cerr('UNSUPPORTED', p.error.message);
  const { port, tls: secured } = p.value;
  let pin: Buffer | null = null;
  if (secured) {
    const learned = await learnPin(lme, port, d);
    if (!learned.ok) return learned;
    pin = learned.value;
  }
  return cok({ port, tls: secured, pin, endpoint: { host: LOCAL_HOST, port, pin, connect: () => lme.channel(port) } });
}

/** A WS-MAN client as `creds` on the link. */
export function wsmanAs(link: AmtLink, creds: Credentials): AmtWsman {
  return new AmtWsman(new Transport(link.endpoint, creds), wsmanUrl(link.endpoint));
}
