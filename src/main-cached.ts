// The main script bin/tsrun gives Node for create, run and exec, which load a
// big bundle with a code cache anyway (node:vm is loaded for it): dist/tsrun.cjs
// compiled with a code cache too, instead of by Node's loader from its text
// (a top-level parse of ~30 KB and every function create calls in it). The
// cache is the one the first such command that succeeds leaves in the cache
// directory (src/code-cache.ts); the build cannot take one, since running
// dist/tsrun.cjs runs a command. bench/TRIED.md row 64.
import { loadWithCodeCache } from './code-cache.js';
import { cacheDir } from './state/cache-dir.js';

declare const require: (id: string) => unknown;
declare const __dirname: string;

const main = `${__dirname}/tsrun.cjs`;
if (loadWithCodeCache(main, cacheDir(), undefined, true) === undefined) require(main);
