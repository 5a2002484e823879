// The whole build: generators (build/gen-*.mjs: validators, the plan's op
// codes), the C parts (native/Makefile), then one esbuild bundle per entry
// into dist/. Run by `npm install` (prepare) and `npm run build`.
import { randomBytes } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

function need(tool, pkg) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0) {
    console.error(`build: '${tool}' is missing: apt-get install ${pkg}`);
    process.exit(1);
  }
}
need('cc', 'gcc');
need('make', 'make');

for (const f of readdirSync('build').filter((f) => /^gen-.*\.mjs$/.test(f)).sort()) {
  const mod = await import(join(root, 'build', f));
  await mod.default({ root });
}

const make = spawnSync('make', ['-s', '-C', 'native', `NODE_BIN=${process.execPath}`], { stdio: 'inherit' });
if (make.status !== 0) process.exit(make.status ?? 1);

let commit = 'unknown';
try {
  commit = execFileSync('git', ['rev-parse', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
} catch {
  /* not a checkout */
}
const version = JSON.parse(readFileSync('package.json', 'utf8')).version;
// Ties each code cache to the build that made it (src/code-cache.ts).
const buildId = randomBytes(8).toString('hex');

// Modules of src/cli/ that are shared code, not subcommands.
const shared = new Set(['table', 'argv', 'command', 'output', 'load', 'container-options']);
// tsrun-cached: the main script of create, run and exec (src/main-cached.ts, native/launcher.c)
const entryPoints = { tsrun: 'src/main.ts', 'tsrun-cached': 'src/main-cached.ts' };
for (const f of readdirSync('src/cli')) {
  const name = f.replace(/\.ts$/, '');
  if (f.endsWith('.ts') && !shared.has(name)) entryPoints[`cli-${name}`] = `src/cli/${f}`;
}
// The busybox bundle maker (bundles/), for `npm run bundle:busybox` and the demo.
entryPoints['bundle-busybox'] = 'bundles/busybox-cli.ts';
// The busybox image tarball maker, for the engine tests (ctr/docker/podman load).
entryPoints['bundle-oci-image'] = 'bundles/oci-image-cli.ts';

const esbuild = await import('esbuild');
mkdirSync('dist', { recursive: true });
await esbuild.build({
  entryPoints,
  outdir: 'dist',
  outExtension: { '.js': '.cjs' },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minifySyntax: true,
  // ASCII only (esbuild's default, stated): src/code-cache.ts reads the cached bundles as latin1
  charset: 'ascii',
  legalComments: 'none',
  // koffi's native module is found relative to its own package.
  external: ['koffi'],
  define: {
    TSRUN_VERSION: JSON.stringify(version),
    TSRUN_COMMIT: JSON.stringify(commit),
    TSRUN_BUILD_ID: JSON.stringify(buildId),
    SPEC_VERSION: JSON.stringify('1.3.0'),
  },
  logLevel: 'warning',
});

// V8 code caches for the big bundles (src/code-cache.ts), made by the node that runs them, without NODE_OPTIONS as the launcher runs it.
const cacheEnv = { ...process.env };
delete cacheEnv.NODE_OPTIONS;
for (const name of ['create', 'run', 'exec']) {
  spawnSync(process.execPath, ['--no-warnings', 'build/code-cache.mjs', `dist/cli-${name}.cjs`, buildId], { stdio: ['ignore', 'ignore', 'inherit'], env: cacheEnv });
}
