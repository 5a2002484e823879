// A V8 code cache for the big subcommand bundles (create, run, exec): with
// it, loading dist/cli-create.cjs takes ~5 ms instead of ~9 ms (bench/TRIED.md).
// build/code-cache.mjs writes <bundle>.v8cache right after esbuild. V8 only
// checks the source's length, so the cache's first line is the id of the
// build that made it, which is also compiled into this file: a rebuilt
// bundle never runs with another build's code (and no stat is needed).
import { readFileSync } from 'node:fs';

declare const require: (id: string) => unknown;
declare const TSRUN_BUILD_ID: string;

/** A CommonJS file's text inside Module.wrap's function, compiled. */
export type Wrapped = (exports: unknown, require: unknown, module: { exports: unknown }, filename: string, dirname: string) => void;

/** What Node's Module.wrap puts around a CommonJS file (a test checks they agree). */
export const WRAP_HEAD = '(function (exports, require, module, __filename, __dirname) { ';
export const WRAP_TAIL = '\n});';

/** Load `path` (a CommonJS bundle) with its code cache; undefined when it has none or a stale one. */
export function loadWithCodeCache(path: string): unknown {
  let cache: Buffer;
  try {
    cache = readFileSync(`${path}.v8cache`);
  } catch {
    return undefined;
  }
  const nl = cache.indexOf(10);
  if (nl < 0 || cache.toString('latin1', 0, nl) !== TSRUN_BUILD_ID) return undefined;
  const vm = require('node:vm') as typeof import('node:vm');
  // Module.wrap's text (build/code-cache.mjs compiles the same), and our own
  // require: the bundles sit beside dist/tsrun.cjs and need only builtins and
  // koffi, which resolve alike from there; node:module would cost ~0.3 ms.
  // latin1, not utf8: esbuild writes ASCII only (its default charset), and
  // one read into a Buffer made a one-byte string costs ~0.4 ms less than
  // the utf8 path's 8 KB reads and decoding of ~290 KB.
  const source = `${WRAP_HEAD}${readFileSync(path).toString('latin1')}${WRAP_TAIL}`;
  const script = new vm.Script(source, { filename: path, cachedData: cache.subarray(nl + 1) });
  const fn = script.runInThisContext() as Wrapped;
  const mod = { exports: {} as unknown };
  fn.call(mod.exports, mod.exports, require, mod, path, path.slice(0, path.lastIndexOf('/')));
  return mod.exports;
}
