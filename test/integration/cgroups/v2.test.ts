// cgroup v2 on a pure v2 host (one cgroup2 mount at /sys/fs/cgroup, no v1
// controller): the twins of v1.test.ts, with v2's files (memory.max,
// memory.swap.max, pids.max, cpu.max, cpu.weight, cpuset.cpus, io.max,
// io.weight or io.bfq.weight, cgroup.freeze, cgroup.kill) and the eBPF device
// filter. openCgroup() gives the V2Manager there; on a v1 or hybrid host
// every test skips saying so (unified.test.ts runs the V2Manager on a hybrid
// host's cgroup2 mount).
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allowedCpus, blockDevices, requires, type Requirement } from '../../helpers/requires.js';
import { openCgroup, fromPaths, type CgroupManager } from '../../../src/cgroups/index.js';
import { countDevicePrograms } from '../../../src/cgroups/bpf-syscall.js';
import { cgPath, distinctOver, hold, cleanUp, until, type Held } from './helpers.js';

/** Every test here: root and a pure cgroup v2 host, plus what it names. */
const v2 = (...more: Requirement[]) => requires('root', 'cgroup-v2', ...more);
const held: Held[] = [];
const managers: CgroupManager[] = [];

function cg(name: string, cgroupsPath = cgPath(name)): CgroupManager {
  const m = openCgroup({ id: name, cgroupsPath });
  managers.push(m);
  return m;
}

function start(script: string): Held {
  const h = hold(script);
  held.push(h);
  return h;
}

const read = (m: CgroupManager, file: string) => readFileSync(join(m.paths().unified!, file), 'utf8').trim();
const sorted = (pids: number[]) => [...pids].sort((x, y) => x - y);

afterEach(() => cleanUp(held, managers));

test('v2 linux.resources.memory.limit: memory.max and memory.swap.max; a hog is OOM-killed and memory.events oom_kill rises', { skip: v2({ controller: 'memory' }, 'swap-accounting') }, async () => {
  const m = cg('oom');
  m.create({ memory: { limit: 16 << 20, swap: 16 << 20 } });
  assert.equal(m.kind, 'v2');
  assert.equal(read(m, 'memory.max'), String(16 << 20));
  assert.equal(read(m, 'memory.swap.max'), '0', 'memory+swap equal to memory: no swap on v2');
  const before = m.oomKillCount();
  const h = start('read go; x=aaaaaaaaaaaaaaaa; while :; do x=$x$x; done');
  m.addPid(h.pid);
  h.go();
  const res = await h.exited;
  assert.equal(res.signal, 'SIGKILL');
  assert.ok(m.oomKillCount() > before, `oom_kill ${m.oomKillCount()} > ${before}`);
  assert.match(read(m, 'memory.events'), /^oom_kill [1-9]/m);
});

test('v2 linux.resources.pids.limit: pids.max stops a fork bomb, pids.events counts it', { skip: v2({ controller: 'pids' }) }, async () => {
  const m = cg('pids');
  m.create({ pids: { limit: 8 } });
  assert.equal(read(m, 'pids.max'), '8');
  const h = start('read go; i=0; while [ $i -lt 40 ]; do (sleep 30) & i=$((i+1)); done; echo spawned; sleep 30');
  m.addPid(h.pid);
  h.go();
  assert.ok(await until(() => h.output().includes('spawned'), 5000), h.output());
  const s = m.stats();
  assert.ok(s.pids.current <= 8, `pids.current ${s.pids.current}`);
  assert.equal(s.pids.limit, 8);
  assert.match(h.output(), /fork|Resource temporarily unavailable|can't/i);
  assert.match(read(m, 'pids.events'), /^max [1-9]/m);
  m.killAll(9);
  assert.ok(await until(() => m.pids().length === 0, 5000), 'killAll emptied the cgroup');
});

test('v2 linux.resources.cpu: quota and period in cpu.max, shares as cpu.weight; a busy loop is throttled', { skip: v2({ controller: 'cpu' }) }, async () => {
  const m = cg('cpu');
  m.create({ cpu: { quota: 10000, period: 100000, shares: 512 } });
  assert.equal(read(m, 'cpu.max'), '10000 100000');
  assert.equal(read(m, 'cpu.weight'), '59', 'shares 512 as runc converts them');
  const h = start('read go; while :; do :; done');
  m.addPid(h.pid);
  h.go();
  assert.ok(await until(() => m.stats().cpu.throttling.throttledPeriods > 0, 5000), JSON.stringify(m.stats().cpu.throttling));
  assert.ok(m.stats().cpu.usage.total > 0);
});

test('v2 linux.resources.cpu.cpus: cpuset.cpus pins the process (Cpus_allowed_list)', { skip: v2({ controller: 'cpuset' }, { cpus: 2 }) }, () => {
  const cpu = String(allowedCpus()[1]);
  const m = cg('cpuset');
  m.create({ cpu: { cpus: cpu } });
  assert.equal(read(m, 'cpuset.cpus'), cpu);
  const h = start('read go; sleep 30');
  m.addPid(h.pid);
  assert.match(readFileSync(`/proc/${h.pid}/status`, 'utf8'), new RegExp(`^Cpus_allowed_list:\\s+${cpu}$`, 'm'));
});

test('v2 linux.resources.cpu.cpus: a cpu the host lacks is refused naming the field and file', { skip: v2({ controller: 'cpuset' }) }, () => {
  const m = cg('badcpus');
  assert.throws(
    () => m.create({ cpu: { cpus: '99' } }),
    (e: Error & { field?: string }) =>
      e.field === '/linux/resources/cpu/cpus' && /linux\.resources\.cpu\.cpus "99"/.test(e.message) && /cpuset\.cpus/.test(e.message),
  );
  assert.equal(m.exists(), false, 'a failed create removes what it made');
});

test('v2 linux.resources.devices: an eBPF filter lets /dev/null through and denies /dev/zero', { skip: v2() }, async () => {
  const m = cg('devices');
  m.create({ devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' }] });
  assert.equal(countDevicePrograms(m.paths().unified!), 1);
  const h = start('read go; echo x > /dev/null && echo null-ok; if /bin/busybox head -c1 /dev/zero >/dev/null; then echo zero-ok; else echo zero-denied; fi');
  m.addPid(h.pid);
  h.go();
  await h.drained;
  assert.match(h.output(), /null-ok/);
  assert.match(h.output(), /zero-denied/);
  assert.doesNotMatch(h.output(), /zero-ok/);
});

test('v2 linux.resources.blockIO: throttles in io.max; a weight in io.bfq.weight or io.weight, else refused naming the field and file', { skip: v2({ controller: 'io' }, 'block-device') }, () => {
  const { major: maj, minor: min } = blockDevices()[0]!;
  const m = cg('io');
  m.create({ blockIO: { throttleReadBpsDevice: [{ major: maj, minor: min, rate: 1048576 }], throttleWriteIOPSDevice: [{ major: maj, minor: min, rate: 50 }] } });
  assert.equal(read(m, 'io.max'), `${maj}:${min} rbps=1048576 wbps=max riops=max wiops=50`);
  const dir = m.paths().unified!;
  if (existsSync(join(dir, 'io.bfq.weight'))) {
    // BFQ takes blkio's scale as is
    m.set({ blockIO: { weight: 300 } });
    assert.match(read(m, 'io.bfq.weight'), /\b300\b/);
  } else if (existsSync(join(dir, 'io.weight'))) {
    // io.weight's scale is 1..10000: 300 of 10..1000 is 2930, as runc converts it
    m.set({ blockIO: { weight: 300 } });
    assert.match(read(m, 'io.weight'), /\b2930\b/);
  } else {
    assert.throws(
      () => m.set({ blockIO: { weight: 300 } }),
      (e: Error & { field?: string }) => e.field === '/linux/resources/blockIO/weight' && /linux\.resources\.blockIO\.weight "300"/.test(e.message) && /io\.weight/.test(e.message),
    );
  }
});

test('v2 linux.resources.hugepageLimits: hugetlb.2MB.max; a page size the kernel lacks is refused naming the field', { skip: v2({ controller: 'hugetlb' }, 'hugepages-2MB') }, () => {
  const m = cg('huge');
  m.create({ hugepageLimits: [{ pageSize: '2MB', limit: 4 << 20 }] });
  assert.equal(read(m, 'hugetlb.2MB.max'), String(4 << 20));
  assert.ok('2MB' in m.stats().hugetlb);
  m.set({ unified: { 'hugetlb.2MB.max': String(2 << 20) } });
  assert.equal(read(m, 'hugetlb.2MB.max'), String(2 << 20), 'linux.resources.unified writes the file as named');
  assert.throws(() => m.set({ hugepageLimits: [{ pageSize: '3MB', limit: 1 }] }), (e: Error & { field?: string }) => e.field === '/linux/resources/hugepageLimits/0/pageSize');
});

test('v2 update: raising memory.max and memory.swap.max on a running cgroup (reopened from paths()); checkBeforeUpdate refuses a limit below usage', { skip: v2({ controller: 'memory' }, 'swap-accounting') }, async () => {
  const m = cg('update');
  m.create({ memory: { limit: 32 << 20 } });
  const h = start('read go; x=aaaaaaaaaaaaaaaa; i=0; while [ $i -lt 17 ]; do x=$x$x; i=$((i+1)); done; echo ready; sleep 30');
  m.addPid(h.pid);
  h.go();
  assert.ok(await until(() => h.output().includes('ready'), 5000), h.output());
  const again = fromPaths(JSON.parse(JSON.stringify(m.paths())));
  assert.equal(again.kind, 'v2');
  again.set({ memory: { limit: 64 << 20, swap: 128 << 20 } });
  assert.equal(read(m, 'memory.max'), String(64 << 20));
  assert.equal(read(m, 'memory.swap.max'), String(64 << 20), 'v2 holds swap alone: memory+swap minus memory');
  assert.throws(() => again.set({ memory: { limit: 4096, checkBeforeUpdate: true } }), /below current usage/);
});

test('v2 freeze/thaw (cgroup.freeze): a counting loop stops moving and resumes', { skip: v2('freezer') }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsrun-freeze-'));
  let h: Held | undefined;
  try {
    const counter = join(dir, 'n');
    writeFileSync(counter, '0');
    const m = cg('freezer');
    m.create({});
    h = start(`read go; i=0; while :; do i=$((i+1)); echo $i > ${counter}; done`);
    m.addPid(h.pid);
    h.go();
    assert.ok(await until(() => Number(readFileSync(counter, 'utf8') || 0) > 10, 3000), 'the loop counts');
    m.freeze();
    assert.equal(m.freezerState(), 'FROZEN');
    assert.equal(read(m, 'cgroup.freeze'), '1');
    assert.match(read(m, 'cgroup.events'), /^frozen 1$/m);
    const seen = await distinctOver(() => readFileSync(counter, 'utf8'), 300);
    assert.equal(seen.length, 1, `the counter does not move while frozen: ${seen.join(' ')}`);
    const a = seen[0];
    m.thaw();
    assert.equal(m.freezerState(), 'THAWED');
    assert.ok(await until(() => readFileSync(counter, 'utf8') !== a, 3000), 'the counter moves again');
  } finally {
    h?.kill();
    await h?.exited;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('v2 pids(): exactly the spawned processes, in the one cgroup.procs', { skip: v2() }, async () => {
  const m = cg('pidlist');
  m.create({});
  const a = start('read go; sleep 30');
  const b = start('read go; sleep 30');
  m.addPid(a.pid);
  m.addPid(b.pid);
  assert.deepEqual(Object.keys(m.paths()), ['unified']);
  assert.deepEqual(sorted(m.pids()), sorted([a.pid, b.pid]));
  assert.deepEqual(sorted(read(m, 'cgroup.procs').split('\n').map(Number)), sorted([a.pid, b.pid]));
  m.killAll(15);
  assert.ok(await until(() => m.pids().length === 0, 5000));
});

test('v2 destroy: waits for the last processes to leave, then removes the directory', { skip: v2() }, async () => {
  const m = cg('destroy');
  m.create({});
  const h = start('read go; sleep 1');
  m.addPid(h.pid);
  h.go();
  assert.deepEqual(m.pids(), [h.pid], 'the process is still in the cgroup');
  m.destroy(5000);
  assert.equal((await h.exited).code, 0, 'the process left by exiting, not by a signal');
  assert.equal(m.exists(), false);
  assert.equal(existsSync(m.paths().unified!), false);
});

test('v2 teardown module alone (kill --all / delete path): SIGKILL through cgroup.kill of a frozen cgroup, thaw, remove', { skip: v2('freezer') }, async () => {
  const { killCgroup, thawCgroup, removeCgroup, cgroupPids } = await import('../../../src/cgroups/teardown.js');
  const m = cg('teardown');
  m.create({});
  const h = start('read go; sleep 30');
  m.addPid(h.pid);
  m.freeze();
  const paths = JSON.parse(JSON.stringify(m.paths())) as Record<string, string>;
  assert.deepEqual(cgroupPids(paths), [h.pid]);
  killCgroup(paths, 9);
  thawCgroup(paths);
  assert.equal((await h.exited).signal, 'SIGKILL');
  removeCgroup(paths, 5000);
  assert.equal(m.exists(), false);
});

test('v2 linux.cgroupsPath below a frozen parent is refused (runtime-spec: not fit for purpose)', { skip: v2('freezer') }, () => {
  const parent = cg('frozen-parent');
  parent.create({});
  parent.freeze();
  try {
    const child = cg('frozen-parent/child');
    assert.throws(() => child.create({}), (e: Error & { field?: string }) => /unexpectedly frozen/.test(e.message) && e.field === '/linux/cgroupsPath');
    assert.equal(child.exists(), false);
  } finally {
    parent.thaw();
  }
});
