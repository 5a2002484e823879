// Subcommands are bundled one file each (dist/cli-<name>.cjs) and required only
// when called, so `tsrun state` never pays for the code of `create`.
//
// The small hot bundles (state, kill, start, delete, ...) are compiled here
// with `new Function` instead of require(): Node's CJS loader would stat and
// realpath the file and look for package.json scopes first, and the V8 code
// cache probe is a failed open for bundles that have none. Loading
// dist/cli-state.cjs in a fresh node: require() 0.95 ms, this 0.65 ms
// (bench/TRIED.md). The big bundles keep their code cache (src/code-cache.ts).
import type { Wrapped } from '../code-cache.js';
import type { Invocation } from './command.js';

declare const require: (id: string) => unknown;
declare const __dirname: string;

export type CommandModule = { main: (inv: Invocation) => Promise<number> };

/** The bundles build/build.mjs makes a code cache for; the others are required as they are. */
const CACHED = new Set(['cli-create.cjs', 'cli-run.cjs', 'cli-exec.cjs']);

/** Bundles compiled without the module loader: small, with no code cache. */
const UNCACHED = new Set(['cli-state.cjs', 'cli-kill.cjs', 'cli-start.cjs', 'cli-delete.cjs', 'cli-list.cjs', 'cli-pause.cjs', 'cli-resume.cjs', 'cli-not-implemented.cjs']);

/**
 * Compile and run a CommonJS bundle of ours; undefined when the file does not
 * exist. The bundles only require node builtins and koffi, which resolve the
 * same from dist/tsrun.cjs (this file, in the same directory), so they get
 * our own require.
 */
function compileBundle(path: string): unknown {
  const { readFileSync } = require('node:fs') as typeof import('node:fs');
  let source: string;
  try {
    source = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  // sourceURL: stack traces name the bundle, not "<anonymous>".
  const fn = new Function('exports', 'require', 'module', '__filename', '__dirname', `${source}\n//# sourceURL=${path}`) as Wrapped;
  const mod = { exports: {} as unknown };
  fn.call(mod.exports, mod.exports, require, mod, path, __dirname);
  return mod.exports;
}

function notFound(file: string): Error {
  const err = new Error(`Cannot find module '${__dirname}/${file}'`) as NodeJS.ErrnoException;
  err.code = 'MODULE_NOT_FOUND';
  return err;
}

/** The big bundles load with a code cache of this build (src/code-cache.ts), from the cache directory when one was left there. */
export function loadDist<T>(file: string): T {
  const path = `${__dirname}/${file}`;
  if (UNCACHED.has(file)) {
    const mod = compileBundle(path);
    if (mod === undefined) throw notFound(file);
    return mod as T;
  }
  if (!CACHED.has(file)) return require(path) as T;
  // Required lazily: the code cache's own imports are not needed on the hot paths.
  const { loadWithCodeCache } = require('../code-cache.js') as typeof import('../code-cache.js');
  const { cacheDir } = require('../state/cache-dir.js') as typeof import('../state/cache-dir.js');
  return (loadWithCodeCache(path, cacheDir()) ?? require(path)) as T;
}

export function loadCommand(name: string): CommandModule | undefined {
  try {
    return loadDist<CommandModule>(`cli-${name}.cjs`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && String((err as Error).message).includes(`cli-${name}.cjs`)) {
      return undefined;
    }
    throw err;
  }
}
