// bin/tsrun starts the executor ahead of Node for create/run/exec and hands
// Node the sync socket (native/launcher.c). What the container sees must not
// change with it: only stdio and the preserved fds, whatever else the caller
// left open; and Node run on dist/ directly (no launcher) still works.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle } from '../../helpers/bundle.js';
import { repoRoot, rootSkip, tempDir, tsrunBin } from '../../helpers/tsrun.js';
import { makeRoot } from './helpers.js';

/** The fds of the container's init (pid 1, a shell waiting for this `ls`: no pipe, so no fds of its own). */
const listInitFds = 'ls /proc/1/fd';
const words = (file: string) => readFileSync(file, 'utf8').trim().split(/\s+/).join(' ');

test('launcher: fds the caller leaves open (5, 7) stay out of the container; --preserve-fds passes only open fds of its range, never the executor\'s socket', { skip: rootSkip }, () => {
  const r = makeRoot();
  const io = tempDir('tsrun-launcher-');
  const b = makeBundle({ args: ['sh', '-c', `${listInitFds}; echo to3 >&3 2>/dev/null || echo no3`] });
  try {
    const out = join(io.path, 'out');
    const f3 = join(io.path, 'fd3');
    // fds 3, 5 and 7 are open in the caller; only --preserve-fds decides what reaches the container
    const cmd = (preserve: string) =>
      `exec "$0" --root "$1" run ${preserve} --bundle "$2" "$3" >"$4" 3>"$5" 5</dev/null 7</dev/null`;
    let res = spawnSync('sh', ['-c', cmd(''), tsrunBin, r.path, b.dir, 'l1', out, f3], { stdio: 'ignore', timeout: 30_000 });
    assert.equal(res.status, 0);
    assert.equal(words(out), '0 1 2 no3');

    res = spawnSync('sh', ['-c', cmd('--preserve-fds 1'), tsrunBin, r.path, b.dir, 'l2', out, f3], { stdio: 'ignore', timeout: 30_000 });
    assert.equal(res.status, 0);
    assert.equal(words(out), '0 1 2 3');
    assert.equal(readFileSync(f3, 'utf8'), 'to3\n');

    // fds 4 and 5 are not open in the caller: refused (as runc does), not
    // filled with the executor's own fds (the launcher's socketpair lands there)
    const err = join(io.path, 'err');
    res = spawnSync('sh', ['-c', `${cmd('--preserve-fds 3').replace(' 5</dev/null 7</dev/null', '')} 2>"$6"`, tsrunBin, r.path, b.dir, 'l3', out, f3, err], { stdio: 'ignore', timeout: 30_000 });
    assert.equal(res.status, 1);
    assert.match(readFileSync(err, 'utf8'), /fd 4 is not open: the container was to get fds 3\.\.5 \(LISTEN_FDS \+ --preserve-fds\)/);
  } finally {
    r.cleanup('l1', 'l2', 'l3');
    b.remove();
    io.remove();
  }
});

test('launcher: create through bin/tsrun leaves a code cache of dist/tsrun.cjs in the cache directory, and the next create loads it without writing it again', { skip: rootSkip }, () => {
  const r = makeRoot();
  const cache = tempDir('tsrun-launcher-cache-');
  const b = makeBundle({ args: ['sh', '-c', 'sleep 30'] });
  const env = { ...process.env, TSRUN_CACHE_DIR: cache.path };
  const create = (id: string) => spawnSync(tsrunBin, ['--root', r.path, 'create', '--bundle', b.dir, id], { env, stdio: 'ignore', timeout: 30_000 });
  try {
    assert.equal(create('c1').status, 0);
    const own = join(cache.path, 'code@tsrun.cjs');
    const first = statSync(own);
    assert.equal(first.mode & 0o777, 0o600);
    assert.ok(first.size > 1000, 'a V8 cache, not an empty file');
    assert.equal(create('c2').status, 0);
    assert.equal(r.state('c2')?.status, 'created');
    // rewritten only when it was missing or V8 rejected it
    assert.equal(statSync(own).mtimeMs, first.mtimeMs, 'the cache left by the first create was used');
  } finally {
    r.cleanup('c1', 'c2');
    b.remove();
    cache.remove();
  }
});

test('launcher: node on dist/tsrun.cjs without bin/tsrun spawns the executor itself (create, start, exec, run)', { skip: rootSkip }, () => {
  const r = makeRoot();
  const b = makeBundle({ args: ['sh', '-c', 'sleep 30'] });
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  delete env.NODE_EXTRA_CA_CERTS;
  // create's stdio stays with the container: not a pipe this test would wait on
  const node = (args: string[], stdio: 'pipe' | 'ignore' = 'pipe') =>
    spawnSync(process.execPath, ['--no-warnings', join(repoRoot, 'dist', 'tsrun.cjs'), '--root', r.path, ...args], { encoding: 'utf8', env, timeout: 30_000, stdio: ['ignore', stdio, stdio] });
  try {
    let res = node(['create', '--bundle', b.dir, 'n1'], 'ignore');
    assert.equal(res.status, 0);
    assert.equal(r.state('n1')?.status, 'created');
    res = node(['start', 'n1']);
    assert.equal(res.status, 0, res.stderr);
    res = node(['exec', 'n1', 'sh', '-c', 'echo in-$((6*7)); exit 3']);
    assert.equal(res.status, 3, res.stderr);
    assert.equal(res.stdout, 'in-42\n');
    const run = makeBundle({ args: ['sh', '-c', 'exit 5'] });
    try {
      res = node(['run', '--bundle', run.dir, 'n2']);
      assert.equal(res.status, 5, res.stderr);
    } finally {
      run.remove();
    }
  } finally {
    r.cleanup('n1', 'n2');
    b.remove();
  }
});
