import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, readSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { TsrunError } from '../../../src/errors.js';
import { abstractSocketInode, lockContainer, lockName, lockSquatted, tryLockContainer, withContainerLock } from '../../../src/state/lock.js';
import { tempDir } from '../../helpers/tsrun.js';

interface ChildJob {
  mode: 'try-once' | 'counter' | 'hold' | 'wait';
  root: string;
  id: string;
  /** Say "ready" and wait for a line on stdin before racing (the parent sends it once every racer is ready). */
  gate?: boolean;
  counter?: string;
  timeoutMs?: number;
}

/** Block until a line (or the end) arrives on stdin. */
function readLineSync(): string {
  const buf = Buffer.alloc(1);
  let line = '';
  for (;;) {
    let n = 0;
    try {
      n = readSync(0, buf, 0, 1, null);
    } catch (err) {
      // a non-blocking pipe: look again in a moment, without spinning a CPU the other racers need
      if ((err as NodeJS.ErrnoException).code === 'EAGAIN') {
        sleepSync(2);
        continue;
      }
      throw err;
    }
    if (n === 0 || buf[0] === 10) return line;
    line += String.fromCharCode(buf[0]!);
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

// Child mode: this same file, run as a separate process with a job.
const job = process.env.TSRUN_LOCK_CHILD ? (JSON.parse(process.env.TSRUN_LOCK_CHILD) as ChildJob) : null;
if (job) {
  if (job.gate) {
    // line up with the other racers
    process.stdout.write('ready\n');
    readLineSync();
  }
  if (job.mode === 'try-once') {
    const lock = tryLockContainer(job.root, job.id);
    process.stdout.write(lock ? 'won\n' : 'busy\n');
    // the winner holds it until the parent has every racer's answer (stdin closed)
    if (lock) readLineSync();
  } else if (job.mode === 'counter') {
    // A read-modify-write that loses updates unless the lock really excludes.
    for (let i = 0; i < 20; i++) {
      const lock = lockContainer(job.root, job.id);
      const n = Number(readFileSync(job.counter!, 'utf8'));
      sleepSync(1);
      writeFileSync(job.counter!, String(n + 1));
      lock.release();
    }
    process.stdout.write('done\n');
  } else if (job.mode === 'hold') {
    lockContainer(job.root, job.id);
    process.stdout.write('locked\n');
    setInterval(() => {}, 1000); // until killed
  } else {
    try {
      lockContainer(job.root, job.id, { timeoutMs: job.timeoutMs });
      process.stdout.write('locked');
    } catch (err) {
      process.stdout.write(err instanceof TsrunError ? `timeout:${err.message}` : `error:${String(err)}`);
    }
  }
} else {
  suite();
}

interface Child {
  proc: ChildProcess;
  /** Everything it printed, once it has exited. */
  output: Promise<string>;
  firstLine: Promise<string>;
  /** The next line it prints (after those already taken). */
  nextLine(): Promise<string>;
  /** A line to its stdin. */
  send(line: string): void;
}

function runChild(j: ChildJob): Child {
  const proc = spawn(process.execPath, [fileURLToPath(import.meta.url)], {
    env: { ...process.env, TSRUN_LOCK_CHILD: JSON.stringify(j) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  let taken = 0;
  const waiters: Array<() => void> = [];
  let closed = false;
  proc.stdout!.on('data', (d) => {
    out += d;
    waiters.splice(0).forEach((w) => w());
  });
  const output = new Promise<string>((resolve, reject) => {
    proc.on('error', reject);
    proc.on('close', () => {
      closed = true;
      waiters.splice(0).forEach((w) => w());
      resolve(out);
    });
  });
  const nextLine = () =>
    new Promise<string>((resolve) => {
      const check = () => {
        const nl = out.indexOf('\n', taken);
        if (nl >= 0) {
          const line = out.slice(taken, nl);
          taken = nl + 1;
          resolve(line);
        } else if (closed) resolve(out.slice(taken));
        else waiters.push(check);
      };
      check();
    });
  return { proc, output, firstLine: nextLine(), nextLine, send: (line) => proc.stdin!.write(`${line}\n`) };
}

/** Start the racers, wait until every one is ready, then let them all go at once. */
async function race(jobs: ChildJob[]): Promise<Child[]> {
  const children = jobs.map((j) => runChild({ ...j, gate: true }));
  assert.deepEqual(await Promise.all(children.map((c) => c.firstLine)), children.map(() => 'ready'));
  for (const c of children) c.send('go');
  return children;
}

function suite(): void {
  test('the lock excludes a second taker in the same process until released', () => {
    const t = tempDir();
    try {
      const a = tryLockContainer(t.path, 'c');
      assert.ok(a);
      assert.equal(tryLockContainer(t.path, 'c'), null);
      a.release();
      a.release(); // idempotent
      const b = tryLockContainer(t.path, 'c');
      assert.ok(b);
      b.release();
    } finally {
      t.remove();
    }
  });

  test('locks of different ids, or of one id under different roots, are independent', () => {
    const t = tempDir();
    const u = tempDir();
    try {
      const a = tryLockContainer(t.path, 'c');
      const b = tryLockContainer(t.path, 'd');
      const c = tryLockContainer(u.path, 'c');
      assert.ok(a && b && c);
      assert.notEqual(lockName(t.path, 'c'), lockName(u.path, 'c'));
      // The same root spelled differently is the same lock.
      assert.equal(lockName(t.path, 'c'), lockName(t.path + '/./', 'c'));
      for (const l of [a, b, c]) l.release();
    } finally {
      t.remove();
      u.remove();
    }
  });

  test('lock names fit an abstract socket address, also for the longest ids', () => {
    const t = tempDir();
    try {
      const short = lockName(t.path, 'c1');
      assert.match(short, /^tsrun-lock\/[0-9a-f]+:[0-9a-f]+\/c1$/);
      const a = lockName(t.path, 'x'.repeat(1024));
      const b = lockName(t.path, 'x'.repeat(1023) + 'y');
      assert.ok(Buffer.byteLength(a) <= 107 && Buffer.byteLength(b) <= 107);
      assert.notEqual(a, b);
      assert.match(a, /~[0-9a-f]{16}$/);
      const l1 = tryLockContainer(t.path, 'x'.repeat(1024));
      const l2 = tryLockContainer(t.path, 'x'.repeat(1023) + 'y');
      assert.ok(l1 && l2, 'long ids lock independently');
      l1.release();
      l2.release();
    } finally {
      t.remove();
    }
  });

  test('6 processes trying at once: exactly one gets the lock', async () => {
    const t = tempDir();
    try {
      const racers = await race(Array.from({ length: 6 }, () => ({ mode: 'try-once' as const, root: t.path, id: 'race' })));
      // the winner holds the lock until every answer is in
      const answers = await Promise.all(racers.map((c) => c.nextLine()));
      for (const c of racers) c.proc.stdin!.end();
      await Promise.all(racers.map((c) => c.output));
      assert.equal(answers.filter((o) => o === 'won').length, 1, answers.join(' '));
      assert.equal(answers.filter((o) => o === 'busy').length, 5, answers.join(' '));
    } finally {
      t.remove();
    }
  });

  test('4 processes waiting on the lock never interleave a read-modify-write (80 increments)', async () => {
    const t = tempDir();
    try {
      const counter = join(t.path, 'counter');
      writeFileSync(counter, '0');
      const racers = await race(Array.from({ length: 4 }, () => ({ mode: 'counter' as const, root: t.path, id: 'count', counter })));
      assert.deepEqual(await Promise.all(racers.map((c) => c.nextLine())), ['done', 'done', 'done', 'done']);
      assert.equal(readFileSync(counter, 'utf8'), '80');
    } finally {
      t.remove();
    }
  });

  test('the lock of a SIGKILLed holder is free at once (no stale lock)', async () => {
    const t = tempDir();
    const holder = runChild({ mode: 'hold', root: t.path, id: 'stale' });
    try {
      assert.equal(await holder.firstLine, 'locked');
      assert.equal(tryLockContainer(t.path, 'stale'), null, 'held while the holder lives');
      holder.proc.kill('SIGKILL');
      await holder.output;
      const lock = tryLockContainer(t.path, 'stale');
      assert.ok(lock, 'taken over after the holder died');
      lock.release();
    } finally {
      holder.proc.kill('SIGKILL');
      t.remove();
    }
  });

  test('a waiter gets the lock when the holder releases, and times out with a clear error otherwise', async () => {
    const t = tempDir();
    try {
      const held = lockContainer(t.path, 'w');
      const timedOut = await runChild({ mode: 'wait', root: t.path, id: 'w', timeoutMs: 150 }).output;
      assert.match(timedOut, /^timeout:container w is locked by another operation/);
      const waiter = runChild({ mode: 'wait', root: t.path, id: 'w', timeoutMs: 10_000 });
      setTimeout(() => held.release(), 200);
      assert.equal(await waiter.output, 'locked');
    } finally {
      t.remove();
    }
  });

  test('abstractSocketInode finds a bound abstract name in /proc/net/unix', () => {
    const table =
      'Num       RefCount Protocol Flags    Type St Inode Path\n' +
      '0000000000000000: 00000002 00000000 00000000 0001 01 4242 @tsrun-lock/abc@@@@\n' +
      '0000000000000000: 00000002 00000000 00000000 0001 01 4343 @tsrun-lock/abcd\n' +
      '0000000000000000: 00000002 00000000 00010000 0001 01 17 /run/systemd/notify\n';
    assert.equal(abstractSocketInode('tsrun-lock/abc', table), 4242);
    assert.equal(abstractSocketInode('tsrun-lock/abcd', table), 4343);
    assert.equal(abstractSocketInode('tsrun-lock/ab', table), null);
    const t = tempDir();
    try {
      const l = lockContainer(t.path, 'live');
      assert.equal(typeof abstractSocketInode(l.name), 'number', 'our own lock is listed');
      assert.equal(lockSquatted(l.name), false, 'held by this node process: not squatted');
      l.release();
      assert.equal(abstractSocketInode(l.name), null);
    } finally {
      t.remove();
    }
  });

  test('a lock name squatted by a process that is not tsrun is detected, and we go on without it', async (t) => {
    if (spawnSync('perl', ['-MSocket', '-e', '1']).status !== 0) {
      t.skip('needs perl with Socket (perl-base) to play the squatter');
      return;
    }
    const dir = tempDir();
    const name = lockName(dir.path, 'sq');
    // perl binds the name, says so, and sleeps: a foreign holder.
    const squatter = spawn('perl', ['-MSocket', '-e', 'my $n = $ARGV[0]; socket(my $s, PF_UNIX, SOCK_STREAM, 0) or die; ' +
      // The name as libuv binds it: the whole sun_path, padded with NULs.
      'bind($s, pack_sockaddr_un("\\0" . $n . ("\\0" x (107 - length $n)))) or die "bind: $!"; $| = 1; print "bound\n"; sleep 60', name], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        squatter.stdout!.on('data', (d) => String(d).includes('bound') && resolve());
        squatter.on('exit', (code) => reject(new Error(`squatter exited ${code}`)));
      });
      assert.equal(tryLockContainer(dir.path, 'sq'), null, 'the name is taken');
      assert.equal(lockSquatted(name), true);
      const started = Date.now();
      const lock = lockContainer(dir.path, 'sq', { verifyAfterMs: 100, timeoutMs: 5000 });
      assert.equal(lock.squatted, true);
      assert.ok(Date.now() - started < 4000, 'did not wait for the timeout');
      lock.release();
    } finally {
      squatter.kill('SIGKILL');
      dir.remove();
    }
  });

  test('a child spawned while the lock is held does not inherit it (hooks may outlive us)', async () => {
    const t = tempDir();
    try {
      const lock = lockContainer(t.path, 'cloexec');
      const late = spawn('sleep', ['30'], { stdio: 'ignore' });
      try {
        const inode = abstractSocketInode(lock.name);
        assert.ok(inode !== null);
        const fds = readdirSync(`/proc/${late.pid}/fd`).map((fd) => {
          try {
            return readlinkSync(`/proc/${late.pid}/fd/${fd}`);
          } catch {
            return '';
          }
        });
        assert.equal(fds.includes(`socket:[${inode}]`), false, fds.join(' '));
        lock.release();
        const again = tryLockContainer(t.path, 'cloexec');
        assert.ok(again, 'free once we release, although the child still runs');
        again.release();
      } finally {
        late.kill('SIGKILL');
      }
    } finally {
      t.remove();
    }
  });

  test('withContainerLock releases the lock when the callback throws', async () => {
    const t = tempDir();
    try {
      await assert.rejects(withContainerLock(t.path, 'x', () => {
        throw new Error('boom');
      }), /boom/);
      const l = tryLockContainer(t.path, 'x');
      assert.ok(l);
      l.release();
    } finally {
      t.remove();
    }
  });
}
