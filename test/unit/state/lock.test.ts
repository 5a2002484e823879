import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { TsrunError } from '../../../src/errors.js';
import { lockContainer, lockName, tryLockContainer, withContainerLock } from '../../../src/state/lock.js';
import { tempDir } from '../../helpers/tsrun.js';

interface ChildJob {
  mode: 'try-once' | 'counter' | 'hold' | 'wait';
  root: string;
  id: string;
  startAt?: number;
  counter?: string;
  timeoutMs?: number;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

// Child mode: this same file, run as a separate process with a job.
const job = process.env.TSRUN_LOCK_CHILD ? (JSON.parse(process.env.TSRUN_LOCK_CHILD) as ChildJob) : null;
if (job) {
  while (job.startAt && Date.now() < job.startAt) {
    /* line up with the other racers */
  }
  if (job.mode === 'try-once') {
    const lock = tryLockContainer(job.root, job.id);
    process.stdout.write(lock ? 'won' : 'busy');
    // Hold it long enough that every racer has tried.
    if (lock) sleepSync(500);
  } else if (job.mode === 'counter') {
    // A read-modify-write that loses updates unless the lock really excludes.
    for (let i = 0; i < 20; i++) {
      const lock = lockContainer(job.root, job.id);
      const n = Number(readFileSync(job.counter!, 'utf8'));
      sleepSync(1);
      writeFileSync(job.counter!, String(n + 1));
      lock.release();
    }
    process.stdout.write('done');
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

function runChild(j: ChildJob): { proc: ChildProcess; output: Promise<string>; firstLine: Promise<string> } {
  const proc = spawn(process.execPath, [fileURLToPath(import.meta.url)], {
    env: { ...process.env, TSRUN_LOCK_CHILD: JSON.stringify(j) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  let lineResolve: (s: string) => void;
  const firstLine = new Promise<string>((r) => (lineResolve = r));
  proc.stdout!.on('data', (d) => {
    out += d;
    if (out.includes('\n')) lineResolve(out.split('\n')[0]!);
  });
  const output = new Promise<string>((resolve, reject) => {
    proc.on('error', reject);
    proc.on('close', () => {
      lineResolve(out);
      resolve(out);
    });
  });
  return { proc, output, firstLine };
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

  test('6 processes trying at once: exactly one gets the lock', async () => {
    const t = tempDir();
    try {
      const startAt = Date.now() + 400;
      const outs = await Promise.all(Array.from({ length: 6 }, () => runChild({ mode: 'try-once', root: t.path, id: 'race', startAt }).output));
      assert.equal(outs.filter((o) => o === 'won').length, 1, outs.join(' '));
      assert.equal(outs.filter((o) => o === 'busy').length, 5, outs.join(' '));
    } finally {
      t.remove();
    }
  });

  test('4 processes waiting on the lock never interleave a read-modify-write (80 increments)', async () => {
    const t = tempDir();
    try {
      const counter = join(t.path, 'counter');
      writeFileSync(counter, '0');
      const startAt = Date.now() + 300;
      const outs = await Promise.all(Array.from({ length: 4 }, () => runChild({ mode: 'counter', root: t.path, id: 'count', counter, startAt }).output));
      assert.deepEqual(outs, ['done', 'done', 'done', 'done']);
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
