// The daemon's configuration (JSON; every key is in the README). Parsed
// strictly: an unknown key is an error, so a typo fails at start instead of
// silently turning a feature off.

export class ConfigError extends Error {
  readonly code = 'E_CONFIG';
  constructor(
    readonly source: string,
    message: string,
  ) {
    super(`${source}: ${message}`);
    this.name = 'ConfigError';
  }
}

export interface AgentConfig {
  node: {
    /** The node's name in the fleet: a DNS label. */
    name: string;
  };
}

/** Config files are small; anything larger is a mistake or an attack. */
export const CONFIG_CAP = 256 * 1024;

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
const isObject = (v: Json | undefined): v is { [k: string]: Json } => typeof v === 'object' && v !== null && !Array.isArray(v);

function onlyKeys(source: string, where: string, obj: { [k: string]: Json }, allowed: readonly string[]): void {
  const extra = Object.keys(obj).filter((k) => !allowed.includes(k));
  if (extra.length) throw new ConfigError(source, `unknown key ${where}${extra[0]} (known: ${allowed.map((k) => where + k).join(', ')})`);
}

/** Throws ConfigError with the source and what is wrong. */
export function parseConfig(text: string, source: string): AgentConfig {
  if (text.length > CONFIG_CAP) throw new ConfigError(source, `larger than ${CONFIG_CAP} bytes`);
  let doc: Json;
  try {
    doc = JSON.parse(text) as Json;
  } catch (e) {
    throw new ConfigError(source, `not JSON: ${(e as Error).message}`);
  }
  if (!isObject(doc)) throw new ConfigError(source, 'the top level must be an object');
  onlyKeys(source, '', doc, ['node']);
  const node = doc.node;
  if (!isObject(node)) throw new ConfigError(source, 'node must be an object with node.name');
  onlyKeys(source, 'node.', node, ['name']);
  if (typeof node.name !== 'string' || !LABEL.test(node.name)) {
    throw new ConfigError(source, 'node.name must be a DNS label (letters, digits, hyphens; at most 63)');
  }
  return { node: { name: node.name } };
}
