// Cgroups side by side with runc 1.1: a cgroup that already holds processes
// (runc warns and goes on), and linux.resources.memory.kernelTCP on v1
// (runc 1.1 ignores it; the kernel takes it, and crun and tsrun set it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sleepMs } from '../../../src/cgroups/manager.js';
import { makeBundle } from '../../helpers/bundle.js';
import { differential, differentialSkip } from '../../helpers/differential.js';

const CG = '/sys/fs/cgroup';
const pureV2 = existsSync(join(CG, 'cgroup.controllers'));

function exited(pid: number): boolean {
  try {
    return /^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return true;
  }
}

/** The warning lines of a run, without the logrus time prefix. */
const warnings = (stderr: string) => stderr.split('\n').filter((l) => l.includes('level=warning')).map((l) => /msg="((?:[^"\\]|\\.)*)"/.exec(l)?.[1]);

test('a cgroupsPath that already holds a process: create warns "container\'s cgroup is not empty: 1 process(es) found" and goes on, as runc', { skip: differentialSkip }, () => {
  const b = makeBundle({ args: ['sleep', '1000'] });
  // the stranger joins the cgroup before either runtime runs: every v1 hierarchy a process needs no setup to join (runc counts devices'), or the unified one
  const stranger = spawn('sleep', ['1000'], { stdio: 'ignore' });
  const id = 'parity-nonempty';
  try {
    const hierarchies = pureV2 ? [CG] : ['devices', 'pids', 'memory', 'freezer'].map((c) => join(CG, c)).filter((d) => existsSync(d));
    for (const h of hierarchies) {
      const dir = join(h, b.cgroupsPath);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'cgroup.procs'), String(stranger.pid));
    }
    const r = differential((rt) => {
      const create = rt.call(['create', '--bundle', b.dir, id]);
      const state = rt.call(['state', id]);
      return { code: create.code, warned: warnings(create.stderr).filter((w) => w?.includes('cgroup')), status: state.code === 0 ? JSON.parse(state.stdout).status : state.stderr };
    }, [id]);
    assert.equal(r.runc.code, 0);
    assert.equal(r.runc.warned[0], "container's cgroup is not empty: 1 process(es) found");
    assert.deepEqual({ ...r.tsrun, warned: r.tsrun.warned.slice(0, 1) }, { ...r.runc, warned: r.runc.warned.slice(0, 1) });
  } finally {
    stranger.kill('SIGKILL');
    // the cgroup can go once the stranger has exited (a zombie has left its cgroups)
    for (let i = 0; i < 100 && !exited(stranger.pid!); i++) sleepMs(10);
    b.remove();
  }
});

test('linux.resources.memory.kernelTCP on cgroup v1: applied where the kernel offers memory.kmem.tcp (runc 1.1 ignores it, crun sets it)', { skip: differentialSkip }, () => {
  const tcp = 8 << 20;
  const b = makeBundle({ args: ['sleep', '1000'], patch: (s) => (s.linux!.resources = { ...s.linux!.resources, memory: { kernelTCP: tcp } }) });
  const id = 'parity-kernel-tcp';
  // what the kernel offers: the file in the v1 memory hierarchy (none on pure cgroup v2)
  const offered = !pureV2 && existsSync(join(CG, 'memory', 'memory.kmem.tcp.limit_in_bytes'));
  try {
    const r = differential((rt) => {
      const create = rt.call(['create', '--bundle', b.dir, id]);
      rt.call(['start', id]);
      // the container's own view of its limit
      const seen = offered ? rt.call(['exec', id, 'cat', '/sys/fs/cgroup/memory/memory.kmem.tcp.limit_in_bytes']) : undefined;
      return { code: create.code, warned: warnings(create.stderr), seen: seen?.stdout.trim() };
    }, [id]);
    assert.equal(r.runc.code, 0);
    assert.equal(r.tsrun.code, 0);
    if (offered) {
      assert.notEqual(r.runc.seen, String(tcp), 'runc 1.1 leaves the limit alone');
      assert.equal(r.tsrun.seen, String(tcp));
      assert.ok(!r.tsrun.warned.some((w) => w?.includes('kernelTCP')), r.tsrun.warned.join('; '));
    } else {
      assert.ok(r.tsrun.warned.some((w) => w?.includes('kernel')), 'without memory.kmem.tcp: a warning, and the container runs');
    }
  } finally {
    b.remove();
  }
});
