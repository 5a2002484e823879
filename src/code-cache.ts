// A V8 code cache for the big subcommand bundles (create, run, exec): with
// it, loading dist/cli-create.cjs takes ~5 ms instead of ~9 ms (bench/TRIED.md).
// build/code-cache.mjs writes <bundle>.v8cache right after esbuild. V8 only
// checks the source's length, so the cache's first line is the id of the
// build that made it, which is also compiled into this file: a rebuilt
// bundle never runs with another build's code (and no stat is needed).
//
// The build can only warm what a dry run reaches: the cgroup, the executor
// and the state record are compiled lazily in every create (~1 ms). So the
// first command of a build that succeeds leaves a cache of everything it
// compiled in the cache directory (code@<bundle>, state/cache-dir.ts; read
// back only when this euid wrote it: state/safe-fs.ts), and later ones load
// that instead. Never under --root: that holds container state only.
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { readOwnFile, writeOwnFile } from './state/safe-fs.js';

declare const require: (id: string) => unknown;
declare const TSRUN_BUILD_ID: string;

/** A CommonJS file's text inside Module.wrap's function, compiled. */
export type Wrapped = (exports: unknown, require: unknown, module: { exports: unknown }, filename: string, dirname: string) => void;

/** What Node's Module.wrap puts around a CommonJS file (a test checks they agree). */
export const WRAP_HEAD = '(function (exports, require, module, __filename, __dirname) { ';
export const WRAP_TAIL = '\n});';

/**
 * A cache file's first line: the build's id, padded with spaces so that the
 * V8 data after it starts 8-byte aligned in the (page-aligned) buffer it is
 * read into. V8 copies cached data it is given misaligned (~345 KB for
 * create, a page fault per 4 KB on the way). build/code-cache.mjs pads alike.
 */
export function cacheHeader(id: string): Buffer {
  return Buffer.from(`${id.padEnd(((id.length + 8) & ~7) - 1)}\n`, 'latin1');
}

/** The V8 data of a cache file made by this build; undefined for none, a stale one or another build's. */
function cachedData(file: Buffer | undefined): Buffer | undefined {
  if (!file) return undefined;
  const nl = file.indexOf(10);
  if (nl < 0 || file.toString('latin1', 0, nl).trimEnd() !== TSRUN_BUILD_ID) return undefined;
  return file.subarray(nl + 1);
}

/** Room for a bundle's text: address space only, untouched pages cost nothing (the bundles are 0.1-0.6 MB). */
const SOURCE_ROOM = 4 << 20;

/**
 * The bundle's text inside Module.wrap's function as one flat string, read
 * into `buf` between the head and the tail; undefined when the bundle is
 * missing. Concatenated, the three would make a cons string that V8
 * flattens (another copy of the whole text) before it looks the script up;
 * built like this there is one copy, buffer to string. latin1, not utf8:
 * esbuild writes ASCII only (its default charset, stated in build.mjs), and
 * one read made a one-byte string costs ~0.4 ms less than the utf8 path's
 * 8 KB reads and decoding of ~290 KB.
 */
function wrappedSource(path: string, buf: Buffer): string | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    let n = buf.write(WRAP_HEAD, 0, 'latin1');
    const end = buf.length - WRAP_TAIL.length;
    for (;;) {
      const r = n < end ? readSync(fd, buf, n, end - n, null) : 0;
      if (r === 0) break;
      n += r;
    }
    // a bundle that fills the room: read as it is
    if (n === end) return `${WRAP_HEAD}${readFileSync(path).toString('latin1')}${WRAP_TAIL}`;
    n += buf.write(WRAP_TAIL, n, 'latin1');
    return buf.toString('latin1', 0, n);
  } finally {
    closeSync(fd);
  }
}

/**
 * Load `path` (a CommonJS bundle) with its code cache: the one in the cache
 * directory `cache` if this build left one there, else the build's;
 * undefined when the bundle is missing or it has neither (unless
 * `orCompile`: then it is compiled from its text, and the cache directory
 * gets a cache at a successful exit; for dist/tsrun.cjs, which the build
 * cannot run to take one).
 */
export function loadWithCodeCache(
  path: string,
  cache?: string,
  atExit: (fn: (code: number) => void) => void = (fn) => void process.once('exit', fn),
  orCompile = false,
): unknown {
  const name = `code@${path.slice(path.lastIndexOf('/') + 1)}`;
  // The text first, then the cache read into the same pages: once the text
  // is a string its buffer is free, and pages already touched cost no fault
  // (~85 for create's cache). The cache starts the buffer, which is
  // page-aligned, so its V8 data stays 8-byte aligned (cacheHeader).
  const buf = Buffer.allocUnsafe(SOURCE_ROOM);
  const source = wrappedSource(path, buf);
  if (source === undefined) return undefined;
  const fromCache = cache ? cachedData(readOwnFile(`${cache}/${name}`, undefined, buf)) : undefined;
  let data = fromCache;
  if (!data) {
    try {
      data = cachedData(readFileSync(`${path}.v8cache`));
    } catch {
      /* none built */
    }
  }
  if (!data && !orCompile) return undefined;
  const vm = require('node:vm') as typeof import('node:vm');
  // Module.wrap's text (build/code-cache.mjs compiles the same), and our own
  // require: the bundles sit beside dist/tsrun.cjs and need only builtins and
  // koffi, which resolve alike from there; node:module would cost ~0.3 ms.
  const script = new vm.Script(source, { filename: path, cachedData: data });
  if (cache && (!fromCache || script.cachedDataRejected)) {
    // at the end of a command that worked, so the cache holds the functions of its success path
    atExit((code) => {
      if (code === 0) writeOwnFile(cache, name, Buffer.concat([cacheHeader(TSRUN_BUILD_ID), script.createCachedData()]));
    });
  }
  const fn = script.runInThisContext() as Wrapped;
  const mod = { exports: {} as unknown };
  fn.call(mod.exports, mod.exports, require, mod, path, path.slice(0, path.lastIndexOf('/')));
  return mod.exports;
}
