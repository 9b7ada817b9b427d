// The flags every VPS provider channel takes: the provider's id for the
// machine, the token file, and the endpoint. Cheap to import (the CLI reads
// them before loading any channel).

import { ENDPOINT_FLAG, TOKEN_FILE_FLAG } from '../http/flags.ts';
import type { ChannelFlag } from '../types.ts';

export const cloudFlags = (idFlag: string, help: string): readonly ChannelFlag[] => [{ name: idFlag, value: 'ID', help, required: true }, { ...TOKEN_FILE_FLAG, required: true }, ENDPOINT_FLAG];
