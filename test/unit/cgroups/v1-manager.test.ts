import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openCgroup, fromPaths } from '../../../src/cgroups/index.js';
import { containerDeviceRules } from '../../../src/cgroups/devices/rules.js';
import { kernelList, v1RuleText } from '../../../src/cgroups/v1/devices.js';
import { eventData } from '../../../src/cgroups/stats.js';
import { controllerFiles, fakeHost, fillV1, v1Mountinfo, type FakeHost } from './fake-host.js';

const CG = '/sys/fs/cgroup';

function setup(opts: { unified?: boolean; hugetlbOnV1?: boolean } = {}) {
  const fake = fakeHost(v1Mountinfo(opts.unified ?? false, opts.hugetlbOnV1 ?? true));
  const m = openCgroup({ id: 'c1', cgroupsPath: '/c1', host: fake.host });
  // Hierarchy roots, as the kernel shows them.
  fake.fill(join(fake.root, CG, 'cpuset'), { ...controllerFiles.cpuset, 'cpuset.cpus': '0-1', 'cpuset.mems': '0' });
  if (opts.unified) fake.fill(join(fake.root, CG, 'unified'), { 'cgroup.controllers': 'hugetlb', 'cgroup.subtree_control': '' });
  fillV1(fake, m.paths());
  return { fake, m };
}

const val = (fake: FakeHost, sub: string, file: string) => fake.read(join(CG, sub, 'c1', file));
const writesTo = (fake: FakeHost, file: string) => fake.writes.filter(([p]) => p.endsWith('/' + file)).map(([, v]) => v);

test('v1: every linux.resources field lands in its cgroup file', (t) => {
  const { fake, m } = setup();
  t.after(() => fake.remove());
  m.create({
    cpu: { shares: 512, quota: 50000, period: 100000, burst: 10000, realtimeRuntime: 900, realtimePeriod: 1000, cpus: '1', mems: '0', idle: 1 },
    memory: { limit: 64 << 20, reservation: 32 << 20, swap: 128 << 20, swappiness: 10, disableOOMKiller: true, kernel: 1 << 20, kernelTCP: 1 << 20 },
    pids: { limit: 100 },
    blockIO: {
      weight: 300, leafWeight: 200,
      weightDevice: [{ major: 8, minor: 0, weight: 400, leafWeight: 100 }],
      throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }],
      throttleWriteBpsDevice: [{ major: 8, minor: 16, rate: 2097152 }],
      throttleReadIOPSDevice: [{ major: 8, minor: 0, rate: 100 }],
      throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 200 }],
    },
    hugepageLimits: [{ pageSize: '2MB', limit: 4194304 }],
    network: { classID: 1048577, priorities: [{ name: 'eth0', priority: 5 }, { name: 'lo', priority: 1 }] },
    rdma: { mlx5_1: { hcaHandles: 3, hcaObjects: 10000 }, rxe3: { hcaObjects: 7 } },
    devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' }],
  });
  const cpu = 'cpu,cpuacct';
  assert.equal(val(fake, cpu, 'cpu.shares'), '512');
  assert.equal(val(fake, cpu, 'cpu.cfs_quota_us'), '50000');
  assert.equal(val(fake, cpu, 'cpu.cfs_period_us'), '100000');
  assert.equal(val(fake, cpu, 'cpu.cfs_burst_us'), '10000');
  assert.equal(val(fake, cpu, 'cpu.idle'), '1');
  assert.equal(val(fake, cpu, 'cpu.rt_runtime_us'), '900');
  assert.equal(val(fake, cpu, 'cpu.rt_period_us'), '1000');
  assert.equal(val(fake, 'cpuset', 'cpuset.cpus'), '1');
  assert.equal(val(fake, 'cpuset', 'cpuset.mems'), '0');
  assert.equal(val(fake, 'memory', 'memory.limit_in_bytes'), String(64 << 20));
  assert.equal(val(fake, 'memory', 'memory.memsw.limit_in_bytes'), String(128 << 20));
  assert.equal(val(fake, 'memory', 'memory.soft_limit_in_bytes'), String(32 << 20));
  assert.equal(val(fake, 'memory', 'memory.swappiness'), '10');
  assert.equal(val(fake, 'memory', 'memory.oom_control'), '1');
  // Kernel memory is ignored, as runc does.
  assert.deepEqual(writesTo(fake, 'memory.kmem.limit_in_bytes'), []);
  assert.equal(val(fake, 'pids', 'pids.max'), '100');
  assert.equal(val(fake, 'blkio', 'blkio.weight'), '300');
  assert.equal(val(fake, 'blkio', 'blkio.leaf_weight'), '200');
  assert.equal(val(fake, 'blkio', 'blkio.weight_device'), '8:0 400');
  assert.equal(val(fake, 'blkio', 'blkio.leaf_weight_device'), '8:0 100');
  assert.equal(val(fake, 'blkio', 'blkio.throttle.read_bps_device'), '8:0 1048576');
  assert.equal(val(fake, 'blkio', 'blkio.throttle.write_bps_device'), '8:16 2097152');
  assert.equal(val(fake, 'blkio', 'blkio.throttle.read_iops_device'), '8:0 100');
  assert.equal(val(fake, 'blkio', 'blkio.throttle.write_iops_device'), '8:0 200');
  assert.equal(val(fake, 'hugetlb', 'hugetlb.2MB.limit_in_bytes'), '4194304');
  assert.equal(val(fake, 'hugetlb', 'hugetlb.2MB.rsvd.limit_in_bytes'), '4194304');
  assert.equal(val(fake, 'net_cls,net_prio', 'net_cls.classid'), '1048577');
  assert.deepEqual(writesTo(fake, 'net_prio.ifpriomap'), ['eth0 5', 'lo 1']);
  assert.deepEqual(writesTo(fake, 'rdma.max'), ['mlx5_1 hca_handle=3 hca_object=10000', 'rxe3 hca_object=7']);
  // the list starts by denying everything: that first rule is the only "a"
  assert.deepEqual(writesTo(fake, 'devices.deny'), ['a']);
  assert.deepEqual(writesTo(fake, 'devices.allow'), ['c 1:3 rw']);
});

test('v1: a device list that does not start by denying everything gets the "a" deny first', (t) => {
  const { fake, m } = setup();
  t.after(() => fake.remove());
  m.create({ devices: [{ allow: true, type: 'c', major: 1, minor: 3, access: 'rw' }] });
  assert.deepEqual(writesTo(fake, 'devices.deny'), ['a']);
  assert.deepEqual(writesTo(fake, 'devices.allow'), ['c 1:3 rw']);
  const order = fake.writes.filter(([p]) => /devices\.(allow|deny)$/.test(p)).map(([p, v]) => `${p.slice(p.lastIndexOf('/') + 1)} ${v}`);
  assert.deepEqual(order, ['devices.deny a', 'devices.allow c 1:3 rw']);
});

test('v1: a new cpuset cgroup is seeded from its parent before anything joins', (t) => {
  const { fake, m } = setup();
  t.after(() => fake.remove());
  m.create({});
  assert.equal(val(fake, 'cpuset', 'cpuset.cpus'), '0-1');
  assert.equal(val(fake, 'cpuset', 'cpuset.mems'), '0');
});

test('v1: zero values are "unset" (docker sends cpu.shares 0, blockIO.weight 0)', (t) => {
  const { fake, m } = setup();
  t.after(() => fake.remove());
  m.create({ cpu: { shares: 0 }, blockIO: { weight: 0 }, memory: { disableOOMKiller: false } });
  assert.deepEqual(writesTo(fake, 'cpu.shares'), []);
  assert.deepEqual(writesTo(fake, 'blkio.weight'), []);
  assert.deepEqual(writesTo(fake, 'memory.oom_control'), []);
});

test('v1 memory+swap: raising writes memsw first, lowering writes the limit first', (t) => {
  const { fake, m } = setup();
  t.after(() => fake.remove());
  m.create({});
  const mem = join(fake.root, CG, 'memory', 'c1');
  fake.fill(mem, { ...controllerFiles.memory, 'memory.limit_in_bytes': String(100 << 20) });
  fake.writes.length = 0;
  m.set({ memory: { limit: 200 << 20, swap: 400 << 20 } });
  assert.deepEqual(fake.writes.map(([p]) => p.split('/').pop()), ['memory.memsw.limit_in_bytes', 'memory.limit_in_bytes']);
  fake.writes.length = 0;
  m.set({ memory: { limit: 50 << 20, swap: 80 << 20 } });
  assert.deepEqual(fake.writes.map(([p]) => p.split('/').pop()), ['memory.limit_in_bytes', 'memory.memsw.limit_in_bytes']);
  fake.writes.length = 0;
  m.set({ memory: { limit: -1 } });
  assert.deepEqual(fake.writes.map(([p, v]) => `${p.split('/').pop()}=${v}`), ['memory.memsw.limit_in_bytes=-1', 'memory.limit_in_bytes=-1']);
});

test('v1 memory: checkBeforeUpdate refuses a limit below usage', (t) => {
  const { fake, m } = setup();
  t.after(() => fake.remove());
  m.create({});
  assert.throws(
    () => m.set({ memory: { limit: 1000, checkBeforeUpdate: true } }),
    (e: Error & { field?: string }) => /rejecting memory limit 1000 below current usage 4096000/.test(e.message) && e.field === '/linux/resources/memory/limit',
  );
  m.set({ memory: { limit: 1000 } }); // without the flag the kernel decides
});

test('v1 pids: -1 is max, 0 is a real limit', (t) => {
  const { fake, m } = setup();
  t.after(() => fake.remove());
  m.create({ pids: { limit: -1 } });
  assert.equal(val(fake, 'pids', 'pids.max'), 'max');
  m.set({ pids: { limit: 0 } });
  assert.equal(val(fake, 'pids', 'pids.max'), '0');
});

test('v1: a refused write names the config field and the file; create removes what it made', (t) => {
  const { fake, m } = setup();
  t.after(() => fake.remove());
  // A directory where the file should be: the write fails like a refused value would.
  const cpusetDir = join(fake.root, CG, 'cpuset', 'c1');
  rmSync(join(cpusetDir, 'cpuset.mems'));
  mkdirSync(join(cpusetDir, 'cpuset.mems'));
  assert.throws(
    () => m.create({ cpu: { mems: '7' } }),
    (e: Error & { field?: string }) =>
      e.field === '/linux/resources/cpu/mems' && e.message.includes('linux.resources.cpu.mems "7"') && e.message.includes('/cpuset/c1/cpuset.mems'),
  );
});

test('v1: a field whose controller is not mounted is refused by name', (t) => {
  const fake = fakeHost(v1Mountinfo(false, false));
  t.after(() => fake.remove());
  const m = openCgroup({ id: 'c1', cgroupsPath: '/c1', host: fake.host });
  fillV1(fake, m.paths());
  assert.throws(() => m.set({ hugepageLimits: [{ pageSize: '2MB', limit: 1 }] }), (e: Error & { field?: string }) => e.field === '/linux/resources/hugepageLimits' && /hugetlb cgroup controller is not mounted/.test(e.message));
  assert.throws(() => m.set({ unified: { 'memory.high': '1' } }), /cgroup v1 only/);
});

test('hybrid: hugetlb goes to the cgroup2 side when no v1 hierarchy has it, and the controller is enabled there', (t) => {
  const { fake, m } = setup({ unified: true, hugetlbOnV1: false });
  t.after(() => fake.remove());
  assert.equal(m.kind, 'hybrid');
  m.create({ hugepageLimits: [{ pageSize: '2MB', limit: 2097152 }] });
  assert.equal(fake.read(join(CG, 'unified', 'cgroup.subtree_control')), '+hugetlb');
  assert.equal(val(fake, 'unified', 'hugetlb.2MB.max'), '2097152');
  assert.equal(val(fake, 'unified', 'hugetlb.2MB.rsvd.max'), '2097152');
  m.addPid(4242);
  for (const dir of new Set(Object.values(m.paths()))) assert.equal(fake.read(join(dir, 'cgroup.procs')), '4242');
});

test('v1: addPid joins every hierarchy; pids() lists them recursively; destroy removes deepest first', (t) => {
  const { fake, m } = setup({ unified: true });
  t.after(() => fake.remove());
  m.create({});
  m.addPid(101);
  fake.fill(join(fake.root, CG, 'pids', 'c1', 'sub'), { 'pids.max': 'max' });
  writeFileSync(join(fake.root, CG, 'pids', 'c1', 'sub', 'cgroup.procs'), '202\n');
  assert.deepEqual(m.pids().sort(), [101, 202]);
  assert.equal(m.exists(), true);
  // A fake tree holds files; clear them so rmdir can work as on cgroupfs.
  for (const dir of new Set(Object.values(m.paths()))) rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(fake.root, CG, 'pids', 'c1', 'sub'), { recursive: true });
  m.destroy(100);
  assert.equal(m.exists(), false);
  for (const dir of Object.values(m.paths())) assert.equal(existsSync(dir), false);
});

test('v1: paths() round-trips through fromPaths()', (t) => {
  const { fake, m } = setup({ unified: true });
  t.after(() => fake.remove());
  const again = fromPaths(JSON.parse(JSON.stringify(m.paths())));
  assert.equal(again.kind, 'hybrid');
  assert.deepEqual(again.paths(), m.paths());
  assert.equal(fromPaths({ memory: '/x' }).kind, 'v1');
});

test('v1 freezer: freeze writes FROZEN and reads the state back', (t) => {
  const { fake, m } = setup();
  t.after(() => fake.remove());
  m.create({});
  assert.equal(m.freezerState(), 'THAWED');
  m.freeze(); // the fake file reads back what was written: FROZEN at once
  assert.equal(m.freezerState(), 'FROZEN');
  m.thaw();
  assert.equal(m.freezerState(), 'THAWED');
});

test('v1 stats: runc events shape from the v1 files', (t) => {
  const { fake, m } = setup({ unified: true, hugetlbOnV1: true });
  t.after(() => fake.remove());
  m.create({});
  const s = m.stats();
  assert.equal(s.cpu.usage.total, 123456789);
  assert.deepEqual(s.cpu.usage.percpu, [100000000, 23456789]);
  assert.equal(s.cpu.usage.user, 5e7);
  assert.equal(s.cpu.usage.kernel, 7e7);
  assert.deepEqual(s.cpu.throttling, { periods: 10, throttledPeriods: 3, throttledTime: 5000 });
  assert.equal(s.memory.cache, 8192);
  assert.equal(s.memory.usage.usage, 4096000);
  assert.equal(s.memory.usage.max, 5000000);
  assert.equal(s.pids.current, 3);
  assert.equal(s.pids.limit, 0, 'max reads as no limit');
  assert.deepEqual(s.blkio.ioServiceBytesRecursive, [
    { major: 8, minor: 0, op: 'Read', value: 4096 },
    { major: 8, minor: 0, op: 'Write', value: 8192 },
    { major: 8, minor: 0, op: 'Sync', value: 0 },
  ]);
  assert.deepEqual(s.hugetlb['2MB'], { usage: 2097152, max: 4194304, failcnt: 1 });
  assert.deepEqual(s.cpuset.cpus, [0, 1]);
  assert.equal(m.oomKillCount(), 2);
  const data = eventData(s);
  assert.deepEqual(Object.keys(data), ['cpu', 'cpuset', 'memory', 'pids', 'blkio', 'hugetlb', 'intel_rdt', 'network_interfaces']);
  assert.deepEqual(data.pids, { current: 3 });
  assert.deepEqual((data.blkio as Record<string, unknown[]>).ioServiceBytesRecursive![2], { major: 8, op: 'Sync' }, 'minor 0 and value 0 are omitted, as Go omitempty does');
});

test('v1 devices: the kernel list the rules produce (used to skip no-op rewrites)', () => {
  const rules = containerDeviceRules([{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }]);
  const list = kernelList(rules);
  assert.ok(list.includes('c *:* m'));
  assert.ok(list.includes('c 1:3 rwm'));
  assert.ok(list.includes('c 136:* rwm'));
  assert.deepEqual(kernelList([{ allow: true, type: 'a', major: -1, minor: -1, access: 'rwm' }]), ['a *:* rwm']);
  assert.deepEqual(kernelList([{ allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, { allow: false, type: 'c', major: 1, minor: 3, access: 'w' }]), ['c 1:3 rm']);
  assert.equal(v1RuleText({ allow: false, type: 'a', major: -1, minor: -1, access: 'rwm' }), 'a');
  assert.equal(v1RuleText({ allow: true, type: 'c', major: 136, minor: -1, access: 'rwm' }), 'c 136:* rwm');
});

test('v1 devices: an update equal to what the kernel has writes nothing while processes run', (t) => {
  const { fake, m } = setup();
  t.after(() => fake.remove());
  const rules = containerDeviceRules([{ allow: false, access: 'rwm' }]);
  m.create({ deviceRules: rules });
  const dev = join(fake.root, CG, 'devices', 'c1');
  writeFileSync(join(dev, 'cgroup.procs'), '77\n');
  writeFileSync(join(dev, 'devices.list'), kernelList(rules).join('\n') + '\n');
  fake.writes.length = 0;
  m.set({ deviceRules: rules });
  assert.deepEqual(fake.writes, []);
});
