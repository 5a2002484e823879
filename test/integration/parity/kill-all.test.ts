// kill --all of a container whose init has exited but whose cgroup still
// holds processes: what a container in a pod's shared pid namespace leaves
// behind (its init's children are reparented to the pod's init, not killed).
// containerd's runc shim calls `kill --all ID 9` right after such an init
// exits to take them away; runc signals them, tsrun said "stopped" and left
// them running.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle } from '../../helpers/bundle.js';
import { cgroupDirsOf } from '../../helpers/cgroup-dirs.mjs';
import { differential, differentialSkip, type Runtime } from '../../helpers/differential.js';

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Live (not zombie) pids in the cgroup, across every hierarchy it is in. */
function livePids(cgroupsPath: string): number[] {
  const pids = new Set<number>();
  for (const dir of cgroupDirsOf(cgroupsPath)) {
    const f = join(dir, 'cgroup.procs');
    if (!existsSync(f)) continue;
    for (const s of readFileSync(f, 'utf8').split('\n').filter(Boolean)) pids.add(Number(s));
  }
  return [...pids].filter((pid) => {
    try {
      return !/^\d+ \(.*\) [ZX] /s.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
    } catch {
      return false;
    }
  });
}

function status(rt: Runtime, id: string): string {
  const r = rt.call(['state', id]);
  return r.code === 0 ? JSON.parse(r.stdout).status : `state exit ${r.code}: ${r.stderr}`;
}

test('kill --all of a stopped container signals what its init left in its cgroup (a shared pid namespace), as runc', { skip: differentialSkip }, () => {
  const out = differential((rt) => {
    const pod = makeBundle({ args: ['sleep', '300'], name: 'pod' });
    let member: ReturnType<typeof makeBundle> | undefined;
    try {
      assert.equal(rt.call(['run', '-d', '--bundle', pod.dir, 'ka-pod']).code, 0, `${rt.name}: run the pod's init`);
      const podPid = JSON.parse(rt.call(['state', 'ka-pod']).stdout).pid as number;
      member = makeBundle({
        // the init leaves a child behind and exits
        args: ['sh', '-c', 'sleep 200 & exit 0'],
        cgroupParent: pod.cgroupParent,
        name: 'member',
        patch: (s) => {
          s.linux!.namespaces = s.linux!.namespaces!.map((n) => (n.type === 'pid' ? { type: 'pid', path: `/proc/${podPid}/ns/pid` } : n));
        },
      });
      const run = rt.call(['run', '-d', '--bundle', member.dir, 'ka-member']);
      assert.equal(run.code, 0, `${rt.name}: run the member: ${run.stderr}`);
      for (let i = 0; i < 250 && status(rt, 'ka-member') !== 'stopped'; i++) sleepMs(20);
      assert.equal(status(rt, 'ka-member'), 'stopped', `${rt.name}: the member's init exited`);
      const left = livePids(member.cgroupsPath);
      assert.equal(left.length, 1, `${rt.name}: the init's child is still in the member's cgroup`);
      const kill = rt.call(['kill', '--all', 'ka-member', 'KILL']);
      let after = livePids(member.cgroupsPath);
      for (let i = 0; i < 100 && after.length > 0; i++) {
        sleepMs(20);
        after = livePids(member.cgroupsPath);
      }
      const del = rt.call(['delete', 'ka-member']);
      return { kill: kill.code, killErr: kill.stderr, left: after.length, del: del.code, delErr: del.stderr };
    } finally {
      rt.call(['delete', '--force', 'ka-member']);
      rt.call(['delete', '--force', 'ka-pod']);
      member?.remove();
      pod.remove();
    }
  }, ['ka-member', 'ka-pod']);
  for (const [name, r] of Object.entries(out)) {
    assert.equal(r.kill, 0, `${name}: kill --all exit code: ${r.killErr}`);
    assert.equal(r.left, 0, `${name}: what the init left behind is killed`);
    assert.equal(r.del, 0, `${name}: delete: ${r.delErr}`);
  }
});
