// The state machine of runtime.md with runc's texts, run's exit codes, and
// that create/start/kill/delete leave nothing behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle, type Bundle } from '../../helpers/bundle.js';
import { cgroupDirsOf } from '../../helpers/cgroup-dirs.mjs';
import { rootSkip, tsrunBin } from '../../helpers/tsrun.js';
import { makeRoot, mountsUnder, processExists, stateEntries, waitUntil, type Root } from './helpers.js';

/** The process has exited (gone, or a zombie waiting for its reaper). */
function gone(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z');
  } catch {
    return true;
  }
}

test('state machine: create -> created -> start -> running -> kill -> stopped -> delete, and every refused transition', { skip: rootSkip }, () => {
  const b = makeBundle({ args: ['sleep', '1000'] });
  const r = makeRoot();
  try {
    let res = r.ts(['create', '--bundle', b.dir, '--pid-file', join(b.dir, 'init.pid'), 'c']);
    assert.equal(res.code, 0, res.stderr);
    const st = r.state('c')!;
    assert.equal(st.status, 'created');
    assert.equal(readFileSync(join(b.dir, 'init.pid'), 'utf8'), String(st.pid), 'pid file: decimal, no newline');
    assert.ok(processExists(st.pid));
    assert.ok(existsSync(join(r.path, 'c', 'exec.fifo')));

    res = r.ts(['create', '--bundle', b.dir, 'c']);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /container with given ID already exists/);

    assert.equal(r.ts(['start', 'c']).code, 0);
    assert.equal(r.state('c')!.status, 'running');
    assert.notDeepEqual(cgroupDirsOf(b.cgroupsPath), [], 'the container has its cgroup');
    res = r.ts(['start', 'c']);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /cannot start an already running container/);
    res = r.ts(['delete', 'c']);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /cannot delete container c that is not stopped: running/);

    assert.equal(r.ts(['kill', 'c', 'KILL']).code, 0);
    assert.ok(r.waitStatus('c', 'stopped'), 'stopped after SIGKILL');
    assert.equal(r.state('c')!.pid, 0);
    res = r.ts(['kill', 'c', 'KILL']);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /container not running/);
    assert.equal(r.ts(['kill', '--all', 'c', 'KILL']).code, 0, 'kill --all of a stopped container succeeds');
    res = r.ts(['start', 'c']);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /cannot start a container that has stopped/);

    assert.equal(r.ts(['delete', 'c']).code, 0);
    res = r.ts(['state', 'c']);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /does not exist/);
    assert.equal(r.ts(['delete', '--force', 'c']).code, 0, 'delete --force of an unknown id');
    assert.deepEqual(cgroupDirsOf(b.cgroupsPath), [], 'cgroup removed from every hierarchy');
  } finally {
    r.cleanup('c');
    b.remove();
  }
});

/**
 * `tsrun run` in the background with the payload's stdout piped back: its
 * exit code, and a promise for a line the payload prints (it says "ready"
 * once its traps are set).
 */
function runInBackground(r: Root, b: Bundle, id: string): { child: ChildProcess; exited: Promise<number | null>; printed: (text: string) => Promise<void> } {
  const child = spawn(tsrunBin, ['--root', r.path, 'run', '--bundle', b.dir, id], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  const waiting: Array<() => void> = [];
  child.stdout!.on('data', (d) => {
    out += String(d);
    waiting.splice(0).forEach((f) => f());
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  const printed = (text: string) =>
    new Promise<void>((resolve, reject) => {
      const check = () => (out.includes(text) ? resolve() : waiting.push(check));
      void exited.then(() => reject(new Error(`exited before printing ${text}: ${out}`)));
      check();
    });
  return { child, exited, printed };
}

test('kill: signal names with and without SIG, numbers, and TERM by default, each reaching the payload\'s trap', { skip: rootSkip, timeout: 60_000 }, async () => {
  // the exit code says which signal the payload got: 3 for TERM, 4 for USR1 (KILL would be 137)
  const b = makeBundle({ args: ['sh', '-c', 'trap "exit 3" TERM; trap "exit 4" USR1; echo ready; while true; do sleep 0.05; done'] });
  const r = makeRoot();
  try {
    for (const [sig, code] of [['SIGUSR1', 4], ['usr1', 4], ['10', 4], ['TERM', 3], ['SIGTERM', 3], ['15', 3], [undefined, 3]] as const) {
      const run = runInBackground(r, b, 'k');
      await run.printed('ready');
      const res = r.ts(sig ? ['kill', 'k', sig] : ['kill', 'k']);
      assert.equal(res.code, 0, res.stderr);
      assert.equal(await run.exited, code, `signal ${sig ?? 'default'}`);
    }
    assert.match(r.ts(['kill', 'k', 'NOSUCH']).stderr, /does not exist|unknown signal/);
  } finally {
    r.cleanup('k');
    b.remove();
  }
});

test('delete of a created container kills the init; delete --force of a running one', { skip: rootSkip }, () => {
  const b = makeBundle({ args: ['sleep', '1000'] });
  const r = makeRoot();
  try {
    assert.equal(r.ts(['create', '--bundle', b.dir, 'd1']).code, 0);
    const pid = r.state('d1')!.pid;
    assert.equal(r.ts(['delete', 'd1']).code, 0);
    assert.ok(waitUntil(() => gone(pid)), 'init gone');
    assert.equal(r.ts(['run', '-d', '--bundle', b.dir, 'd2']).code, 0);
    const pid2 = r.state('d2')!.pid;
    assert.equal(r.ts(['delete', '--force', 'd2']).code, 0);
    assert.equal(r.state('d2'), null);
    assert.ok(waitUntil(() => gone(pid2)), 'init gone');
  } finally {
    r.cleanup('d1', 'd2');
    b.remove();
  }
});

test('run: exit codes 0, 1, 3 are the payload\'s; output reaches the caller\'s stdio; the container is deleted', { skip: rootSkip }, () => {
  const r = makeRoot();
  try {
    for (const code of [0, 1, 3]) {
      const b = makeBundle({ args: ['sh', '-c', `echo out-${code}; echo err-${code} >&2; exit ${code}`] });
      try {
        const res = r.ts(['run', '--bundle', b.dir, `r${code}`]);
        assert.equal(res.code, code, res.stderr);
        assert.equal(res.stdout, `out-${code}\n`);
        assert.equal(res.stderr, `err-${code}\n`);
        assert.equal(r.state(`r${code}`), null, 'deleted after run');
      } finally {
        b.remove();
      }
    }
  } finally {
    r.cleanup('r0', 'r1', 'r3');
  }
});

test('run: 137 when the payload is killed with SIGKILL; --keep keeps the stopped container', { skip: rootSkip }, async () => {
  const b = makeBundle({ args: ['sleep', '1000'] });
  const r = makeRoot();
  try {
    const child = spawn(tsrunBin, ['--root', r.path, 'run', '--keep', '--bundle', b.dir, 'k9'], { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    assert.ok(r.waitStatus('k9', 'running'));
    assert.equal(r.ts(['kill', 'k9', '9']).code, 0);
    assert.equal(await exited, 137);
    assert.equal(r.state('k9')?.status, 'stopped');
    assert.equal(r.ts(['delete', 'k9']).code, 0);
  } finally {
    r.cleanup('k9');
    b.remove();
  }
});

test('run: signals sent to tsrun are forwarded to the payload', { skip: rootSkip }, async () => {
  const b = makeBundle({ args: ['sh', '-c', 'trap "exit 7" TERM; echo ready; while true; do sleep 0.05; done'] });
  const r = makeRoot();
  try {
    const run = runInBackground(r, b, 'fw');
    await run.printed('ready');
    run.child.kill('SIGTERM');
    assert.equal(await run.exited, 7);
  } finally {
    r.cleanup('fw');
    b.remove();
  }
});

test('create: a missing executable fails at create time with runc\'s words, and leaves nothing behind (no pid file either)', { skip: rootSkip }, () => {
  const b = makeBundle({ args: ['no-such-binary'] });
  const r = makeRoot();
  try {
    // the pid file is written while the init sets itself up: a failed setup takes it back
    const pidFile = join(b.dir, 'init.pid');
    const res = r.ts(['create', '--bundle', b.dir, '--pid-file', pidFile, 'nx']);
    assert.equal(existsSync(pidFile), false);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /exec: \\?"no-such-binary\\?": executable file not found in \$PATH/);
    assert.match(res.stderr, /\/process\/args\/0/);
    assert.equal(res.stderr.trim().split('\n').length, 1, 'exactly one error line');
    assert.equal(r.state('nx'), null);
    assert.deepEqual(stateEntries(r.path), []);
    assert.deepEqual(cgroupDirsOf(b.cgroupsPath), [], 'no cgroup left in any hierarchy');
    const abs = makeBundle({ args: ['/bin/nope'], cgroupParent: b.cgroupParent, name: 'x2' });
    try {
      assert.match(r.ts(['create', '--bundle', abs.dir, 'nx2']).stderr, /exec: \\?"\/bin\/nope\\?": stat \/bin\/nope: no such file or directory/);
    } finally {
      abs.remove();
    }
  } finally {
    r.cleanup('nx', 'nx2');
    b.remove();
  }
});

test('create: a failing mount names its config field (/mounts/N) and cleans up', { skip: rootSkip }, () => {
  const b = makeBundle({
    args: ['true'],
    patch: (s) => s.mounts!.push({ destination: '/data', type: 'bind', source: '/nonexistent-tsrun-src', options: ['rbind'] }),
  });
  const r = makeRoot();
  try {
    const n = b.config.mounts!.length - 1;
    const res = r.ts(['--log', join(b.dir, 'log.json'), '--log-format', 'json', 'create', '--bundle', b.dir, 'm']);
    assert.equal(res.code, 1);
    assert.match(res.stderr, new RegExp(`/mounts/${n}: .*no such file or directory`));
    const records = readFileSync(join(b.dir, 'log.json'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { level: string });
    assert.equal(records.filter((x) => x.level === 'error').length, 1, 'exactly one error record');
    assert.equal(r.state('m'), null);
  } finally {
    r.cleanup('m');
    b.remove();
  }
});

test('100 create/start/kill/delete cycles leave no state dir, process, mount or cgroup behind', { skip: rootSkip, timeout: 300_000 }, () => {
  const b = makeBundle({ args: ['sleep', '1000'] });
  const r = makeRoot();
  const pids: number[] = [];
  try {
    for (let i = 0; i < 100; i++) {
      const id = `cy${i}`;
      let res = r.ts(['create', '--bundle', b.dir, id]);
      assert.equal(res.code, 0, `create ${i}: ${res.stderr}`);
      pids.push(r.state(id)!.pid);
      if (i === 0) assert.notDeepEqual(cgroupDirsOf(b.cgroupsPath), [], 'a created container has its cgroup');
      assert.equal(r.ts(['start', id]).code, 0);
      assert.equal(r.ts(['kill', id, 'KILL']).code, 0);
      assert.ok(r.waitStatus(id, 'stopped'));
      res = r.ts(['delete', id]);
      assert.equal(res.code, 0, `delete ${i}: ${res.stderr}`);
    }
    assert.deepEqual(stateEntries(r.path), [], 'no state dirs');
    assert.ok(waitUntil(() => pids.every(gone)), `no processes: ${pids.filter((p) => !gone(p)).join(' ')}`);
    assert.deepEqual([...mountsUnder(b.dir), ...mountsUnder(r.path)], [], 'no mounts left in the host namespace');
    for (const parent of cgroupDirsOf(`/${b.cgroupParent}`)) {
      assert.deepEqual(readdirSync(parent, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name), [], `no cgroup under ${parent}`);
    }
  } finally {
    for (let i = 0; i < 100; i++) r.ts(['delete', '--force', `cy${i}`]);
    r.cleanup();
    b.remove();
  }
});
