// Differential tests: the same bundle and the same command line through runc
// (the reference users compare us with) and through tsrun, each with a --root
// of its own, so a test can compare exit codes, what the container saw, and the
// stderr words callers match on.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, tsrunBin, isRoot, type RunResult } from './tsrun.js';

function findRunc(): string | null {
  for (const dir of (process.env.PATH ?? '/usr/sbin:/usr/bin').split(':').concat(['/usr/sbin', '/usr/bin'])) {
    const p = join(dir, 'runc');
    if (existsSync(p)) return p;
  }
  return null;
}

export const runcBin = findRunc();

/** The skip reason of a differential test, or false when it can run here. */
export const differentialSkip: string | false = !isRoot
  ? 'needs root: runs real containers'
  : runcBin === null
    ? 'runc is not installed: the differential tests compare tsrun with it (apt-get install runc)'
    : false;

export type RuntimeName = 'runc' | 'tsrun';

export interface Runtime {
  name: RuntimeName;
  bin: string;
  /** The runtime's --root (a temp dir of its own). */
  root: string;
  /**
   * `<bin> --root <root> ...args` with stdout and stderr going to files, not
   * pipes: a detached container's init inherits them, and a pipe would keep
   * spawnSync waiting until the container exits.
   */
  call(args: string[], opts?: SpawnSyncOptions): RunResult;
  /** `delete --force` every id, then remove the root. */
  cleanup(...ids: string[]): void;
}

export function makeRuntime(name: RuntimeName): Runtime {
  const bin = name === 'runc' ? runcBin! : tsrunBin;
  const root = tempDir(`diff-${name}-root-`);
  const io = tempDir(`diff-${name}-io-`);
  let n = 0;
  const call = (args: string[], opts: SpawnSyncOptions = {}): RunResult => {
    const out = join(io.path, `out-${n++}`);
    const fo = openSync(out, 'w+');
    const fe = openSync(`${out}.err`, 'w+');
    try {
      const res = spawnSync(bin, ['--root', root.path, ...args], { timeout: 60_000, ...opts, stdio: [opts.input === undefined ? 'ignore' : 'pipe', fo, fe] });
      return { code: res.status, signal: res.signal, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(`${out}.err`, 'utf8') };
    } finally {
      closeSync(fo);
      closeSync(fe);
    }
  };
  return {
    name,
    bin,
    root: root.path,
    call,
    cleanup(...ids) {
      for (const id of ids) call(['delete', '--force', id]);
      root.remove();
      io.remove();
    },
  };
}

/**
 * Run `fn` once with runc and once with tsrun, each with a fresh runtime whose
 * containers `fn` names in its returned ids (deleted afterwards, even on failure).
 */
export function differential<T>(fn: (rt: Runtime) => T, ids: string[] = []): Record<RuntimeName, T> {
  const out = {} as Record<RuntimeName, T>;
  for (const name of ['runc', 'tsrun'] as const) {
    const rt = makeRuntime(name);
    try {
      out[name] = fn(rt);
    } finally {
      rt.cleanup(...ids);
    }
  }
  return out;
}
