// Run the built tsrun binary as a caller would, and collect what it printed.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
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

/** A temporary directory removed by the returned function (call it in `after`/`finally`). */
export function tempDir(prefix = 'tsrun-test-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export const isRoot = process.getuid?.() === 0;
export const rootSkip = isRoot ? false : 'needs root: runs real containers';
