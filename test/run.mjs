// The test command: bundle each test/**/*.test.ts with esbuild (Node 20 cannot
// run TypeScript), then run them all in one `node --test`, so the run ends
// with a single summary. `node test/run.mjs [unit|integration] [name-filter]`.
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [kind = 'all', ...filters] = process.argv.slice(2);
// One directory per run: several people test in this checkout at once, and a
// shared one was wiped under a run in progress.
const out = join(root, 'dist', 'test', `run-${process.pid}`);

function find(dir) {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? find(p) : f.endsWith('.test.ts') ? [p] : [];
  });
}

const suites = kind === 'all' ? ['unit', 'integration'] : [kind];
const files = suites
  .flatMap((s) => find(join(root, 'test', s)))
  .filter((f) => filters.length === 0 || filters.some((x) => relative(root, f).includes(x)))
  .sort();
if (files.length === 0) {
  console.error(`no test files for ${kind} ${filters.join(' ')}`);
  process.exit(1);
}

rmSync(out, { recursive: true, force: true });
await esbuild.build({
  entryPoints: files,
  outdir: out,
  outbase: join(root, 'test'),
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  packages: 'external',
  sourcemap: 'inline',
  define: { TSRUN_VERSION: '"test"', TSRUN_COMMIT: '"test"', TSRUN_BUILD_ID: '"test"', SPEC_VERSION: '"1.3.0"' },
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  logLevel: 'warning',
});

const built = files.map((f) => join(out, relative(join(root, 'test'), f)).replace(/\.ts$/, '.mjs'));
const env = { ...process.env, TSRUN_ROOT_DIR: root };
delete env.NODE_OPTIONS;
delete env.NODE_EXTRA_CA_CERTS;
// Integration tests share the machine (cgroups, /run): one file at a time.
const concurrency = suites.includes('integration') ? '1' : String(Math.max(1, 2));
const res = spawnSync(process.execPath, ['--enable-source-maps', '--test', `--test-concurrency=${concurrency}`, ...built], {
  stdio: 'inherit',
  env,
  cwd: root,
});
rmSync(out, { recursive: true, force: true });
process.exit(res.status ?? 1);
