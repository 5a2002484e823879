// After esbuild: a V8 code cache beside each big subcommand bundle
// (dist/cli-<name>.cjs.v8cache), read by src/code-cache.ts. Its first line is
// the bundle's size:mtime stamp, so a rebuilt bundle ignores an old cache.
// The bundle's top level is run once before the cache is taken, so the
// functions it compiled on the way are in the cache too. Run by build.mjs.
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { dirname, resolve } from 'node:path';
import vm from 'node:vm';

const stamp = (path) => {
  const st = statSync(path);
  return `${st.size}:${Math.trunc(st.mtimeMs)}\n`;
};

export function writeCodeCache(path) {
  path = resolve(path);
  const script = new vm.Script(Module.wrap(readFileSync(path, 'utf8')), { filename: path });
  const mod = { exports: {} };
  script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(path), mod, path, dirname(path));
  writeFileSync(`${path}.v8cache`, Buffer.concat([Buffer.from(stamp(path)), script.createCachedData()]));
}

// One process per bundle: each cache holds only its own bundle's functions.
const [file] = process.argv.slice(2);
if (file) {
  try {
    writeCodeCache(file);
  } catch (err) {
    rmSync(`${resolve(file)}.v8cache`, { force: true });
    console.error(`build: no code cache for ${file}: ${err.message}`);
  }
}
