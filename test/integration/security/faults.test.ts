// Leaks and lies under faults: a cgroup frozen from outside, a read-only
// --root, a damaged state.json, and the executor's own seals. Each one
// either works or fails saying so, and leaves nothing it can remove.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, constants, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { release } from 'node:os';
import { join } from 'node:path';
import { makeBundle, type Bundle } from '../../helpers/bundle.js';
import { makeRuntime } from '../../helpers/differential.js';
import { rootSkip, tsrunBin } from '../../helpers/tsrun.js';

const V1_FREEZER = '/sys/fs/cgroup/freezer';
const UNIFIED = existsSync('/sys/fs/cgroup/cgroup.controllers') ? '/sys/fs/cgroup' : undefined;

/** Freeze (or thaw) the bundle's cgroup parent, as someone outside tsrun would. */
function freezeParent(b: Bundle, frozen: boolean): void {
  if (existsSync(V1_FREEZER)) {
    const dir = join(V1_FREEZER, b.cgroupParent);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'freezer.state'), frozen ? 'FROZEN' : 'THAWED');
  } else {
    const dir = join(UNIFIED!, b.cgroupParent);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'cgroup.freeze'), frozen ? '1' : '0');
  }
}

/** The container's cgroup directories that exist, in any hierarchy. */
function cgroupDirsLeft(b: Bundle): string[] {
  const roots = UNIFIED ? [UNIFIED] : readdirSync('/sys/fs/cgroup').map((n) => join('/sys/fs/cgroup', n));
  return roots.map((r) => join(r, b.cgroupsPath)).filter((d) => existsSync(d));
}

function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

test('linux.cgroupsPath under a frozen parent: refused before anything joins it; a caller reading the output gets EOF, nothing is left', { skip: rootSkip }, async () => {
  const b = makeBundle({ args: ['true'] });
  const rt = makeRuntime('tsrun');
  try {
    freezeParent(b, true);
    // `tsrun run -d ID | cat`: the caller waits for EOF on the pipe, which a process stuck in the cgroup would hold open
    const child = spawn(tsrunBin, ['--root', rt.root, 'run', '-d', '--bundle', b.dir, 'frozen'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdout.resume();
    const closed = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => resolve(-1), 20_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve(code);
      });
    });
    if (closed === -1) child.kill('SIGKILL');
    assert.equal(closed, 1, `closed its output and exited 1 (stderr: ${err})`);
    assert.match(err, /\/linux\/cgroupsPath: container's cgroup unexpectedly frozen/);
    assert.deepEqual(cgroupDirsLeft(b), [], 'no cgroup directory left in any hierarchy');
    assert.deepEqual(readdirSync(rt.root), []);
  } finally {
    freezeParent(b, false);
    rt.cleanup('frozen');
    b.remove();
  }
});

test('delete --force while a cgroup above the container is frozen: exit 1 and the state kept; after the thaw it deletes everything', { skip: rootSkip, timeout: 60_000 }, () => {
  const b = makeBundle({ args: ['sleep', '300'] });
  const rt = makeRuntime('tsrun');
  try {
    assert.equal(rt.call(['run', '-d', '--bundle', b.dir, 'fz']).code, 0);
    const pid = (JSON.parse(rt.call(['state', 'fz']).stdout) as { pid: number }).pid;
    freezeParent(b, true);
    const del = rt.call(['delete', '--force', 'fz']);
    assert.equal(del.code, 1, del.stderr);
    assert.match(del.stderr, /cannot delete container fz: its processes did not exit after SIGKILL/);
    assert.ok(existsSync(join(rt.root, 'fz', 'state.json')), 'the state is kept for a retry');
    assert.ok(alive(pid), 'the init is still there (frozen)');
    freezeParent(b, false);
    const again = rt.call(['delete', '--force', 'fz']);
    assert.equal(again.code, 0, again.stderr);
    for (let i = 0; i < 100 && alive(pid); i++) spawnSync('sleep', ['0.05']);
    assert.equal(alive(pid), false, 'the init is gone');
    assert.deepEqual(cgroupDirsLeft(b), []);
    assert.deepEqual(readdirSync(rt.root), []);
  } finally {
    freezeParent(b, false);
    rt.cleanup('fz');
    b.remove();
  }
});

test('start with a read-only --root: exec.fifo cannot be removed, so start fails saying so (not exit 0 with `created` forever)', { skip: rootSkip }, () => {
  const b = makeBundle({ args: ['true'] });
  const rt = makeRuntime('tsrun');
  let mounted = false;
  try {
    assert.equal(rt.call(['create', '--bundle', b.dir, 'ro']).code, 0);
    assert.equal(spawnSync('mount', ['--bind', rt.root, rt.root]).status, 0);
    mounted = true;
    assert.equal(spawnSync('mount', ['-o', 'remount,bind,ro', rt.root]).status, 0);
    const start = rt.call(['start', 'ro']);
    assert.equal(start.code, 1, 'start fails');
    assert.match(start.stderr, /exec\.fifo: read-only file system/);
  } finally {
    if (mounted) spawnSync('umount', [rt.root]);
    rt.cleanup('ro');
    b.remove();
  }
});

test('a truncated or garbage state.json: list warns, delete --force still kills the init and removes its cgroup and directory', { skip: rootSkip }, () => {
  const b = makeBundle({ args: ['sleep', '300'] });
  const rt = makeRuntime('tsrun');
  try {
    for (const [id, damage] of [['trunc', ''], ['garbage', '{"id": 7, garbage']] as const) {
      assert.equal(rt.call(['run', '-d', '--bundle', b.dir, id]).code, 0);
      const pid = (JSON.parse(rt.call(['state', id]).stdout) as { pid: number }).pid;
      writeFileSync(join(rt.root, id, 'state.json'), damage);
      const list = rt.call(['list', '-q']);
      assert.equal(list.code, 0);
      assert.match(list.stderr, new RegExp(`skipping ${id}: corrupt container state`), 'list says what it skipped');
      const del = rt.call(['delete', '--force', id]);
      assert.equal(del.code, 0, del.stderr);
      for (let i = 0; i < 100 && alive(pid); i++) spawnSync('sleep', ['0.05']);
      assert.equal(alive(pid), false, `${id}: the init is gone`);
      assert.deepEqual(cgroupDirsLeft(b), [], `${id}: its cgroup is gone`);
      assert.deepEqual(readdirSync(rt.root), [], `${id}: its state dir is gone`);
    }
  } finally {
    rt.cleanup('trunc', 'garbage');
    b.remove();
  }
});

test('the executor runs from a memfd sealed against exec too (F_SEAL_EXEC, with SEAL, SHRINK, GROW, WRITE)', { skip: rootSkip || (Number(release().split('.')[0]) * 100 + Number(release().split('.')[1]) < 603 ? 'F_SEAL_EXEC needs Linux 6.3' : false) }, () => {
  const b = makeBundle({ args: ['true'] });
  const rt = makeRuntime('tsrun');
  try {
    assert.equal(rt.call(['create', '--bundle', b.dir, 'seals']).code, 0);
    const pid = (JSON.parse(rt.call(['state', 'seals']).stdout) as { pid: number }).pid;
    // the created init is still the executor, waiting on the exec fifo
    const koffi = createRequire(import.meta.url)('koffi') as { load(n: string): { func(d: string): (...a: number[]) => number } };
    const fcntl = koffi.load('libc.so.6').func('int fcntl(int fd, int cmd, int arg)');
    const fd = openSync(`/proc/${pid}/exe`, constants.O_RDONLY);
    try {
      const F_GET_SEALS = 1034;
      const seals = fcntl(fd, F_GET_SEALS, 0);
      assert.ok(seals >= 0, 'a memfd');
      for (const [name, bit] of [['SEAL', 1], ['SHRINK', 2], ['GROW', 4], ['WRITE', 8], ['EXEC', 0x20]] as const) assert.ok(seals & bit, `F_SEAL_${name} in ${seals.toString(16)}`);
    } finally {
      closeSync(fd);
    }
  } finally {
    rt.cleanup('seals');
    b.remove();
  }
});
