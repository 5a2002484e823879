// After esbuild: a V8 code cache beside each big subcommand bundle
// (dist/cli-<name>.cjs.v8cache), read by src/code-cache.ts. Its first line is
// the build's id (build.mjs compiles the same id into dist/), so a rebuilt
// bundle ignores an old cache.
// The bundle's top level is run once before the cache is taken, so the
// functions it compiled on the way are in the cache too; for create, a
// `create --dry-run` of `tsrun spec`'s config runs too, so that validation,
// the plan compiler and its encoder come compiled (they are lazily compiled
// otherwise, ~5 ms of every create). Run by build.mjs, stdout ignored.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import vm from 'node:vm';

/** A dry-run create of the default spec's config: it prints the plan on fd 1 (the build ignores it). */
async function warmCreate(main, dist) {
  const dir = mkdtempSync(join(tmpdir(), 'tsrun-cache-'));
  try {
    const spec = spawnSync(process.execPath, [join(dist, 'tsrun.cjs'), 'spec', '--bundle', dir], { stdio: 'inherit' });
    if (spec.status !== 0) throw new Error('tsrun spec failed');
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    config.process.terminal = false; // a detached create has no console socket here
    writeFileSync(join(dir, 'config.json'), JSON.stringify(config));
    mkdirSync(join(dir, 'rootfs'));
    const code = await main({ globals: { root: join(dir, 'state'), logFormat: 'text' }, opts: { bundle: dir, dryRun: true }, args: ['warm'] });
    if (code !== 0) throw new Error(`create --dry-run exited ${code}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function writeCodeCache(path, buildId) {
  path = resolve(path);
  const text = readFileSync(path, 'utf8');
  // src/code-cache.ts reads the bundle as latin1: that is the same text only for ASCII
  if (/[^\x00-\x7f]/.test(text)) throw new Error('the bundle is not ASCII');
  const script = new vm.Script(Module.wrap(text), { filename: path });
  const mod = { exports: {} };
  script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(path), mod, path, dirname(path));
  if (basename(path) === 'cli-create.cjs') await warmCreate(mod.exports.main, dirname(path));
  // the id padded as src/code-cache.ts's cacheHeader pads it: the V8 data starts 8-byte aligned (V8 copies it otherwise)
  const header = `${buildId.padEnd(((buildId.length + 8) & ~7) - 1)}\n`;
  writeFileSync(`${path}.v8cache`, Buffer.concat([Buffer.from(header, 'latin1'), script.createCachedData()]));
}

// One process per bundle: each cache holds only its own bundle's functions.
const [file, buildId] = process.argv.slice(2);
if (file && buildId) {
  try {
    await writeCodeCache(file, buildId);
  } catch (err) {
    rmSync(`${resolve(file)}.v8cache`, { force: true });
    console.error(`build: no code cache for ${file}: ${err.message}`);
  }
}
