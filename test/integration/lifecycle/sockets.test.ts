// --pidfd-socket, --no-pivot, kill --all, exec --tty with a console socket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle } from '../../helpers/bundle.js';
import { rootSkip, tempDir } from '../../helpers/tsrun.js';
import { makeRoot, processExists, sleep } from './helpers.js';
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

test('--no-pivot: the rootfs is moved onto / and chrooted into', { skip: rootSkip }, () => {
  const r = makeRoot();
  const b = makeBundle({ args: ['sh', '-c', 'ls /bin/busybox && cat /proc/self/mountinfo | head -1'] });
  try {
    const res = r.ts(['run', '--no-pivot', '--bundle', b.dir, 'np']);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /\/bin\/busybox/);
  } finally {
    r.cleanup('np');
    b.remove();
  }
});

test('kill --all signals every process in the container\'s cgroup', { skip: rootSkip }, () => {
  const r = makeRoot();
  // pid 1 ignores TERM; its children do not
  const b = makeBundle({ args: ['sh', '-c', 'trap "" TERM; sleep 1000 & sleep 1000 & wait; wait; sleep 1000'] });
  try {
    assert.equal(r.ts(['run', '-d', '--bundle', b.dir, 'ka']).code, 0);
    sleep(200);
    const res = r.ts(['kill', '--all', 'ka', 'KILL']);
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
