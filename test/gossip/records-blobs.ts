// Signed blobs for the record anti-entropy tests, standing in for vault
// records so the mechanism is tested without the vault's format: CBOR
// [node, id, seq, payload, tag], tag = SHA-256(secret | body | secret) with a
// secret per node. Only the signer's secrets map can make a tag; verify() is
// the side every node runs. A node missing from the map cannot be verified.
import { createHash } from 'node:crypto';
import type { RecordClaim, VerifyRecord } from '../../agent/gossip/records.ts';
import { gerr, gok, type GossipResult } from '../../agent/gossip/types.ts';
import { cborDecode, cborEncode } from '../../agent/gossip/wire.ts';

export class BlobSigner {
  private readonly secrets = new Map<string, Uint8Array>();

  constructor(nodes: string[]) {
    for (const n of nodes) this.secrets.set(n, createHash('sha256').update(`secret of ${n}`).digest());
  }

  sign(node: string, id: string, seq: number, payload: Uint8Array | string = `payload of ${node}/${id}#${seq}`): Uint8Array {
    const secret = this.secrets.get(node);
    if (!secret) throw new Error(`no secret for ${node}`);
    const p = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
    return cborEncode([node, id, seq, p, tag(secret, node, id, seq, p)]);
  }

  readonly verify: VerifyRecord = (bytes: Uint8Array): GossipResult<RecordClaim> => {
    const d = cborDecode(bytes);
    if (!d.ok) return d;
    const v = d.value;
    if (!Array.isArray(v) || v.length !== 5) return gerr('MALFORMED', 'blob is not [node, id, seq, payload, tag]');
    const [node, id, seq, payload, t] = v as unknown[];
    if (typeof node !== 'string' || typeof id !== 'string' || typeof seq !== 'number' || !(payload instanceof Uint8Array) || !(t instanceof Uint8Array)) {
      return gerr('MALFORMED', 'blob fields of the wrong types');
    }
    const secret = this.secrets.get(node);
    if (!secret) return gerr('UNKNOWN_AUTHOR', `no key for ${node}`);
    if (Buffer.compare(Buffer.from(t), Buffer.from(tag(secret, node, id, seq, payload))) !== 0) return gerr('BAD_SIGNATURE', `blob of ${node}/${id} does not verify`);
    return gok({ node, id, seq });
  };
}

function tag(secret: Uint8Array, node: string, id: string, seq: number, payload: Uint8Array): Uint8Array {
  return new Uint8Array(createHash('sha256').update(secret).update(cborEncode([node, id, seq, payload])).update(secret).digest());
}

/** A copy of `bytes` with one bit of the last byte flipped (inside the tag). */
export function tamper(bytes: Uint8Array): Uint8Array {
  const c = Uint8Array.from(bytes);
  c[c.length - 1] = (c[c.length - 1] as number) ^ 1;
  return c;
}

/** Accepts any well-formed blob, signed or not: what a lying node would run. */
export const believeAnything: VerifyRecord = (bytes) => {
  const d = cborDecode(bytes);
  if (!d.ok) return d;
  const v = d.value;
  if (!Array.isArray(v) || typeof v[0] !== 'string' || typeof v[1] !== 'string' || typeof v[2] !== 'number') return gerr('MALFORMED', 'not a blob');
  return gok({ node: v[0], id: v[1], seq: v[2] });
};
