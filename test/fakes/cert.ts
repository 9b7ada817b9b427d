// A throwaway self-signed certificate for the HTTPS fakes (BMCs, AMT/DASH, hypervisors),
// made with the openssl CLI as such firmware makes its own, and its pin as openssl prints it.

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export interface TestCert {
  dir: string;
  key: string;
  cert: string;
  /** `sha256:hex` of the DER certificate, from `openssl x509 -fingerprint`. */
  pin: string;
}

export function makeCert(cn = 'fake-bmc'): TestCert {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-cert-'));
  const keyFile = path.join(dir, 'key.pem');
  const certFile = path.join(dir, 'cert.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', `/CN=${cn}`], { stdio: 'ignore' });
  const out = execFileSync('openssl', ['x509', '-in', certFile, '-noout', '-fingerprint', '-sha256'], { encoding: 'utf8' });
  const hex = /=([0-9A-F:]+)/i.exec(out)?.[1]?.replace(/:/g, '').toLowerCase();
  if (!hex || hex.length !== 64) throw new Error(`unexpected openssl fingerprint output: ${out}`);
  return { dir, key: fs.readFileSync(keyFile, 'utf8'), cert: fs.readFileSync(certFile, 'utf8'), pin: `sha256:${hex}` };
}
