// The GCE channel's settings; cheap to import (the CLI reads them before loading the channel).

import { ENDPOINT_FLAG, TOKEN_FILE_FLAG } from '../http/flags.ts';
import type { ChannelFlag } from '../types.ts';

export const GCE_FLAGS: readonly ChannelFlag[] = [
  { name: 'project', value: 'P', help: 'the Google Cloud project id', required: true },
  { name: 'zone', value: 'Z', help: 'the zone of the instance (europe-west1-b, ...)', required: true },
  { name: 'instance', value: 'ID', help: 'the instance (EC2: i-..., GCE: its name)', required: true },
  TOKEN_FILE_FLAG,
  // Not `secret`: a service-account key is a multi-line JSON document, not a first line. The
  // channel reads the file itself on first use and never prints what it holds.
  { name: 'credentials-file', value: 'F', help: 'a service-account JSON key file (instead of --token-file)' },
  ENDPOINT_FLAG,
];
