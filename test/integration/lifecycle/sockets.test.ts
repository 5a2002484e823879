// --pidfd-socket, --no-pivot, kill --all, exec --tty with a console socket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle } from '../../helpers/bundle.js';
import { rootSkip, tempDir } from '../../helpers/tsrun.js';
import { requires } from '../../helpers/requires.js';
import { makeRoot, processExists, waitUntil, type Root } from './helpers.js';
import { startConsoleReceiver } from './console.js';

test('--pidfd-socket receives a pidfd of the init', { skip: rootSkip, timeout: 30_000 }, async () => {
  const r = makeRoot();
  const dir = tempDir('tsrun-pidfd-');
  const b = makeBundle({ args: ['sleep', '1000'] });
  const sock = join(dir.path, 'pidfd.sock');
  writeFileSync(join(dir.path, 'recv.py'), [
    'import os, socket, sys',
    's = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.bind(sys.argv[1]); s.listen(1)',
    'print("ready", flush=True)',
    'c, _ = s.accept()',
    'msg, fds, flags, addr = socket.recv_fds(c, 4096, 4)',
    'print(os.readlink("/proc/self/fd/%d" % fds[0]), flush=True)',
    'print([l for l in open("/proc/self/fdinfo/%d" % fds[0]) if l.startswith("Pid:")][0].strip(), flush=True)',
  ].join('\n'));
  const p = spawn('python3', [join(dir.path, 'recv.py'), sock], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((res) => p.on('close', () => res()));
  try {
    for (let i = 0; i < 500 && !out.includes('ready'); i++) await new Promise((res) => setTimeout(res, 10));
    const res = r.ts(['create', '--pidfd-socket', sock, '--bundle', b.dir, 'pf']);
    assert.equal(res.code, 0, res.stderr);
    await Promise.race([exited, new Promise((res) => setTimeout(res, 5000))]);
    assert.match(out, /anon_inode:\[pidfd\]/);
    assert.match(out, new RegExp(`Pid:\\s+${r.state('pf')!.pid}`));
  } finally {
    p.kill('SIGKILL');
    r.cleanup('pf');
    b.remove();
    dir.remove();
  }
});

test('--no-pivot: the rootfs is moved over the old root (MS_MOVE) and chrooted into, where pivot_root leaves no old root beneath', { skip: requires('root', { binary: 'nsenter' }) }, () => {
  const r = makeRoot();
  const b = makeBundle({ args: ['sleep', '1000'] });
  try {
    for (const [id, extra, beneath] of [['np', ['--no-pivot'], true], ['pv', [], false]] as const) {
      const res = r.ts(['run', '-d', ...extra, '--bundle', b.dir, id]);
      assert.equal(res.code, 0, res.stderr);
      const pid = String(r.state(id)!.pid);
      // in the container's mount namespace, lift the rootfs off /: a fresh
      // setns then starts at whatever lies beneath it. The host's root is
      // there after MS_MOVE (our --root dir is on it); pivot_root detached it.
      const lift = spawnSync('nsenter', ['-t', pid, '-m', '/bin/busybox', 'umount', '-l', '/'], { encoding: 'utf8' });
      assert.equal(lift.status, 0, lift.stderr);
      const look = spawnSync('nsenter', ['-t', pid, '-m', '/bin/busybox', 'test', '-d', r.path], { encoding: 'utf8' });
      assert.equal(look.status === 0, beneath, `${extra.join(' ') || 'pivot_root'}: the host's root ${beneath ? 'lies' : 'does not lie'} beneath the rootfs (${look.status}: ${look.stderr.trim()})`);
      assert.equal(r.ts(['delete', '--force', id]).code, 0);
    }
  } finally {
    r.cleanup('np', 'pv');
    b.remove();
  }
});

/** The container's processes whose command line is `sleep 1000`. */
function sleepers(r: Root, id: string): number[] {
  const pids = JSON.parse(r.ts(['ps', '--format', 'json', id]).stdout || '[]') as number[];
  return pids.filter((p) => {
    try {
      return readFileSync(`/proc/${p}/cmdline`, 'utf8') === 'sleep\u00001000\u0000';
    } catch {
      return false;
    }
  });
}

test('kill --all signals every process in the container\'s cgroup; without --all only the init', { skip: requires('root'), timeout: 30_000 }, () => {
  const r = makeRoot();
  // pid 1 ignores TERM (set after the children start: an ignored signal is inherited); its children do not
  const b = makeBundle({ args: ['sh', '-c', 'sleep 1000 & sleep 1000 & trap "" TERM; while :; do sleep 0.2; done'] });
  try {
    assert.equal(r.ts(['run', '-d', '--bundle', b.dir, 'ka']).code, 0);
    let kids: number[] = [];
    assert.ok(waitUntil(() => (kids = sleepers(r, 'ka')).length === 2), 'both children run');
    // the trap is set once the loop's sleeps run (a child that is not `sleep 1000`)
    const init = r.state('ka')!.pid;
    assert.ok(waitUntil(() => (JSON.parse(r.ts(['ps', '--format', 'json', 'ka']).stdout) as number[]).some((p) => p !== init && !kids.includes(p))), 'the loop runs');
    let res = r.ts(['kill', 'ka', 'TERM']);
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(sleepers(r, 'ka'), kids, 'without --all the children are not signalled');
    res = r.ts(['kill', '--all', 'ka', 'TERM']);
    assert.equal(res.code, 0, res.stderr);
    assert.ok(waitUntil(() => kids.every((p) => !processExists(p) || readFileSync(`/proc/${p}/stat`, 'utf8').includes(') Z'))), 'every child got TERM');
    assert.equal(r.state('ka')!.status, 'running', 'pid 1 ignores TERM and runs on');
    res = r.ts(['kill', '--all', 'ka', 'KILL']);
    assert.equal(res.code, 0, res.stderr);
    assert.ok(r.waitStatus('ka', 'stopped'));
  } finally {
    r.cleanup('ka');
    b.remove();
  }
});

test('exec --tty --console-socket: the exec\'d process gets its own pty', { skip: rootSkip, timeout: 30_000 }, async () => {
  const r = makeRoot();
  const dir = tempDir('tsrun-exectty-');
  const b = makeBundle({ args: ['sleep', '1000'] });
  try {
    assert.equal(r.ts(['run', '-d', '--bundle', b.dir, 'et']).code, 0);
    const recv = await startConsoleReceiver(dir.path);
    try {
      const res = r.ts(['exec', '-d', '-t', '--console-socket', recv.socket, 'et', 'sh', '-c', 'test -t 1 && echo EXEC-TTY']);
      assert.equal(res.code, 0, res.stderr);
      await recv.done(10_000);
      assert.match(recv.output(), /name=\/dev\/pts\/\d+ fds=1/);
      assert.match(recv.output(), /EXEC-TTY/);
    } finally {
      recv.stop();
    }
    assert.ok(processExists(r.state('et')!.pid));
  } finally {
    r.cleanup('et');
    b.remove();
    dir.remove();
  }
});
