// A decoded record as JSON for people and scripts: byte strings as hex, the
// certificate and binding decoded in place (their signatures are verify.ts's job).

import { decodeCertificate } from './cert.ts';
import type { RecordPayload } from './record.ts';
import { decodeBinding } from './session.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

export function recordJson(p: RecordPayload): Record<string, unknown> {
  const c = decodeCertificate(p.certificate);
  const b = decodeBinding(p.binding);
  return {
    name: p.name,
    incarnation: p.incarnation,
    bootId: p.bootId,
    time: new Date(p.time).toISOString(),
    expires: new Date(p.expires).toISOString(),
    reportDigest: hex(p.reportDigest),
    channels: p.channels,
    policy: p.policy,
    compliance: p.compliance,
    watchdog: p.watchdog,
    tpm: p.tpm ? { msg: hex(p.tpm.msg), sig: hex(p.tpm.sig), akPem: p.tpm.akPem } : null,
    sessionKey: hex(p.sessionKey),
    certificate: c.ok
      ? { orgKeyId: hex(c.value.cert.orgKeyId), name: c.value.cert.name, nodeKey: hex(c.value.cert.nodeKey), issued: new Date(c.value.cert.issued * 1000).toISOString(), expires: new Date(c.value.cert.expires * 1000).toISOString() }
      : { error: c.error },
    binding: b.ok ? { sessionKey: hex(b.value.binding.sessionKey), bootId: b.value.binding.bootId, name: b.value.binding.name, incarnation: b.value.binding.incarnation } : { error: b.error },
  };
}
