// `state` and `list` of real containers through their lifecycle, and side by
// side with runc on the same kind of bundle.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBundle } from '../helpers/bundle.js';
import { rootSkip, tempDir, tsrun, tsrunBin, tsrunFiles, type RunResult } from '../helpers/tsrun.js';
import { requires } from '../helpers/requires.js';

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function state(root: string, id: string): { code: number | null; json?: Record<string, unknown>; stderr: string } {
  const r = tsrun(['--root', root, 'state', id]);
  return { code: r.code, json: r.code === 0 ? JSON.parse(r.stdout) : undefined, stderr: r.stderr };
}

function waitFor(cond: () => boolean, ms = 5000): boolean {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    sleepMs(20);
  }
  return cond();
}

test('state/list follow a container: created -> running -> stopped (pid 0) -> gone', { skip: rootSkip }, () => {
  const b = makeBundle({ args: ['sleep', '100'] });
  const root = tempDir();
  const id = `st-${process.pid}`;
  try {
    const created = tsrunFiles(['--root', root.path, 'create', '--bundle', b.dir, id]);
    assert.equal(created.code, 0, created.stderr);

    let s = state(root.path, id);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(s.json!.status, 'created');
    assert.equal(s.json!.id, id);
    assert.equal(s.json!.bundle, b.dir);
    assert.equal(s.json!.rootfs, join(b.dir, 'rootfs'));
    const pid = s.json!.pid as number;
    assert.ok(pid > 0 && existsSync(`/proc/${pid}`), `init ${pid} is alive`);
    assert.match(s.json!.created as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);

    const list = tsrun(['--root', root.path, 'list', '--format', 'json']);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(JSON.parse(list.stdout).map((c: { id: string; status: string }) => [c.id, c.status]), [[id, 'created']]);

    const started = tsrunFiles(['--root', root.path, 'start', id]);
    assert.equal(started.code, 0, started.stderr);
    assert.equal(state(root.path, id).json!.status, 'running');

    const killed = tsrun(['--root', root.path, 'kill', id, 'KILL']);
    assert.equal(killed.code, 0, killed.stderr);
    assert.ok(waitFor(() => state(root.path, id).json?.status === 'stopped'), 'stopped after SIGKILL');
    s = state(root.path, id);
    assert.equal(s.json!.pid, 0, 'runc reports pid 0 once stopped');

    const deleted = tsrun(['--root', root.path, 'delete', id]);
    assert.equal(deleted.code, 0, deleted.stderr);
    s = state(root.path, id);
    assert.equal(s.code, 1);
    assert.match(s.stderr, /container does not exist/);
    assert.equal(tsrun(['--root', root.path, 'list', '--format', 'json']).stdout, 'null\n');
  } finally {
    tsrun(['--root', root.path, 'delete', '--force', id]);
    root.remove();
    b.remove();
  }
});

test('state/list say paused while the freezer holds the container, running again after resume', { skip: requires('root', 'freezer') }, () => {
  const b = makeBundle({ args: ['sleep', '100'] });
  const root = tempDir();
  const id = `ps-${process.pid}`;
  try {
    const ran = tsrunFiles(['--root', root.path, 'run', '--detach', '--bundle', b.dir, id]);
    assert.equal(ran.code, 0, ran.stderr);
    // paused comes from the container's freezer (record.cgroupPaths)
    const paused = tsrun(['--root', root.path, 'pause', id]);
    assert.equal(paused.code, 0, paused.stderr);
    assert.equal(state(root.path, id).json!.status, 'paused');
    const listed = JSON.parse(tsrun(['--root', root.path, 'list', '--format', 'json']).stdout);
    assert.equal(listed[0].status, 'paused');
    const resumed = tsrun(['--root', root.path, 'resume', id]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(state(root.path, id).json!.status, 'running');
    assert.equal(JSON.parse(tsrun(['--root', root.path, 'list', '--format', 'json']).stdout)[0].status, 'running');
  } finally {
    tsrun(['--root', root.path, 'delete', '--force', id]);
    root.remove();
    b.remove();
  }
});

test('two creates of one id at once: one container, the other gets "already exists"', { skip: rootSkip }, async () => {
  const b = makeBundle({ args: ['sleep', '100'] });
  const root = tempDir();
  const id = `dup-${process.pid}`;
  try {
    const { spawn } = await import('node:child_process');
    const one = () =>
      new Promise<RunResult>((resolve) => {
        // stderr to a file and 'exit' (not 'close'): the container keeps our stdio.
        const dir = mkdtempSync(join(tmpdir(), 'tsrun-out-'));
        const err = openSync(join(dir, 'err'), 'w+');
        const p = spawn(tsrunBin, ['--root', root.path, 'create', '--bundle', b.dir, id], { stdio: ['ignore', 'ignore', err] });
        closeSync(err);
        p.on('exit', (code, signal) => {
          const stderr = readFileSync(join(dir, 'err'), 'utf8');
          rmSync(dir, { recursive: true, force: true });
          resolve({ code, signal, stdout: '', stderr });
        });
      });
    const results = await Promise.all([one(), one()]);
    assert.deepEqual(results.map((r) => r.code).sort(), [0, 1], results.map((r) => r.stderr).join(' | '));
    assert.match(results.find((r) => r.code === 1)!.stderr, /container with given ID already exists/);
    assert.equal(state(root.path, id).json?.status, 'created');
  } finally {
    tsrun(['--root', root.path, 'delete', '--force', id]);
    root.remove();
    b.remove();
  }
});

test('state and list print what runc prints for the same running container', { skip: requires('root', { binary: 'runc' }) }, () => {
  const ours = makeBundle({ args: ['sleep', '100'] });
  const theirs = makeBundle({ args: ['sleep', '100'] });
  const root = tempDir();
  const id = `cmp-${process.pid}`;
  const runc = (args: string[]) => spawnSync('runc', ['--root', join(root.path, 'runc'), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 60_000 });
  try {
    const created = tsrunFiles(['--root', join(root.path, 'tsrun'), 'run', '--detach', '--bundle', ours.dir, id]);
    assert.equal(created.code, 0, created.stderr);
    // runc's detached container keeps its stdio too: give it none.
    const r = spawnSync('runc', ['--root', join(root.path, 'runc'), 'run', '--detach', '--bundle', theirs.dir, id], { stdio: 'ignore', timeout: 60_000 });
    assert.equal(r.status, 0, 'runc run --detach');

    const a = state(join(root.path, 'tsrun'), id).json!;
    const c = JSON.parse(runc(['state', id]).stdout);
    assert.deepEqual(Object.keys(a), Object.keys(c), 'same fields in the same order');
    assert.equal(a.status, c.status);
    assert.equal(a.owner, c.owner);

    const ourList = tsrun(['--root', join(root.path, 'tsrun'), 'list']).stdout.split('\n')[0];
    const theirList = runc(['list']).stdout.split('\n')[0];
    // Column widths depend on the bundle paths, which differ in length only by chance.
    assert.deepEqual(ourList!.split(/\s+/), theirList!.split(/\s+/));
  } finally {
    tsrun(['--root', join(root.path, 'tsrun'), 'delete', '--force', id]);
    runc(['delete', '--force', id]);
    root.remove();
    ours.remove();
    theirs.remove();
  }
});
