import { test } from 'node:test';
import assert from 'node:assert/strict';
import { detectLayout, dirOf, parseCgroupMounts, parseProcCgroup } from '../../../src/cgroups/layout.js';
import { v1Mountinfo, v2Mountinfo } from './fake-host.js';

// This project's CI VM: v1 controllers plus a cgroup2 mount that owns hugetlb.
const hybridVm = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;

test('detectLayout: pure v1 (no cgroup2 mount)', () => {
  const l = detectLayout(v1Mountinfo(false));
  assert.equal(l.kind, 'v1');
  assert.equal(l.unified, undefined);
  assert.equal(l.v1.get('cpu')?.mountPoint, '/sys/fs/cgroup/cpu,cpuacct');
  assert.equal(l.v1.get('cpuacct')?.mountPoint, '/sys/fs/cgroup/cpu,cpuacct');
  assert.equal(l.v1.get('name=systemd')?.mountPoint, '/sys/fs/cgroup/systemd');
  assert.equal(l.v1.get('net_prio')?.mountPoint, '/sys/fs/cgroup/net_cls,net_prio');
});

test('detectLayout: hybrid (systemd\'s unified mount beside v1 hierarchies)', () => {
  const l = detectLayout(v1Mountinfo(true));
  assert.equal(l.kind, 'hybrid');
  assert.equal(l.unified?.mountPoint, '/sys/fs/cgroup/unified');
});

test('detectLayout: hybrid as on the CI VM, hugetlb not on any v1 hierarchy', () => {
  const l = detectLayout(hybridVm);
  assert.equal(l.kind, 'hybrid');
  assert.equal(l.v1.has('hugetlb'), false);
  assert.deepEqual([...l.v1.keys()].sort(), ['blkio', 'cpu', 'cpuacct', 'cpuset', 'devices', 'freezer', 'memory', 'name=systemd', 'pids']);
  assert.equal(l.unified?.mountPoint, '/sys/fs/cgroup/unified');
});

test('detectLayout: pure v2', () => {
  const l = detectLayout(v2Mountinfo);
  assert.equal(l.kind, 'v2');
  assert.equal(l.unified?.mountPoint, '/sys/fs/cgroup');
  assert.equal(l.v1.size, 0);
});

test('detectLayout: a named v1 hierarchy alone does not make a v1 host', () => {
  const l = detectLayout(v2Mountinfo + '50 30 0:40 / /sys/fs/cgroup/systemd rw - cgroup cgroup rw,name=systemd\n');
  assert.equal(l.kind, 'v2');
});

test('detectLayout: no cgroup mount at all is an error', () => {
  assert.throws(() => detectLayout('24 1 0:22 / /sys rw - sysfs sysfs rw\n'), /no cgroup mount/);
});

test('parseCgroupMounts: escaped mount points and optional fields', () => {
  const [m] = parseCgroupMounts('60 31 0:50 /sub /mnt/cg\\040x rw shared:5 master:1 - cgroup cgroup rw,memory\n');
  assert.equal(m?.mountPoint, '/mnt/cg x');
  assert.equal(m?.root, '/sub');
  assert.deepEqual(m?.subsystems, ['memory']);
});

test('parseProcCgroup: v1 lines split per controller, cgroup2 keyed ""', () => {
  const m = parseProcCgroup('9:name=systemd:/\n4:memory:/process_api/x\n2:cpu,cpuacct:/a\n0::/user.slice\n');
  assert.equal(m.get('memory'), '/process_api/x');
  assert.equal(m.get('cpu'), '/a');
  assert.equal(m.get('cpuacct'), '/a');
  assert.equal(m.get('name=systemd'), '/');
  assert.equal(m.get(''), '/user.slice');
});

test('dirOf: a mount whose root is a sub-cgroup (cgroupns or bind mount)', () => {
  const mount = { mountPoint: '/sys/fs/cgroup/memory', root: '/docker/abc', fsType: 'cgroup' as const, subsystems: ['memory'] };
  assert.equal(dirOf(mount, '/docker/abc/x'), '/sys/fs/cgroup/memory/x');
  assert.equal(dirOf(mount, '/elsewhere'), '/sys/fs/cgroup/memory');
});
