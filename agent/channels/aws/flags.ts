// The AWS EC2 channel's settings; cheap to import (the CLI reads them before loading the channel).

import { ENDPOINT_FLAG } from '../http/flags.ts';
import type { ChannelFlag } from '../types.ts';

export const AWS_FLAGS: readonly ChannelFlag[] = [
  { name: 'instance', value: 'ID', help: 'the instance (EC2: i-..., GCE: its name)', required: true },
  { name: 'region', value: 'R', help: 'the AWS region (us-east-1, eu-central-1, ...)', required: true },
  { name: 'access-key-id', value: 'AKIA...', help: 'the access key id (not secret; its secret key goes in --secret-key-file)', required: true },
  { name: 'secret-key-file', value: 'F', help: 'file whose first line is the AWS secret access key', secret: true, required: true },
  { name: 'session-token-file', value: 'F', help: 'file whose first line is an STS session token (temporary credentials)', secret: true },
  ENDPOINT_FLAG,
];
