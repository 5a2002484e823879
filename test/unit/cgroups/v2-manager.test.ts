import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { openCgroup, fromPaths } from '../../../src/cgroups/index.js';
import { eventData } from '../../../src/cgroups/stats.js';
import { fakeHost, v2Files, v2Mountinfo } from './fake-host.js';

const ROOT = '/sys/fs/cgroup';

function setup(files: Record<string, string> = v2Files) {
  const fake = fakeHost(v2Mountinfo);
  fake.fill(join(fake.root, ROOT), { 'cgroup.controllers': 'cpuset cpu io memory hugetlb pids rdma misc', 'cgroup.subtree_control': '' });
  fake.fill(join(fake.root, ROOT, 'pod'), { 'cgroup.controllers': 'cpuset cpu io memory hugetlb pids rdma misc', 'cgroup.subtree_control': '' });
  const m = openCgroup({ id: 'c1', cgroupsPath: '/pod/c1', host: fake.host });
  const dir = m.paths().unified!;
  fake.fill(dir, files);
  const val = (f: string) => fake.read(join(dir, f));
  const writesTo = (f: string) => fake.writes.filter(([p]) => p.endsWith('/' + f)).map(([, v]) => v);
  return { fake, m, dir, val, writesTo };
}

test('v2: every linux.resources field maps to its cgroup v2 file', (t) => {
  const { fake, m, val, writesTo } = setup();
  t.after(() => fake.remove());
  assert.equal(m.kind, 'v2');
  m.create({
    cpu: { shares: 1024, quota: 50000, period: 200000, burst: 1000, cpus: '0-1', mems: '0', idle: 0 },
    memory: { limit: 64 << 20, reservation: 16 << 20, swap: 96 << 20, kernel: 1, swappiness: 5 },
    pids: { limit: 64 },
    blockIO: {
      weight: 500,
      weightDevice: [{ major: 8, minor: 0, weight: 1000 }],
      throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1000 }],
      throttleWriteBpsDevice: [{ major: 8, minor: 0, rate: 2000 }],
      throttleReadIOPSDevice: [{ major: 8, minor: 0, rate: 30 }],
      throttleWriteIOPSDevice: [{ major: 8, minor: 0, rate: 40 }],
    },
    hugepageLimits: [{ pageSize: '2MB', limit: 2097152 }, { pageSize: '1GB', limit: 0 }],
    rdma: { mlx4_0: { hcaObjects: 1000 } },
    unified: { 'memory.high': '50000000', 'io.max': '8:16 rbps=1\n8:32 wbps=2' },
  });
  assert.equal(val('cpu.weight'), '100', 'shares 1024 -> weight 100');
  assert.equal(val('cpu.max'), '50000 200000');
  assert.equal(val('cpu.max.burst'), '1000');
  assert.equal(val('cpu.idle'), '0');
  assert.equal(val('cpuset.cpus'), '0-1');
  assert.equal(val('cpuset.mems'), '0');
  assert.equal(val('memory.max'), String(64 << 20));
  assert.equal(val('memory.swap.max'), String(32 << 20), 'swap = memory+swap - memory');
  assert.equal(val('memory.low'), String(16 << 20));
  assert.equal(val('pids.max'), '64');
  assert.equal(val('io.weight'), '8:0 10000', 'per-device weight converted; default weight written before');
  assert.deepEqual(writesTo('io.weight'), ['4950', '8:0 10000']);
  assert.deepEqual(writesTo('io.max'), ['8:0 rbps=1000', '8:0 wbps=2000', '8:0 riops=30', '8:0 wiops=40', '8:16 rbps=1', '8:32 wbps=2']);
  assert.equal(val('hugetlb.2MB.max'), '2097152');
  assert.equal(val('hugetlb.2MB.rsvd.max'), '2097152');
  assert.equal(val('hugetlb.1GB.max'), '0');
  assert.equal(val('rdma.max'), 'mlx4_0 hca_object=1000');
  assert.equal(val('memory.high'), '50000000');
  // Every ancestor got the controllers enabled, one write each.
  assert.ok(writesTo('cgroup.subtree_control').includes('+memory'));
  assert.ok(writesTo('cgroup.subtree_control').includes('+hugetlb'));
});

test('v2 cpu.max: quota without a period uses 100000; period alone means "max"', (t) => {
  const { fake, m, val } = setup();
  t.after(() => fake.remove());
  m.create({ cpu: { quota: 25000 } });
  assert.equal(val('cpu.max'), '25000 100000');
  m.set({ cpu: { period: 50000 } });
  assert.equal(val('cpu.max'), 'max 50000');
  m.set({ cpu: { quota: -1, period: 100000 } });
  assert.equal(val('cpu.max'), 'max 100000');
});

test('v2 memory: -1 is "max", swap -1 is "max", memory+swap equal to memory is swap 0', (t) => {
  const { fake, m, val } = setup();
  t.after(() => fake.remove());
  m.create({ memory: { limit: -1 } });
  assert.equal(val('memory.max'), 'max');
  assert.equal(val('memory.swap.max'), 'max');
  m.set({ memory: { limit: 1 << 20, swap: 1 << 20 } });
  assert.equal(val('memory.swap.max'), '0');
  m.set({ memory: { limit: 1 << 20, swap: -1 } });
  assert.equal(val('memory.swap.max'), 'max');
  assert.throws(() => m.set({ memory: { limit: 1 << 20, swap: 1 << 10 } }), /should be >= memory limit/);
});

test('v2 memory: checkBeforeUpdate refuses a limit below memory.current', (t) => {
  const { fake, m } = setup();
  t.after(() => fake.remove());
  m.create({});
  assert.throws(() => m.set({ memory: { limit: 4096, checkBeforeUpdate: true } }), /rejecting memory limit 4096 below current usage 1048576/);
});

test('v2 pids: -1 is max, 0 is written as 0', (t) => {
  const { fake, m, val } = setup();
  t.after(() => fake.remove());
  m.create({ pids: { limit: -1 } });
  assert.equal(val('pids.max'), 'max');
  m.set({ pids: { limit: 0 } });
  assert.equal(val('pids.max'), '0');
});

test('v2 io: BFQ takes the v1 weight scale as is', (t) => {
  const { fake, m, val, writesTo } = setup({ ...v2Files, 'io.bfq.weight': 'default 100\n' });
  t.after(() => fake.remove());
  m.create({ blockIO: { weight: 300, weightDevice: [{ major: 8, minor: 0, weight: 200 }] } });
  assert.deepEqual(writesTo('io.bfq.weight'), ['300', '8:0 200']);
  assert.equal(val('io.weight'), 'default 100', 'io.weight untouched');
});

test('v2 unified: unknown controller and missing file are refused, naming the key', (t) => {
  const { fake, m } = setup();
  t.after(() => fake.remove());
  m.create({});
  assert.throws(
    () => m.set({ unified: { 'bogus.max': '1' } }),
    (e: Error & { field?: string }) => e.field === '/linux/resources/unified/bogus.max' && /controller "bogus" not available/.test(e.message),
  );
  assert.throws(
    () => m.set({ unified: { 'memory.nosuchfile': '1' } }),
    (e: Error & { field?: string }) => e.field === '/linux/resources/unified/memory.nosuchfile' && /no such cgroup file/.test(e.message),
  );
  assert.throws(() => m.set({ unified: { '../x.max': '1' } }), (e: Error & { field?: string }) => e.field === '/linux/resources/unified/..~1x.max');
  assert.throws(() => m.set({ unified: { nodot: '1' } }), /CONTROLLER.PARAMETER/);
});

test('v2: a controller that is not enabled for the cgroup is refused with the field', (t) => {
  const { fake, m } = setup({ ...v2Files, 'cgroup.controllers': 'cpu memory pids' });
  t.after(() => fake.remove());
  assert.throws(
    () => m.create({ hugepageLimits: [{ pageSize: '2MB', limit: 1 }] }),
    (e: Error & { field?: string }) => e.field === '/linux/resources/hugepageLimits' && /hugetlb controller is not enabled/.test(e.message),
  );
  assert.throws(() => m.set({ cpu: { realtimeRuntime: 5 } }), /realtime/);
  assert.throws(() => m.set({ network: { classID: 1 } }), /net_cls/);
});

test('v2 freezer and kill: cgroup.freeze, cgroup.events, cgroup.kill', (t) => {
  const { fake, m, dir, val, writesTo } = setup();
  t.after(() => fake.remove());
  m.create({});
  assert.equal(m.freezerState(), 'THAWED');
  writeFileSync(join(dir, 'cgroup.events'), 'populated 1\nfrozen 1\n'); // what the kernel reports once frozen
  m.freeze();
  assert.equal(val('cgroup.freeze'), '1');
  assert.equal(m.freezerState(), 'FROZEN');
  writeFileSync(join(dir, 'cgroup.events'), 'populated 1\nfrozen 0\n');
  assert.equal(m.freezerState(), 'FREEZING');
  m.thaw();
  assert.equal(m.freezerState(), 'THAWED');
  m.killAll(9);
  assert.deepEqual(writesTo('cgroup.kill'), ['1']);
});

test('v2 stats: cpu.stat, memory, io.stat, pids, hugetlb in the runc shape', (t) => {
  const { fake, m } = setup();
  t.after(() => fake.remove());
  m.create({});
  const s = m.stats();
  assert.equal(s.cpu.usage.total, 2_000_000);
  assert.equal(s.cpu.usage.user, 1_500_000);
  assert.equal(s.cpu.usage.kernel, 500_000);
  assert.deepEqual(s.cpu.throttling, { periods: 4, throttledPeriods: 1, throttledTime: 30_000 });
  assert.equal(s.memory.cache, 8192);
  assert.equal(s.memory.usage.usage, 1048576);
  assert.equal(s.memory.usage.failcnt, 2);
  assert.equal(s.pids.current, 2);
  assert.deepEqual(s.blkio.ioServiceBytesRecursive, [
    { major: 8, minor: 0, op: 'Read', value: 4096 },
    { major: 8, minor: 0, op: 'Write', value: 8192 },
  ]);
  assert.deepEqual(s.blkio.ioServicedRecursive.map((e) => e.value), [1, 2]);
  assert.deepEqual(s.hugetlb['2MB'], { usage: 0, max: 0, failcnt: 0 });
  assert.deepEqual(s.cpuset.cpus, [0, 1, 2, 3]);
  assert.equal(m.oomKillCount(), 1);
  const data = eventData(s);
  assert.deepEqual(data.hugetlb, { '2MB': { failcnt: 0 } });
  assert.deepEqual(fromPaths(m.paths()).paths(), m.paths());
});
