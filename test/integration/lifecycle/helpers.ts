// Shared by the lifecycle, isolation and hooks integration tests: a --root of
// the test's own, tsrun calls against it, and waiting for a status.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir, tsrunBin, type RunResult } from '../../helpers/tsrun.js';

/**
 * tsrun with stdout/stderr going to files, not pipes: a container's init
 * inherits them, and spawnSync would wait for the pipes to close until the
 * container exits (exactly what a caller of runc sees too).
 */
export function tsrunFiles(args: string[], dir: string, opts: SpawnSyncOptions = {}): RunResult {
  const out = join(dir, `.out-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const err = `${out}.err`;
  const fo = openSync(out, 'w+');
  const fe = openSync(err, 'w+');
  try {
    const res = spawnSync(tsrunBin, args, { timeout: 60_000, ...opts, stdio: ['ignore', fo, fe] });
    return { code: res.status, signal: res.signal, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') };
  } finally {
    closeSync(fo);
    closeSync(fe);
    spawnSync('rm', ['-f', out, err]);
  }
}

export interface Root {
  path: string;
  ts(args: string[], opts?: SpawnSyncOptions): RunResult;
  state(id: string): { status: string; pid: number } | null;
  waitStatus(id: string, status: string, ms?: number): boolean;
  /** delete --force every id given, then remove the root dir. */
  cleanup(...ids: string[]): void;
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export function makeRoot(): Root {
  const dir = tempDir('tsrun-root-');
  const io = tempDir('tsrun-io-');
  const ts = (args: string[], opts?: SpawnSyncOptions) => tsrunFiles(['--root', dir.path, ...args], io.path, opts);
  const state = (id: string) => {
    const r = ts(['state', id]);
    return r.code === 0 ? (JSON.parse(r.stdout) as { status: string; pid: number }) : null;
  };
  return {
    path: dir.path,
    ts,
    state,
    waitStatus: (id, status, ms = 5000) => waitUntil(() => state(id)?.status === status, ms),
    cleanup(...ids) {
      for (const id of ids) ts(['delete', '--force', id]);
      dir.remove();
      io.remove();
    },
  };
}

/** What is left of containers under a --root: not the caches (an '@' in the name: code@..., seccomp@...) nor temp files. */
export function stateEntries(root: string): string[] {
  return readdirSync(root).filter((f) => !f.startsWith('.') && !f.includes('@'));
}

export function processExists(pid: number): boolean {
  try {
    readFileSync(`/proc/${pid}/stat`);
    return true;
  } catch {
    return false;
  }
}

/** Host mounts whose mount point lies under `prefix` (other tests on the machine add their own). */
export function mountsUnder(prefix: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' ')[4]!)
    .filter((m) => m === prefix || m.startsWith(prefix + '/'));
}

/** Poll `cond` every 20 ms until it holds (true) or `ms` pass (false). */
export function waitUntil(cond: () => boolean, ms = 5000): boolean {
  const end = Date.now() + ms;
  for (;;) {
    if (cond()) return true;
    if (Date.now() > end) return false;
    sleep(20);
  }
}

export { sleep };
