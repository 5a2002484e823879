// --rootless with no writable cgroup: decided before the plan names any
// cgroup.procs file, skipped in silence when nothing was asked, an error
// naming the field when a limit was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fromPaths } from '../../../src/cgroups/index.js';
import { cgroupWritable, tolerateRootless } from '../../../src/cgroups/rootless.js';

function fake(calls: string[]) {
  return {
    ...fromPaths({}),
    prepare: () => {
      calls.push('prepare');
      return [];
    },
    apply: () => void calls.push('apply'),
    procsFiles: () => ['/sys/fs/cgroup/memory/c/cgroup.procs'],
    paths: () => ({ memory: '/sys/fs/cgroup/memory/c' }),
  };
}

test('nothing writable, nothing asked: no cgroup.procs in the plan, no mkdir, no error, nothing to store', () => {
  const calls: string[] = [];
  const m = tolerateRootless(fake(calls), false);
  assert.deepEqual(m.procsFiles(), [], 'the executor is given no cgroup to join');
  m.apply({ cpu: { shares: 0 } }, m.prepare({ cpu: { shares: 0 } }));
  assert.deepEqual(calls, [], 'the inner manager is never asked to make or write anything');
  assert.deepEqual(m.paths(), {});
});

test('nothing writable, a limit asked: the error names the field', () => {
  const calls: string[] = [];
  const m = tolerateRootless(fake(calls), false);
  assert.throws(
    () => m.prepare({ pids: { limit: 10 } }),
    (e: Error & { field?: string }) => e.field === '/linux/resources/pids/limit' && /cannot apply linux\.resources\.pids\.limit without a cgroup/.test(e.message),
  );
  assert.deepEqual(calls, []);
});

test('writable: the plan joins the cgroup as without --rootless', () => {
  const calls: string[] = [];
  const m = tolerateRootless(fake(calls), true);
  assert.deepEqual(m.procsFiles(), ['/sys/fs/cgroup/memory/c/cgroup.procs']);
  m.apply({}, m.prepare({}));
  assert.deepEqual(calls, ['prepare', 'apply']);
});

test('cgroupWritable: the existing leaf\'s cgroup.procs, else the nearest existing ancestor', { skip: process.getuid?.() === 0 ? 'root writes everything: needs an unprivileged caller' : false }, () => {
  const d = mkdtempSync(join(tmpdir(), 'tsrun-probe-'));
  try {
    mkdirSync(join(d, 'open'));
    mkdirSync(join(d, 'shut'));
    chmodSync(join(d, 'shut'), 0o555);
    mkdirSync(join(d, 'leaf'));
    writeFileSync(join(d, 'leaf', 'cgroup.procs'), '', { mode: 0o444 });
    assert.equal(cgroupWritable({ a: join(d, 'open', 'x', 'y') }), true);
    assert.equal(cgroupWritable({ a: join(d, 'open', 'x'), b: join(d, 'shut', 'x') }), false, 'every hierarchy must be writable');
    assert.equal(cgroupWritable({ a: join(d, 'leaf') }), false, 'an existing leaf is joined through its cgroup.procs');
  } finally {
    chmodSync(join(d, 'shut'), 0o755);
    rmSync(d, { recursive: true, force: true });
  }
});
