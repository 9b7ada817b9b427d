// The simulator's core factory: the daemon's SwimNode, unchanged, with the
// default configuration a deployment would use.
import { SwimNode } from '../../agent/gossip/swim.ts';
import { DEFAULT_CONFIG, type GossipConfig } from '../../agent/gossip/types.ts';
import type { CoreFactory } from './core.ts';

export function swimFactory(overrides: Partial<typeof DEFAULT_CONFIG> = {}): CoreFactory {
  return (spec) => {
    const cfg: GossipConfig = { ...DEFAULT_CONFIG, ...overrides, name: spec.name, addr: spec.addr, seeds: spec.seeds, incarnation: spec.incarnation };
    return new SwimNode(cfg, spec.trust, spec.random, spec.now);
  };
}
