// One WS-Management exchange with digest authentication: send, answer a 401
// challenge once, answer a stale-nonce challenge once more (the password was
// right, only the nonce expired), and fail as AUTH on any other 401 so a wrong
// password is never retried into a lockout. At most three POSTs per exchange.

import { randomBytes } from 'node:crypto';
import { cerr, cok, type ChannelResult, type Deadline } from '../types.ts';
import { DigestSession, pickDigest } from './digest.ts';
import type { Built } from './envelope.ts';
import { faultError, httpError, redact } from './errors.ts';
import { post, WSMAN_PATH, type Endpoint } from './http.ts';
import { parseReply } from './parse.ts';
import type { El } from './xml.ts';

export interface Credentials {
  user: string;
  password: string;
}

export interface BodyReply {
  action: string;
  body: El;
}

export class Transport {
  private readonly digest: DigestSession;

  constructor(
    readonly ep: Endpoint,
    private readonly creds: Credentials,
    private readonly cnonce: () => string = () => randomBytes(12).toString('hex'),
  ) {
    this.digest = new DigestSession(creds.user, creds.password);
  }

  async call(msg: Built, what: string, d: Deadline): Promise<ChannelResult<BodyReply>> {
    const r = await this.exchange(msg, what, d);
    return r.ok ? r : { ok: false, error: redact(r.error, this.creds.password) };
  }

  private async exchange(msg: Built, what: string, d: Deadline): Promise<ChannelResult<BodyReply>> {
    let staleAnswered = false;
    // A nonce kept from an earlier exchange may have been forgotten by a
    // restarted device that does not say stale=true: one fresh challenge then.
    let fromThisExchange = !this.digest.hasChallenge;
    for (let attempt = 0; attempt < 3; attempt++) {
      const auth = this.digest.next('POST', WSMAN_PATH, this.cnonce());
      const r = await post(this.ep, msg.xml, auth, d);
      if (!r.ok) return r;
      const { status, headers, body } = r.value;
      if (status === 401) {
        const ch = pickDigest(headers['www-authenticate']);
        if (!ch.ok) return cerr('AUTH', `${what}: HTTP 401 and ${ch.reason}`);
        if (auth === null || !fromThisExchange) {
          fromThisExchange = true;
          this.digest.accept(ch.value);
          continue;
        }
        if (ch.value.stale && !staleAnswered) {
          staleAnswered = true;
          this.digest.accept(ch.value);
          continue;
        }
        this.digest.forget();
        return cerr('AUTH', `${what}: the device refused the credentials of user "${this.creds.user}" (HTTP 401)`);
      }
      const parsed = parseReply(body);
      if (!parsed.ok) return status === 200 ? cerr('PROTOCOL', `${what}: ${parsed.reason}`) : { ok: false, error: httpError(status, what) };
      const reply = parsed.value;
      if (reply.relatesTo !== null && reply.relatesTo !== msg.messageId) return cerr('PROTOCOL', `${what}: the reply relates to another message`);
      if (reply.kind === 'fault') return { ok: false, error: faultError(reply.fault, what) };
      if (status !== 200) return { ok: false, error: httpError(status, what) };
      if (reply.relatesTo === null) return cerr('PROTOCOL', `${what}: the reply carries no wsa:RelatesTo`);
      return cok({ action: reply.action, body: reply.body });
    }
    return cerr('AUTH', `${what}: the device kept challenging after ${3} attempts`);
  }
}
