// exec on pure cgroup v2: the process is cloned into the container's cgroup
// (clone3 CLONE_INTO_CGROUP, so pids.max holds), and because the kernel
// checks that move with the cloner's credentials and cgroup namespace, the
// user and cgroup namespaces are joined by the child, after the clone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileExec } from '../../../src/plan/index.js';
import { defaultSpec } from '../../../src/spec/default.js';

function container() {
  const s = defaultSpec();
  s.process!.terminal = false;
  s.linux!.namespaces!.push({ type: 'user' }, { type: 'cgroup' });
  return s;
}

test('exec with cloneIntoCgroup: cgroup_clone before the clone, user then cgroup joined by the child before it waits for GO', () => {
  const s = container();
  const ops = compileExec(s.process!, s, { initPid: 42, cloneIntoCgroup: '/sys/fs/cgroup/a/c' }).plan.ops;
  const names = ops.map((o) => o.op);
  const pre = names.slice(0, names.indexOf('clone'));
  assert.equal(pre[pre.length - 1], 'cgroup_clone');
  assert.deepEqual(ops.find((o) => o.op === 'cgroup_clone')!.args, { path: '/sys/fs/cgroup/a/c' });
  const joinedBefore = ops.filter((o) => o.op === 'join_ns').map((o) => (o.args as { path: string }).path);
  assert.ok(!joinedBefore.some((p) => p.endsWith('/ns/user') || p.endsWith('/ns/cgroup')), joinedBefore.join(' '));
  assert.ok(joinedBefore.some((p) => p === '/proc/42/ns/pid') && joinedBefore.some((p) => p === '/proc/42/ns/mnt'));
  const late = ops.filter((o) => o.op === 'join_ns_child').map((o) => (o.args as { path: string }).path);
  assert.deepEqual(late, ['/proc/42/ns/user', '/proc/42/ns/cgroup']);
  assert.ok(names.lastIndexOf('join_ns_child') < names.indexOf('wait_go'));
  assert.ok(!names.includes('cgroup_join'));
});

test('exec without cloneIntoCgroup (v1, hybrid, rootless): every namespace joined by stage 0, user first; no cgroup_clone', () => {
  const s = container();
  const names = compileExec(s.process!, s, { initPid: 42 }).plan.ops.map((o) => o.op);
  assert.ok(!names.includes('cgroup_clone') && !names.includes('join_ns_child'));
  assert.equal(names[0], 'join_ns');
});
