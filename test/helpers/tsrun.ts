// Run the built tsrun binary as a caller would, and collect what it printed.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const repoRoot = process.env.TSRUN_ROOT_DIR ?? join(import.meta.dirname ?? '.', '..', '..', '..');
export const tsrunBin = join(repoRoot, 'bin', 'tsrun');

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function tsrun(args: string[], opts: SpawnSyncOptions = {}): RunResult {
  const res = spawnSync(tsrunBin, args, { encoding: 'utf8', timeout: 60_000, ...opts });
  return {
    code: res.status,
    signal: res.signal,
    stdout: String(res.stdout ?? ''),
    stderr: String(res.stderr ?? ''),
  };
}

/**
 * tsrun with stdout/stderr going to files, not pipes: a created container's
 * init keeps the caller's stdio (pass-through, as runc does), so a pipe would
 * stay open, and spawnSync or a 'close' event would wait for the container.
 */
export function tsrunFiles(args: string[], opts: SpawnSyncOptions = {}): RunResult {
  const dir = mkdtempSync(join(tmpdir(), 'tsrun-out-'));
  const out = openSync(join(dir, 'out'), 'w+');
  const err = openSync(join(dir, 'err'), 'w+');
  try {
    const r = spawnSync(tsrunBin, args, { timeout: 60_000, ...opts, stdio: ['ignore', out, err] });
    return { code: r.status, signal: r.signal, stdout: readFileSync(join(dir, 'out'), 'utf8'), stderr: readFileSync(join(dir, 'err'), 'utf8') };
  } finally {
    closeSync(out);
    closeSync(err);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A temporary directory removed by the returned function (call it in `after`/`finally`). */
export function tempDir(prefix = 'tsrun-test-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export const isRoot = process.getuid?.() === 0;
export const rootSkip = isRoot ? false : 'needs root: runs real containers';
