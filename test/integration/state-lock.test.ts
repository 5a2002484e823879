// The per-container lock under real commands: concurrent `start`s of one
// container start it once; concurrent `delete --force`es all succeed and
// leave nothing behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBundle } from '../helpers/bundle.js';
import { rootSkip, tempDir, tsrun, tsrunBin, type RunResult } from '../helpers/tsrun.js';

/** Start tsrun with stdout/stderr in files (a container keeps our stdio); resolves on exit. */
function launch(args: string[]): Promise<RunResult> {
  const dir = mkdtempSync(join(tmpdir(), 'tsrun-out-'));
  const out = openSync(join(dir, 'out'), 'w+');
  const err = openSync(join(dir, 'err'), 'w+');
  const p = spawn(tsrunBin, args, { stdio: ['ignore', out, err] });
  closeSync(out);
  closeSync(err);
  return new Promise((resolve, reject) => {
    p.on('error', reject);
    p.on('exit', (code, signal) => {
      const res = { code, signal, stdout: readFileSync(join(dir, 'out'), 'utf8'), stderr: readFileSync(join(dir, 'err'), 'utf8') };
      rmSync(dir, { recursive: true, force: true });
      resolve(res);
    });
  });
}

test('4 concurrent starts of one created container: exactly one starts it', { skip: rootSkip }, async () => {
  // The payload counts its starts in a file of the bundle's rootfs.
  const b = makeBundle({ args: ['sh', '-c', 'echo started >> /tmp/starts; sleep 100'], patch: (s) => void (s.root!.readonly = false) });
  const root = tempDir();
  const id = `lock-${process.pid}`;
  try {
    const created = await launch(['--root', root.path, 'create', '--bundle', b.dir, id]);
    assert.equal(created.code, 0, created.stderr);
    const starts = await Promise.all([1, 2, 3, 4].map(() => launch(['--root', root.path, 'start', id])));
    assert.equal(starts.filter((r) => r.code === 0).length, 1, starts.map((r) => `${r.code}: ${r.stderr.trim()}`).join(' | '));
    for (const r of starts.filter((x) => x.code !== 0)) assert.equal(r.code, 1);
    const state = JSON.parse(tsrun(['--root', root.path, 'state', id]).stdout);
    assert.equal(state.status, 'running');
    const file = join(b.dir, 'rootfs', 'tmp', 'starts');
    // every start has returned, so whatever the fifo let through has run: wait for its line
    const end = Date.now() + 5000;
    while (!(existsSync(file) && readFileSync(file, 'utf8').endsWith('\n')) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    assert.equal(readFileSync(file, 'utf8'), 'started\n', 'the payload ran once');
  } finally {
    tsrun(['--root', root.path, 'delete', '--force', id]);
    root.remove();
    b.remove();
  }
});

test('3 concurrent delete --force of a running container all succeed and leave nothing', { skip: rootSkip }, async () => {
  const b = makeBundle({ args: ['sleep', '100'] });
  const root = tempDir();
  const id = `lockdel-${process.pid}`;
  try {
    const created = await launch(['--root', root.path, 'run', '--detach', '--bundle', b.dir, id]);
    assert.equal(created.code, 0, created.stderr);
    const pid = JSON.parse(tsrun(['--root', root.path, 'state', id]).stdout).pid as number;
    assert.ok(pid > 0);
    const dels = await Promise.all([1, 2, 3].map(() => launch(['--root', root.path, 'delete', '--force', id])));
    assert.deepEqual(dels.map((r) => r.code), [0, 0, 0], dels.map((r) => r.stderr.trim()).join(' | '));
    assert.equal(existsSync(join(root.path, id)), false, 'state dir removed');
    const gone = tsrun(['--root', root.path, 'state', id]);
    assert.equal(gone.code, 1);
    assert.match(gone.stderr, /container does not exist/);
    // The init is gone (or a zombie waiting for its reaper), never still running.
    let stat = '';
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      /* gone */
    }
    assert.ok(stat === '' || / [ZX] /.test(stat.slice(stat.lastIndexOf(')'))), `init ${pid}: ${stat}`);
  } finally {
    tsrun(['--root', root.path, 'delete', '--force', id]);
    root.remove();
    b.remove();
  }
});
