import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive, parseProcStat, processStartTime, readProcStat } from '../../../src/state/proc.js';
import { cgroupFrozen, containerStatus, stateObject } from '../../../src/state/status.js';
import type { ContainerRecord } from '../../../src/state/types.js';
import { tempDir } from '../../helpers/tsrun.js';

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function record(pid: number, pidStartTime: number, cgroupPaths: Record<string, string> = {}): ContainerRecord {
  return {
    ociVersion: '1.3.0', id: 'c', pid, pidStartTime, bundle: '/b', rootfs: '/b/rootfs',
    created: '2026-11-29T05:22:34Z', annotations: {}, owner: 0, config: {}, cgroupPaths,
  };
}

test('parseProcStat counts fields after the last ")" of comm', () => {
  const fields = Array.from({ length: 50 }, (_, i) => String(i + 3));
  fields[0] = 'S';
  fields[1] = '77';
  fields[19] = '424242';
  const st = parseProcStat(`123 (we ) ird) (name) ${fields.join(' ')}\n`);
  assert.deepEqual(st, { state: 'S', ppid: 77, startTime: 424242 });
  assert.equal(parseProcStat('garbage'), null);
  assert.equal(parseProcStat('1 (x) S 0'), null);
});

test('processStartTime of this process is stable; of a missing pid is null', () => {
  const a = processStartTime(process.pid);
  assert.equal(typeof a, 'number');
  assert.equal(processStartTime(process.pid), a);
  assert.equal(processStartTime(0), null);
  assert.equal(processStartTime(-1), null);
  assert.equal(processStartTime(2 ** 22 + 1), null); // above pid_max
});

test('isAlive needs the same start time: a reused pid is not the container', () => {
  const start = processStartTime(process.pid)!;
  assert.equal(isAlive(process.pid, start), true);
  assert.equal(isAlive(process.pid, start + 1), false);
  assert.equal(isAlive(process.pid, 0), false);
  assert.equal(isAlive(2 ** 22 + 1, start), false);
});

test('a zombie is not alive', () => {
  const child = spawn('/bin/sh', ['-c', 'exit 0'], { stdio: 'ignore' });
  const pid = child.pid!;
  const start = processStartTime(pid);
  // While this thread blocks, libuv cannot reap the child: it stays a zombie.
  let st = readProcStat(pid);
  for (let i = 0; i < 200 && st?.state !== 'Z'; i++) {
    sleepSync(10);
    st = readProcStat(pid);
  }
  assert.equal(st?.state, 'Z');
  assert.ok(start !== null);
  assert.equal(isAlive(pid, start), false);
});

test('status: creating -> created -> running -> paused -> stopped with a real child', async () => {
  const t = tempDir();
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    const pid = child.pid!;
    const start = processStartTime(pid)!;
    const fifo = join(t.path, 'exec.fifo');
    assert.equal(containerStatus(record(0, 0), t.path), 'creating');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    const rec = record(pid, start);
    assert.equal(containerStatus(rec, t.path), 'created');
    assert.equal(stateObject(rec, 'created').pid, pid);
    unlinkSync(fifo);
    assert.equal(containerStatus(rec, t.path), 'running');
    assert.equal(containerStatus(rec, t.path, () => true), 'paused');
    // A recycled pid: same pid, other start time.
    assert.equal(containerStatus(record(pid, start + 7), t.path), 'stopped');
    const exited = new Promise((r) => child.on('exit', r));
    child.kill('SIGKILL');
    await exited;
    assert.equal(containerStatus(rec, t.path), 'stopped');
    assert.equal(containerStatus(rec, t.path, () => true), 'stopped', 'a dead init is stopped even if the cgroup says frozen');
    assert.equal(stateObject(rec, 'stopped').pid, 0, 'runc reports pid 0 when stopped');
  } finally {
    child.kill('SIGKILL');
    t.remove();
  }
});

test('cgroupFrozen reads v1 freezer.state and v2 cgroup.freeze from the record', () => {
  const t = tempDir();
  try {
    const v1 = join(t.path, 'freezer');
    const v2 = join(t.path, 'unified');
    mkdirSync(v1);
    mkdirSync(v2);
    writeFileSync(join(v1, 'freezer.state'), 'THAWED\n');
    writeFileSync(join(v2, 'cgroup.freeze'), '0\n');
    assert.equal(cgroupFrozen(record(1, 1, { freezer: v1, unified: v2 })), false);
    writeFileSync(join(v1, 'freezer.state'), 'FREEZING\n');
    assert.equal(cgroupFrozen(record(1, 1, { freezer: v1 })), false);
    writeFileSync(join(v1, 'freezer.state'), 'FROZEN\n');
    assert.equal(cgroupFrozen(record(1, 1, { freezer: v1 })), true);
    writeFileSync(join(v2, 'cgroup.freeze'), '1\n');
    assert.equal(cgroupFrozen(record(1, 1, { unified: v2 })), true);
    assert.equal(cgroupFrozen(record(1, 1, {})), false);
    assert.equal(cgroupFrozen(record(1, 1, { freezer: join(t.path, 'gone') })), false);
  } finally {
    t.remove();
  }
});

test('stateObject: runc field order, annotations sorted and omitted when empty, owner last', () => {
  const rec = record(5, 1);
  assert.deepEqual(Object.keys(stateObject(rec, 'running')), ['ociVersion', 'id', 'pid', 'status', 'bundle', 'rootfs', 'created', 'owner']);
  rec.annotations = { z: '1', a: '2' };
  const s = stateObject(rec, 'running', 'root');
  assert.deepEqual(Object.keys(s), ['ociVersion', 'id', 'pid', 'status', 'bundle', 'rootfs', 'created', 'annotations', 'owner']);
  assert.deepEqual(Object.keys(s.annotations!), ['a', 'z']);
  assert.equal(s.owner, 'root');
});
