// Service-account authentication for Google APIs (Google Identity, "Using OAuth
// 2.0 for Server to Server Applications"; RFC 7523): a JWT signed with the
// key's RSA private key (RS256), iss = client_email, scope, aud = token_uri,
// iat/exp an hour apart, exchanged at token_uri for an access token.
//
// Where the signed JWT may go: a JWT is a bearer credential for an hour, so a
// key file must not be able to send it anywhere it likes. token_uri is honoured
// only when it is https on one of Google's OAuth hosts, or when it has exactly
// the origin (scheme, host, port) of the --endpoint the operator chose (a
// private API gateway or a test fake). Anything else is refused before signing.

import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { cerr, cok, type ChannelResult } from '../types.ts';

export const COMPUTE_SCOPE = 'https://www.googleapis.com/auth/compute';
export const GOOGLE_TOKEN_HOSTS: ReadonlySet<string> = new Set(['oauth2.googleapis.com', 'accounts.google.com', 'www.googleapis.com']);

export interface ServiceAccountKey {
  clientEmail: string;
  privateKey: KeyObject;
  privateKeyId?: string;
  tokenUri: URL;
}

const b64url = (b: Buffer | string): string => Buffer.from(b).toString('base64url');

/** The key file's JSON -> the fields used; the message never quotes the private key. */
export function parseServiceAccountKey(text: string): ChannelResult<ServiceAccountKey> {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return cerr('CONFIG', 'the credentials file is not JSON');
  }
  if (typeof doc !== 'object' || doc === null) return cerr('CONFIG', 'the credentials file is not a JSON object');
  const o = doc as Record<string, unknown>;
  if (o.type !== 'service_account') return cerr('CONFIG', 'the credentials file is not a service-account key ("type": "service_account")');
  const email = o.client_email;
  const pem = o.private_key;
  const uri = o.token_uri ?? 'https://oauth2.googleapis.com/token';
  if (typeof email !== 'string' || !/^[^\s@]{1,200}@[^\s@]{1,200}$/.test(email)) return cerr('CONFIG', 'the credentials file has no client_email');
  if (typeof pem !== 'string') return cerr('CONFIG', 'the credentials file has no private_key');
  if (typeof uri !== 'string') return cerr('CONFIG', 'the credentials file has a token_uri that is not a string');
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(pem);
  } catch {
    return cerr('CONFIG', 'the private_key of the credentials file is not a PEM private key');
  }
  if (privateKey.asymmetricKeyType !== 'rsa') return cerr('CONFIG', 'the private_key of the credentials file is not an RSA key');
  let tokenUri: URL;
  try {
    tokenUri = new URL(uri);
  } catch {
    return cerr('CONFIG', 'the token_uri of the credentials file is not a URL');
  }
  const id = typeof o.private_key_id === 'string' && /^[\w-]{1,100}$/.test(o.private_key_id) ? o.private_key_id : undefined;
  return cok({ clientEmail: email, privateKey, tokenUri, ...(id ? { privateKeyId: id } : {}) });
}

/** The rule above: Google's own token endpoint, or the operator's --endpoint origin; nothing else. */
export function tokenUriAllowed(tokenUri: URL, endpoint: URL | null): ChannelResult<void> {
  if (tokenUri.username || tokenUri.password || tokenUri.hash) return cerr('CONFIG', 'the token_uri of the credentials file must not carry credentials or a fragment');
  if (tokenUri.protocol === 'https:' && GOOGLE_TOKEN_HOSTS.has(tokenUri.hostname) && (tokenUri.port === '' || tokenUri.port === '443')) return cok(undefined);
  if (endpoint !== null && tokenUri.origin === endpoint.origin) return cok(undefined);
  return cerr('CONFIG', `the credentials file names token_uri host ${JSON.stringify(tokenUri.host.slice(0, 100))}, which is neither Google's token endpoint nor the --endpoint host: the signed JWT is not sent there`);
}

/** A signed RS256 JWT assertion for the token exchange. */
export function signAssertion(key: ServiceAccountKey, nowSec: number, scope = COMPUTE_SCOPE): string {
  const header = { alg: 'RS256', typ: 'JWT', ...(key.privateKeyId ? { kid: key.privateKeyId } : {}) };
  const claims = { iss: key.clientEmail, scope, aud: key.tokenUri.href, iat: nowSec, exp: nowSec + 3600 };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  return `${input}.${b64url(sign('sha256', Buffer.from(input), key.privateKey))}`;
}
