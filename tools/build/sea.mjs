// Builds dist/agent: esbuild bundle -> Node single-executable application.
// Everything here is offline: esbuild and postject come from the lockfile, and the
// Node binary is the one running this script (no base binaries downloaded, which
// is why we do not use @yao-pkg/pkg).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { copyFileSync, chmodSync, mkdirSync, readFileSync, writeFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

const dist = 'dist';
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
let commit = 'unknown';
try {
  commit = execFileSync('git', ['rev-parse', '--short=12', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
} catch {
  // a source tarball without git still builds
}

mkdirSync(dist, { recursive: true });
const bundle = join(dist, 'agent.cjs');
await build({
  entryPoints: ['agent/main.ts'],
  bundle: true,
  platform: 'node',
  target: 'node20',
  // SEA runs a CommonJS main script; the sources stay ES modules.
  format: 'cjs',
  outfile: bundle,
  minify: true,
  legalComments: 'none',
  sourcemap: false,
  define: {
    __AGENT_VERSION__: JSON.stringify(pkg.version),
    __AGENT_COMMIT__: JSON.stringify(commit),
  },
  logLevel: 'warning',
  // koffi's loader looks for its native module next to itself; the single binary
  // carries that module as a SEA asset instead (agent/native/koffi.ts loads it).
  external: ['koffi'],
  plugins: [
    {
      // cbor-x tries its optional native extractor in a try/catch and falls back to
      // JS. A SEA can require only built-ins (and warns on stderr for anything else),
      // so the bundle carries a stand-in that throws: the fallback, without the warning.
      name: 'no-cbor-extract',
      setup(b) {
        b.onResolve({ filter: /^cbor-extract$/ }, () => ({ path: 'cbor-extract', namespace: 'sea-stub' }));
        b.onLoad({ filter: /.*/, namespace: 'sea-stub' }, () => ({ contents: "throw new Error('cbor-extract is not in the single binary')", loader: 'js' }));
      },
    },
  ],
});

// The native FFI module for this machine's architecture, from the npm package
// (it ships prebuilt modules; nothing is compiled or downloaded here).
const koffiNative = `node_modules/koffi/build/koffi/linux_${process.arch}/koffi.node`;
statSync(koffiNative);

const blob = join(dist, 'sea-prep.blob');
const seaConfig = join(dist, 'sea-config.json');
writeFileSync(
  seaConfig,
  JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true, useCodeCache: true, assets: { 'koffi.node': koffiNative } }),
);
execFileSync(process.execPath, ['--experimental-sea-config', seaConfig], { stdio: 'inherit' });

const out = join(dist, 'agent');
rmSync(out, { force: true });
copyFileSync(process.execPath, out);
chmodSync(out, 0o755);
// Symbols are ~13 MiB of the binary and nothing reads them at run time; the preboot
// image unpacks every byte under emulation. Strip before injecting: stripping after
// would drop the SEA blob's note.
try {
  execFileSync('strip', ['--strip-all', out], { stdio: ['ignore', 'ignore', 'inherit'] });
} catch (e) {
  console.error(`sea: strip unavailable (${e.message.split('\n')[0]}); the binary keeps its symbols`);
}
execFileSync(
  process.execPath,
  [
    'node_modules/postject/dist/cli.js',
    out,
    'NODE_SEA_BLOB',
    blob,
    '--sentinel-fuse',
    'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
  ],
  { stdio: ['ignore', 'ignore', 'inherit'] },
);
rmSync(blob);
rmSync(seaConfig);
console.error(`sea: ${out} ${(statSync(out).size / 2 ** 20).toFixed(1)} MiB (node ${process.version}, ${commit})`);
