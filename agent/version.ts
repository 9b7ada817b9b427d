// Filled in by esbuild's `define` at build time; tests running the sources see the dev value.
declare const __AGENT_VERSION__: string | undefined;
declare const __AGENT_COMMIT__: string | undefined;

export const VERSION: string = typeof __AGENT_VERSION__ === 'string' ? __AGENT_VERSION__ : '0.0.0-dev';
export const COMMIT: string = typeof __AGENT_COMMIT__ === 'string' ? __AGENT_COMMIT__ : 'unknown';
