// Flags every HTTP API channel shares; cheap to import (the CLI reads them before loading a channel).

import type { ChannelFlag } from '../types.ts';

export const ENDPOINT_FLAG: ChannelFlag = {
  name: 'endpoint',
  value: 'URL',
  help: "the API's base URL (default: the provider's public one)",
};

/** An API token in a file (Bearer tokens of the cloud providers, Proxmox API tokens). */
export const TOKEN_FILE_FLAG: ChannelFlag = {
  name: 'token-file',
  value: 'F',
  help: 'file whose first line is the API token',
  secret: true,
};
