import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveCgroupsPath } from '../../../src/cgroups/path.js';
import { openCgroup, fromPaths } from '../../../src/cgroups/index.js';
import { tolerateRootless } from '../../../src/cgroups/rootless.js';
import { TsrunError } from '../../../src/errors.js';
import { v1Mountinfo, v2Mountinfo } from './fake-host.js';

test('cgroupsPath absolute: kept, cleaned', () => {
  assert.deepEqual(resolveCgroupsPath('/a/b', 'id'), { absolute: true, path: '/a/b' });
  assert.deepEqual(resolveCgroupsPath('/a//b/../c/', 'id'), { absolute: true, path: '/a/c' });
  assert.deepEqual(resolveCgroupsPath('/../../x', 'id'), { absolute: true, path: '/x' });
});

test('cgroupsPath relative: cleaned as if rooted, so ".." cannot climb out', () => {
  assert.deepEqual(resolveCgroupsPath('a/b', 'id'), { absolute: false, path: 'a/b' });
  assert.deepEqual(resolveCgroupsPath('../../a', 'id'), { absolute: false, path: 'a' });
});

test('cgroupsPath empty: relative "<id>" (runc\'s default)', () => {
  assert.deepEqual(resolveCgroupsPath(undefined, 'c1'), { absolute: false, path: 'c1' });
  assert.deepEqual(resolveCgroupsPath('', 'c1'), { absolute: false, path: 'c1' });
});

test('cgroupsPath on v1: absolute is below each hierarchy root, relative below the runtime\'s own cgroup', () => {
  const host = { fsRoot: '/fake', mountinfo: v1Mountinfo(true), selfCgroup: '4:memory:/proc_api/me\n2:cpu,cpuacct:/\n0::/user.slice\n' };
  const abs = openCgroup({ id: 'c1', cgroupsPath: '/tsrun/c1', host }).paths();
  assert.equal(abs.memory, '/fake/sys/fs/cgroup/memory/tsrun/c1');
  assert.equal(abs.cpu, '/fake/sys/fs/cgroup/cpu,cpuacct/tsrun/c1');
  assert.equal(abs.unified, '/fake/sys/fs/cgroup/unified/tsrun/c1');
  assert.equal(abs['name=systemd'], '/fake/sys/fs/cgroup/systemd/tsrun/c1');
  const rel = openCgroup({ id: 'c1', host }).paths();
  assert.equal(rel.memory, '/fake/sys/fs/cgroup/memory/proc_api/me/c1');
  assert.equal(rel.cpu, '/fake/sys/fs/cgroup/cpu,cpuacct/c1');
  assert.equal(rel.unified, '/fake/sys/fs/cgroup/unified/user.slice/c1');
});

test('cgroupsPath on v2: one directory, keyed "unified"', () => {
  const host = { fsRoot: '/fake', mountinfo: v2Mountinfo, selfCgroup: '0::/system.slice/tsrun.service\n' };
  assert.deepEqual(openCgroup({ id: 'c1', cgroupsPath: '/x/y', host }).paths(), { unified: '/fake/sys/fs/cgroup/x/y' });
  assert.deepEqual(openCgroup({ id: 'c1', cgroupsPath: 'x', host }).paths(), { unified: '/fake/sys/fs/cgroup/system.slice/tsrun.service/x' });
});

test('--systemd-cgroup: a cgroupsPath not "slice:prefix:name" is refused naming the field, before any bus', () => {
  const host = { mountinfo: v2Mountinfo, selfCgroup: '0::/' };
  assert.throws(() => openCgroup({ id: 'x', systemd: true, cgroupsPath: '/a/b', host }), (e: Error & { field?: string }) => /expected cgroupsPath to be of format "slice:prefix:name"/.test(e.message) && e.field === '/linux/cgroupsPath');
  assert.throws(() => openCgroup({ id: 'x', systemd: true, cgroupsPath: 'a:b:c', host }), (e: Error & { field?: string }) => /"a" is not a systemd slice name/.test(e.message) && e.field === '/linux/cgroupsPath');
});

test('--rootless: permission errors on create/join are tolerated unless limits were asked for', () => {
  const denied = () => {
    throw new TsrunError('cannot create cgroup /sys/fs/cgroup/x: permission denied', { errno: 'EACCES' });
  };
  const calls: string[] = [];
  const inner = { ...fromPaths({}), prepare: denied, apply: () => void calls.push('apply'), addPid: () => calls.push('addPid'), paths: () => ({ memory: '/x' }) };
  const m = tolerateRootless(inner, true);
  m.create({ devices: [{ allow: false, access: 'rwm' }], cpu: { shares: 0 } });
  m.addPid(1);
  assert.deepEqual(calls, [], 'no limits and no join once the cgroup could not be made');
  assert.deepEqual(m.paths(), {}, 'nothing to store in state.json');
  const m2 = tolerateRootless({ ...inner }, true);
  assert.throws(() => m2.create({ memory: { limit: 1 << 20 } }), (e: Error & { field?: string }) => e.field === '/linux/resources/memory/limit' && /without a cgroup/.test(e.message));
  const other = tolerateRootless({ ...inner, prepare: () => { throw new TsrunError('boom', { errno: 'EINVAL' }); } }, true);
  assert.throws(() => other.create({}), /boom/, 'other errors still fail');
});

test('fromPaths({}): a container without a cgroup of its own (rootless) has no pids', () => {
  const m = fromPaths({});
  assert.deepEqual(m.pids(), []);
  assert.equal(m.exists(), false);
  m.destroy(10);
});
