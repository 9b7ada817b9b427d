// The channels `agent oob` and the healer can drive. Adding one: a folder with
// an index.ts exporting its ChannelModule, and one line here. Each module loads
// only when used, so a status call does not pay for the other protocols.

import type { ChannelModule, ChannelName } from './types.ts';

export const CHANNELS: Readonly<Record<ChannelName, () => Promise<ChannelModule>>> = {
  ipmi: async () => (await import('./ipmi/index.ts')).ipmiChannel,
  redfish: async () => (await import('./redfish/index.ts')).redfishChannel,
  amt: async () => (await import('./amt/index.ts')).amtChannel,
  dash: async () => (await import('./dash/index.ts')).dashChannel,
};

export const isChannelName = (s: string): s is ChannelName => Object.hasOwn(CHANNELS, s);
