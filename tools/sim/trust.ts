// The simulator's Trust. It replaces Ed25519 with a keyed SHA-256 (the
// envelope SHA-256(secret | message | secret)) over a per-session secret,
// because thousands of nodes verifying every packet with real signatures would
// make an hour-long N=1000 run take hours. (HMAC was tried first: creating an
// Hmac object per call cost a quarter of a whole run's CPU, twice this.) The
// sizes are kept honest (64-byte signatures, ~330-byte credentials like an org
// certificate plus session binding) so the byte counts match the daemon's.
//
// A node holds only its own secret (SimTrust.sign), so it cannot sign as
// anyone else. The registry that maps a session id to its secret is read only
// by admit(), the verifier side, standing in for checking the org's signature
// on the credentials.
import { hash, timingSafeEqual } from 'node:crypto';
import { gerr, gok, type GossipResult, type PeerKey, type Trust } from '../../agent/gossip/types.ts';
import type { Signed } from '../../agent/gossip/wire.ts';
import type { Rng } from './prng.ts';

export const CREDS_BYTES = 330;
export const SIG_BYTES = 64;
const ID_BYTES = 16;
const MAGIC = [0x53, 0x49, 0x4d, 0x43]; // "SIMC"

interface Session {
  name: string;
  secret: Buffer;
  key: PeerKey;
}

export class SimRegistry {
  private readonly sessions = new Map<string, Session>();
  private readonly updates = new Map<string, Signed>();
  private readonly rng: Rng;

  constructor(rng: Rng) {
    this.rng = rng;
  }

  /** A new session (one boot) for `name`: a fresh secret and credentials naming it. */
  issue(name: string): SimTrust {
    const nameBytes = Buffer.from(name, 'utf8');
    if (nameBytes.length > 255 || 5 + nameBytes.length + ID_BYTES > CREDS_BYTES) throw new RangeError(`name too long: ${name}`);
    const id = this.rng.bytes(ID_BYTES);
    const secret = Buffer.from(this.rng.bytes(32));
    const creds = new Uint8Array(CREDS_BYTES);
    creds.set(MAGIC, 0);
    creds[4] = nameBytes.length;
    creds.set(nameBytes, 5);
    creds.set(id, 5 + nameBytes.length);
    // The rest stands for the certificate's key, validity and org signature: filler of the right length.
    const idHex = Buffer.from(id).toString('hex');
    // One PeerKey per session, handed to every core that admits it: thousands of cores share it.
    const key: PeerKey = { id: idHex, creds, verify: (bytes, sig) => sig.length === SIG_BYTES && timingSafeEqual(mac(secret, bytes), sig) };
    this.sessions.set(idHex, { name, secret, key });
    return new SimTrust(creds, secret, this);
  }

  /** admit(): the verifier's side, the only reader of other sessions' secrets. */
  admit(name: string, creds: Uint8Array, _incarnation: number, _now: number): GossipResult<PeerKey> {
    const parsed = parseCreds(creds);
    if (parsed === null) return gerr('UNTRUSTED', 'credentials are not simulator credentials');
    if (parsed.name !== name) return gerr('NOT_AUTHOR', `credentials name ${parsed.name}, not ${name}`);
    const session = this.sessions.get(parsed.id);
    if (session === undefined || session.name !== name) return gerr('UNTRUSTED', `no session ${parsed.id} for ${name}`);
    if (Buffer.compare(Buffer.from(creds), Buffer.from(session.key.creds)) !== 0) return gerr('UNTRUSTED', `credentials of ${name} were altered`);
    return gok(session.key);
  }

  /** One copy of each signed update for the whole simulated cluster (a signature identifies its update). */
  intern(s: Signed): Signed {
    const k = Buffer.from(s.sig.buffer, s.sig.byteOffset, s.sig.byteLength).toString('latin1');
    const have = this.updates.get(k);
    if (have && Buffer.compare(Buffer.from(have.body), Buffer.from(s.body)) === 0) return have;
    this.updates.set(k, s);
    return s;
  }
}

export class SimTrust implements Trust {
  readonly creds: Uint8Array;
  private readonly secret: Buffer;
  private readonly registry: SimRegistry;

  constructor(creds: Uint8Array, secret: Buffer, registry: SimRegistry) {
    this.creds = creds;
    this.secret = secret;
    this.registry = registry;
  }

  sign(bytes: Uint8Array): Uint8Array {
    return mac(this.secret, bytes);
  }

  admit(name: string, creds: Uint8Array, incarnation: number, now: number): GossipResult<PeerKey> {
    return this.registry.admit(name, creds, incarnation, now);
  }

  intern(s: Signed): Signed {
    return this.registry.intern(s);
  }
}

/** The keyed hash, repeated to 64 bytes: the size of an Ed25519 signature. The trailing secret stops length extension. */
function mac(secret: Buffer, bytes: Uint8Array): Buffer {
  const h = hash('sha256', Buffer.concat([secret, bytes, secret]), 'buffer');
  return Buffer.concat([h, h], SIG_BYTES);
}

function parseCreds(creds: Uint8Array): { name: string; id: string } | null {
  if (creds.length !== CREDS_BYTES) return null;
  for (let i = 0; i < MAGIC.length; i++) if (creds[i] !== MAGIC[i]) return null;
  const len = creds[4] as number;
  if (5 + len + ID_BYTES > CREDS_BYTES) return null;
  const name = Buffer.from(creds.subarray(5, 5 + len)).toString('utf8');
  const id = Buffer.from(creds.subarray(5 + len, 5 + len + ID_BYTES)).toString('hex');
  return { name, id };
}
