// The executor puts the init into its cgroup itself (a cgroup.procs write
// per hierarchy after the clone). It opens those files before it joins any
// namespace: in a mount namespace joined by path, /sys/fs/cgroup may name
// nothing (here it is unmounted there), and the init must still land in the
// container's cgroup.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle } from '../../helpers/bundle.js';
import { tempDir } from '../../helpers/tsrun.js';
import { cgroupDirsOf } from '../../helpers/cgroup-dirs.mjs';
import { cgroupLayout, requires } from '../../helpers/requires.js';
import { makeRoot } from '../lifecycle/helpers.js';

const pids = (): string[] => readdirSync('/proc').filter((p) => /^\d+$/.test(p));

/**
 * The live pids for which `test` holds. Neither a process gone meanwhile nor
 * a zombie counts: a killed init waits there for the host's pid 1 to reap it.
 */
function pidsWhere(test: (pid: string) => boolean, among = pids()): string[] {
  return among.filter((p) => {
    try {
      const state = readFileSync(`/proc/${p}/stat`, 'utf8').replace(/^.*\) /s, '')[0];
      return state !== 'Z' && test(p);
    } catch {
      return false;
    }
  });
}

test('the init joins its cgroup even in a mount namespace (joined by path) where /sys/fs/cgroup is not mounted', { skip: requires('root', { binary: 'unshare' }) }, (t) => {
  const tmp = tempDir('tsrun-mntns-');
  const nsFile = join(tmp.path, 'mnt');
  writeFileSync(nsFile, '');
  // a persistent mount namespace of our own, without the cgroup mounts
  const made = spawnSync('unshare', [`--mount=${nsFile}`, '--propagation', 'private', 'sh', '-c', 'umount -l /sys/fs/cgroup'], { encoding: 'utf8' });
  if (made.status !== 0) {
    tmp.remove();
    t.skip(`cannot make a persistent mount namespace here: ${made.stderr.trim()}`);
    return;
  }
  const r = makeRoot();
  const b = makeBundle({
    args: ['sleep', '30'],
    patch: (s) => {
      s.linux!.namespaces = s.linux!.namespaces!.map((n) => (n.type === 'mount' ? { type: 'mount', path: nsFile } : n));
      s.mounts = s.mounts!.filter((m) => m.type !== 'cgroup'); // its binds come from the host's /sys/fs/cgroup
    },
  });
  try {
    const res = r.ts(['run', '--detach', '--bundle', b.dir, 'mj']);
    assert.equal(res.code, 0, res.stderr);
    const pid = r.state('mj')!.pid;
    const cgroups = readFileSync(`/proc/${pid}/cgroup`, 'utf8');
    if (cgroupLayout()?.kind === 'v2') assert.match(cgroups, new RegExp(`^0::${b.cgroupsPath}$`, 'm'), cgroups);
    else for (const ctrl of ['pids', 'memory', 'devices']) assert.match(cgroups, new RegExp(`:${ctrl}:${b.cgroupsPath}\\n`), cgroups);
  } finally {
    r.cleanup('mj');
    b.remove();
    spawnSync('umount', [nsFile]);
    tmp.remove();
  }
});

test('a limit the kernel refuses, written while the executor already cloned the init: create fails naming the field, and leaves no state dir, cgroup or init', { skip: requires('root', { controller: 'cpuset' }) }, () => {
  const r = makeRoot();
  const b = makeBundle({ args: ['sleep', '30'], patch: (s) => void (s.linux!.resources = { ...s.linux!.resources, cpu: { cpus: '99' } }) });
  try {
    const before = new Set(pids());
    const res = r.ts(['create', '--bundle', b.dir, 'lim']);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /\/linux\/resources\/cpu\/cpus: cannot apply linux\.resources\.cpu\.cpus \\"99\\"/);
    assert.deepEqual(readdirSync(r.path), []);
    assert.deepEqual(cgroupDirsOf(b.cgroupsPath), []);
    // no sleep of this bundle survived (an init that never exec'd runs from the executor's sealed memfd)
    const ours = pidsWhere(
      (p) => /^(sleep|memfd:tsrun-exe)$/.test(readFileSync(`/proc/${p}/comm`, 'utf8').trim()) && readFileSync(`/proc/${p}/cgroup`, 'utf8').includes(b.cgroupParent),
      pids().filter((p) => !before.has(p)),
    );
    assert.deepEqual(ours, []);
  } finally {
    r.cleanup('lim');
    b.remove();
  }
});

// v1 only: a v1 parent's devices list bounds its children's; v2's eBPF filters refuse no rule
test('a device rule the kernel refuses, while the executor has cloned and waits for the cgroup: create fails naming the field, and the clone is gone when create returns', { skip: requires('root', 'cgroup-v1', { controller: 'devices' }) }, () => {
  const r = makeRoot();
  const b = makeBundle({ args: ['sleep', '30'] });
  const parent = join(cgroupLayout()!.v1.get('devices')!.mountPoint, b.cgroupParent);
  const tag = `${process.pid}-${Date.now()}`;
  try {
    // a parent that allows no device: the container's allow rules are refused (EPERM)
    mkdirSync(parent);
    writeFileSync(join(parent, 'devices.deny'), 'a');
    const res = r.ts(['create', '--bundle', b.dir, 'dev'], { env: { ...process.env, TSRUN_TEST_TAG: tag } });
    assert.equal(res.code, 1);
    assert.match(res.stderr, /\/linux\/resources\/devices/);
    assert.deepEqual(readdirSync(r.path), []);
    assert.ok(!existsSync(join(parent, 'c')), 'the container cgroup is removed');
    // the executor and its clone carry our environment: none of them may be left
    assert.deepEqual(pidsWhere((p) => readFileSync(`/proc/${p}/environ`, 'utf8').split('\0').includes(`TSRUN_TEST_TAG=${tag}`)), []);
  } finally {
    r.cleanup('dev');
    b.remove();
  }
});
