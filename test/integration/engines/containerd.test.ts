// containerd 1.6's runc v2 shim drives tsrun unchanged: `ctr run --runtime
// io.containerd.runc.v2 --runc-binary bin/tsrun`. containerd runs privately
// (root, state, sockets, opt dir in a temp dir, CRI off) and is stopped by pid.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isRoot, tsrunBin } from '../../helpers/tsrun.js';
import {
  cgroupsUnder, hostMemoryLimitFile, filesNamed, findBinary, IMAGE_REF, keepRunContainerdClean, makeEngineEnv, mountsUnder, processesMentioning,
  startContainerd,
  waitFor, type EngineEnv,
} from './engine-env.js';

const containerd = findBinary('containerd');
const ctrBin = findBinary('ctr');
const shim = findBinary('containerd-shim-runc-v2');
const skip = !isRoot
  ? 'needs root: runs real containers'
  : !containerd || !ctrBin || !shim
    ? 'containerd, ctr or containerd-shim-runc-v2 not installed (apt-get install containerd)'
    : !existsSync('/bin/busybox')
      ? 'needs /bin/busybox (apt-get install busybox-static)'
      : false;

const NS = 'tsrun-test';

describe('containerd runc v2 shim with tsrun as the runc binary', { skip }, () => {
  let env: EngineEnv | undefined;
  let sock = '';
  let runcRoot = '';
  const cleanRunContainerd = keepRunContainerdClean();

  const ctr = (args: string[], timeoutMs?: number) => env!.run(ctrBin!, ['--address', sock, '-n', NS, ...args], { timeoutMs });
  const runArgs = (id: string) => [
    '--runtime', 'io.containerd.runc.v2', '--runc-binary', tsrunBin, '--runc-root', runcRoot,
    '--fifo-dir', join(env!.dir, 'fifo'), '--cgroup', `${env!.cgroupParent}/${id}`,
  ];
  const cleanupContainer = (id: string) => {
    ctr(['task', 'kill', '-s', 'SIGKILL', id]);
    ctr(['task', 'delete', '--force', id]);
    ctr(['container', 'rm', id]);
  };

  before(async () => {
    env = await makeEngineEnv('ctrd');
    runcRoot = join(env.dir, 'runc-root');
    sock = startContainerd(env, containerd!, ctrBin!);
    const imp = ctr(['images', 'import', env.imageTar]);
    assert.equal(imp.code, 0, imp.stderr);
    assert.match(ctr(['images', 'ls', '-q']).stdout, new RegExp(IMAGE_REF.replace(/[.]/g, '\\.')));
  });

  after(async () => {
    await env?.cleanup();
    cleanRunContainerd();
  });

  test('run: the output and the exit code come back', () => {
    const r = ctr(['run', '--rm', ...runArgs('c-run'), IMAGE_REF, 'c-run', 'sh', '-c', 'echo hello from tsrun; exit 3']);
    try {
      assert.equal(r.code, 3, r.stderr);
      assert.equal(r.stdout, 'hello from tsrun\n');
    } finally {
      if (r.code === null) cleanupContainer('c-run');
    }
  });

  test('run -t: a terminal through the console socket, the exit code back', () => {
    const r = env!.runTty(ctrBin!, [
      '--address', sock, '-n', NS, 'run', '--rm', '-t', ...runArgs('c-tty'), IMAGE_REF, 'c-tty', 'sh', '-c', 'tty; exit 4',
    ]);
    try {
      assert.equal(r.code, 4, r.stderr + r.stdout);
      assert.match(r.stdout, /\/dev\/pts\/\d+/);
    } finally {
      if (r.code === null) cleanupContainer('c-tty');
    }
  });

  test('exec (plain and -t), ps, pause/resume, memory limit, kill: signal reaches the payload; then nothing left', () => {
    const id = 'c-long';
    const logFile = join(env!.dir, `${id}.log`);
    try {
      const r = ctr([
        'run', '-d', ...runArgs(id), '--memory-limit', String(64 * 1024 * 1024), '--log-uri', `file://${logFile}`,
        IMAGE_REF, id, 'sh', '-c', 'trap "echo got TERM; exit 7" TERM; echo ready; while true; do sleep 0.1; done',
      ]);
      assert.equal(r.code, 0, r.stderr);
      waitFor('the payload to start', () => existsSync(logFile) && readFileSync(logFile, 'utf8').includes('ready'), 20_000);
      assert.equal(filesNamed(join(runcRoot, NS), 'state.json').length, 1, 'tsrun state of the running container under --runc-root');

      const ex = ctr(['task', 'exec', '--fifo-dir', join(env!.dir, 'fifo'), '--exec-id', 'e1', id, 'sh', '-c', 'echo in-exec $$; exit 5']);
      assert.equal(ex.code, 5, ex.stderr);
      assert.match(ex.stdout, /^in-exec \d+\n$/);

      const ext = env!.runTty(ctrBin!, [
        '--address', sock, '-n', NS, 'task', 'exec', '-t', '--fifo-dir', join(env!.dir, 'fifo'), '--exec-id', 'e2', id,
        'sh', '-c', 'tty; exit 6',
      ]);
      assert.equal(ext.code, 6, ext.stderr + ext.stdout);
      assert.match(ext.stdout, /\/dev\/pts\/\d+/);

      // `ctr task ps` is the runtime's `ps --format json`: the init's host pid is listed.
      const ps = ctr(['task', 'ps', id]);
      assert.equal(ps.code, 0, ps.stderr);
      const initPid = ctr(['task', 'ls']).stdout.split('\n').find((l) => l.startsWith(`${id} `))?.split(/\s+/)[1];
      assert.ok(initPid && new RegExp(`^${initPid}\\s`, 'm').test(ps.stdout), ps.stdout);

      assert.equal(ctr(['task', 'pause', id]).code, 0);
      assert.match(ctr(['task', 'ls']).stdout, new RegExp(`^${id}\\s+\\d+\\s+PAUSED`, 'm'));
      assert.equal(ctr(['task', 'resume', id]).code, 0);
      assert.match(ctr(['task', 'ls']).stdout, new RegExp(`^${id}\\s+\\d+\\s+RUNNING`, 'm'));

      // ctr's default spec has no /sys/fs/cgroup mount (runc shows the same): read the host's file.
      const limit = readFileSync(hostMemoryLimitFile(`${env!.cgroupParent}/${id}`), 'utf8');
      assert.equal(limit.trim(), String(64 * 1024 * 1024));

      const k = ctr(['task', 'kill', '-s', 'SIGTERM', id]);
      assert.equal(k.code, 0, k.stderr);
      waitFor('the task to stop', () => /\bSTOPPED\b/.test(ctr(['task', 'ls']).stdout), 20_000);
      assert.match(readFileSync(logFile, 'utf8'), /got TERM/);
      const del = ctr(['task', 'delete', id]);
      assert.equal(del.code, 0, del.stderr);
      assert.match(del.stderr, /exit code 7/);
      assert.equal(ctr(['container', 'rm', id]).code, 0);
    } finally {
      cleanupContainer(id);
    }
    assert.equal(ctr(['container', 'ls', '-q']).stdout, '');
    assert.deepEqual(filesNamed(runcRoot, 'state.json'), [], 'no tsrun state left under the shim runtime root');
    assert.deepEqual(cgroupsUnder(env!.cgroupParent), [], 'no cgroup left under our parent');
  });

  test('a nonexistent command: create fails with the runtime error text', () => {
    const r = ctr(['run', '--rm', ...runArgs('c-bad'), IMAGE_REF, 'c-bad', '/nonexistent']);
    try {
      assert.equal(r.code, 1);
      assert.match(r.stderr, /OCI runtime create failed/);
      assert.match(r.stderr, /no such file or directory/);
    } finally {
      cleanupContainer('c-bad');
    }
  });

  test('afterwards: no container, no state, no cgroup under our parent, no mount in the temp dir', () => {
    assert.equal(ctr(['container', 'ls', '-q']).stdout, '');
    assert.equal(ctr(['task', 'ls', '-q']).stdout, '');
    assert.deepEqual(filesNamed(runcRoot, 'state.json'), []);
    assert.deepEqual(cgroupsUnder(env!.cgroupParent), []);
    assert.deepEqual(mountsUnder(env!.dir), []);
  });

  test('containerd stopped by pid: no shim or container process left, no mount in the temp dir', async () => {
    await env!.stopDaemons();
    waitFor('shims to exit', () => processesMentioning(env!.dir).length === 0, 10_000);
    assert.deepEqual(mountsUnder(env!.dir), []);
    assert.deepEqual(cgroupsUnder(env!.cgroupParent), []);
  });
});
