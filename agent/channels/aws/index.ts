// The AWS EC2 channel: --instance i-..., --region, --access-key-id and the
// secret key from a file; requests signed with SigV4 (sigv4.ts).

import { cerr, cok, type ChannelModule, type ChannelOptions } from '../types.ts';
import { apiTarget } from '../http/api.ts';
import { AwsDriver } from './driver.ts';

const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;
const INSTANCE = /^i-[0-9a-f]{8}([0-9a-f]{9})?$/;
const KEY_ID = /^[A-Z0-9]{16,128}$/;

export const awsChannel: ChannelModule = {
  name: 'aws',
  defaultPort: () => 443,
  open(opts: ChannelOptions) {
    const p = opts.params ?? {};
    const s = opts.secrets ?? {};
    const instance = p.instance ?? '';
    const region = p.region ?? '';
    const keyId = p['access-key-id'] ?? '';
    const secret = s['secret-key-file'];
    if (!INSTANCE.test(instance)) return cerr('CONFIG', 'aws: --instance must be an EC2 instance id (i- and 8 or 17 hex digits)');
    if (!REGION.test(region)) return cerr('CONFIG', 'aws: --region must be a region name such as us-east-1');
    if (!KEY_ID.test(keyId)) return cerr('CONFIG', 'aws: --access-key-id must be an access key id (AKIA... or ASIA...)');
    if (!secret) return cerr('CONFIG', 'aws: the secret access key is required (--secret-key-file)');
    const target = apiTarget(opts, `https://ec2.${region}.amazonaws.com`);
    if (!target.ok) return target;
    const url = new URL(p.endpoint ?? `https://ec2.${region}.amazonaws.com`);
    const token = s['session-token-file'];
    if (token !== undefined && !/^[\x21-\x7e]{1,8192}$/.test(token)) return cerr('CONFIG', 'aws: the session token must be printable ASCII (it goes in a header)');
    return cok(new AwsDriver({ target: target.value, host: url.host, instance, region, accessKeyId: keyId, secretAccessKey: secret, ...(token ? { sessionToken: token } : {}) }));
  },
};
