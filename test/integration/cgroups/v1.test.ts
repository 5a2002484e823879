// cgroup v1 on the host's real hierarchies (v1 controllers, plus the
// cgroup2 "unified" mount of a hybrid host): limits applied by the manager,
// observed from processes we put inside. Each test declares what it needs of
// the host; the cgroup v2 twins are in v2.test.ts.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allowedCpus, blockDevices, requires, type Requirement } from '../../helpers/requires.js';
import { openCgroup, fromPaths, type CgroupManager } from '../../../src/cgroups/index.js';
import { cgPath, distinctOver, hold, cleanUp, until, type Held } from './helpers.js';

/** Every test here: root and v1 controller hierarchies, plus what it names. */
const v1 = (...more: Requirement[]) => requires('root', 'cgroup-v1', ...more);
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

afterEach(() => cleanUp(held, managers));

test('linux.resources.memory.limit: a hog is OOM-killed and the oom count rises', { skip: v1({ controller: 'memory' }, 'swap-accounting') }, async () => {
  const m = cg('oom');
  m.create({ memory: { limit: 16 << 20, swap: 16 << 20 } });
  const before = m.oomKillCount();
  const h = start('read go; x=aaaaaaaaaaaaaaaa; while :; do x=$x$x; done');
  m.addPid(h.pid);
  h.go();
  const res = await h.exited;
  assert.equal(res.signal, 'SIGKILL');
  assert.ok(m.oomKillCount() > before, `oom_kill ${m.oomKillCount()} > ${before}`);
  assert.equal(readFileSync(join(m.paths().memory!, 'memory.limit_in_bytes'), 'utf8').trim(), String(16 << 20));
});

test('linux.resources.pids.limit: pids.max stops a fork bomb', { skip: v1({ controller: 'pids' }) }, async () => {
  const m = cg('pids');
  m.create({ pids: { limit: 8 } });
  // Bounded: at most 40 attempts, each child sleeps, so the limit is hit.
  const h = start('read go; i=0; while [ $i -lt 40 ]; do (sleep 30) & i=$((i+1)); done; echo spawned; sleep 30');
  m.addPid(h.pid);
  h.go();
  await until(() => h.output().includes('spawned'), 5000);
  const s = m.stats();
  assert.ok(s.pids.current <= 8, `pids.current ${s.pids.current}`);
  assert.equal(s.pids.limit, 8);
  assert.match(h.output(), /fork|Resource temporarily unavailable|can't/i);
  const events = readFileSync(join(m.paths().pids!, 'pids.events'), 'utf8');
  assert.match(events, /max [1-9]/);
  m.killAll(9);
  assert.ok(await until(() => m.pids().length === 0, 5000), 'killAll emptied the cgroup');
});

test('linux.resources.cpu.quota: a busy loop is throttled (nr_throttled rises)', { skip: v1({ controller: 'cpu' }) }, async () => {
  const m = cg('cpu');
  m.create({ cpu: { quota: 10000, period: 100000, shares: 512 } });
  const h = start('read go; while :; do :; done');
  m.addPid(h.pid);
  h.go();
  // A 10 ms quota a 100 ms period: the loop is throttled in its first period.
  assert.ok(await until(() => m.stats().cpu.throttling.throttledPeriods > 0, 5000), JSON.stringify(m.stats().cpu.throttling));
  assert.ok(m.stats().cpu.usage.total > 0);
  assert.equal(readFileSync(join(m.paths().cpu!, 'cpu.shares'), 'utf8').trim(), '512');
});

test('linux.resources.cpu.cpus: the process is pinned (Cpus_allowed_list)', { skip: v1({ controller: 'cpuset' }, { cpus: 2 }) }, async () => {
  // the second CPU we may use: pinning to the only one would prove nothing
  const cpu = String(allowedCpus()[1]);
  const m = cg('cpuset');
  m.create({ cpu: { cpus: cpu, mems: '0' } });
  const h = start('read go; sleep 30');
  m.addPid(h.pid);
  const status = readFileSync(`/proc/${h.pid}/status`, 'utf8');
  assert.match(status, new RegExp(`^Cpus_allowed_list:\\s+${cpu}$`, 'm'));
});

test('linux.resources.cpu.cpus: a cpu the host lacks is refused naming the field and file', { skip: v1({ controller: 'cpuset' }) }, () => {
  const m = cg('badcpus');
  assert.throws(
    () => m.create({ cpu: { cpus: '99' } }),
    (e: Error & { field?: string }) =>
      e.field === '/linux/resources/cpu/cpus' && /linux\.resources\.cpu\.cpus "99"/.test(e.message) && /cpuset\.cpus/.test(e.message),
  );
  assert.equal(m.exists(), false, 'a failed create removes what it made');
});

test('linux.resources.devices: /dev/null allowed, /dev/zero denied (v1 devices list)', { skip: v1({ controller: 'devices' }) }, async () => {
  const m = cg('devices');
  // Deny everything, then allow /dev/null only (no defaults: they would allow /dev/zero).
  m.create({ devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' }] });
  const h = start(
    'read go; echo x > /dev/null && echo null-ok; if /bin/busybox head -c1 /dev/zero >/dev/null; then echo zero-ok; else echo zero-denied; fi',
  );
  m.addPid(h.pid);
  h.go();
  await h.drained;
  assert.match(h.output(), /null-ok/);
  assert.match(h.output(), /zero-denied/);
  assert.doesNotMatch(h.output(), /zero-ok/);
  const list = readFileSync(join(m.paths().devices!, 'devices.list'), 'utf8');
  assert.match(list, /^c 1:3 rw$/m);
  assert.doesNotMatch(list, /^c 1:5 /m);
});

test('linux.resources.blockIO: throttle values written; a weight where the I/O scheduler has one, else refused naming the field and file', { skip: v1({ controller: 'blkio' }, 'block-device') }, () => {
  const { major: maj, minor: min } = blockDevices()[0]!;
  const m = cg('blkio');
  m.create({ blockIO: { throttleReadBpsDevice: [{ major: maj, minor: min, rate: 1048576 }], throttleWriteIOPSDevice: [{ major: maj, minor: min, rate: 50 }] } });
  const dir = m.paths().blkio!;
  assert.equal(readFileSync(join(dir, 'blkio.throttle.read_bps_device'), 'utf8').trim(), `${maj}:${min} 1048576`);
  assert.equal(readFileSync(join(dir, 'blkio.throttle.write_iops_device'), 'utf8').trim(), `${maj}:${min} 50`);
  // CFQ (kernels before 5.0) has blkio.weight, BFQ blkio.bfq.weight; none
  // and mq-deadline have no weight at all, and runc and crun fail alike there.
  const weightFile = ['blkio.weight', 'blkio.bfq.weight'].find((f) => existsSync(join(dir, f)));
  if (weightFile) {
    m.set({ blockIO: { weight: 300 } });
    assert.match(readFileSync(join(dir, weightFile), 'utf8'), /\b300\b/);
    return;
  }
  const refused = (e: Error & { field?: string }) =>
    e.field === '/linux/resources/blockIO/weight' && /linux\.resources\.blockIO\.weight "300"/.test(e.message) && /blkio\.weight/.test(e.message) && /no such file or directory/.test(e.message);
  assert.throws(() => m.set({ blockIO: { weight: 300 } }), refused);
  const w = cg('blkio-weight');
  assert.throws(() => w.create({ blockIO: { weight: 300 } }), refused);
  assert.equal(w.exists(), false, 'a refused create leaves no cgroup');
});

test('update: raising a memory limit on a running cgroup (reopened from paths())', { skip: v1({ controller: 'memory' }, 'swap-accounting') }, async () => {
  const m = cg('update');
  m.create({ memory: { limit: 32 << 20 } });
  // Memory touched after joining is charged to the cgroup (about 2 MiB here).
  const h = start('read go; x=aaaaaaaaaaaaaaaa; i=0; while [ $i -lt 17 ]; do x=$x$x; i=$((i+1)); done; echo ready; sleep 30');
  m.addPid(h.pid);
  h.go();
  await until(() => h.output().includes('ready'), 5000);
  const again = fromPaths(JSON.parse(JSON.stringify(m.paths())));
  again.set({ memory: { limit: 64 << 20, swap: 128 << 20 } });
  assert.equal(readFileSync(join(m.paths().memory!, 'memory.limit_in_bytes'), 'utf8').trim(), String(64 << 20));
  assert.equal(readFileSync(join(m.paths().memory!, 'memory.memsw.limit_in_bytes'), 'utf8').trim(), String(128 << 20));
  assert.throws(() => again.set({ memory: { limit: 4096, checkBeforeUpdate: true } }), /below current usage/);
});

test('freeze/thaw (v1 freezer): a counting loop stops moving and resumes', { skip: v1({ controller: 'freezer' }) }, async () => {
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
    await until(() => Number(readFileSync(counter, 'utf8') || 0) > 10, 3000);
    m.freeze();
    assert.equal(m.freezerState(), 'FROZEN');
    const seen = await distinctOver(() => readFileSync(counter, 'utf8'), 300);
    assert.equal(seen.length, 1, `the counter does not move while frozen: ${seen.join(' ')}`);
    const b = seen[0];
    // A frozen task sleeps in the refrigerator: state D (or S on some kernels).
    assert.match(readFileSync(`/proc/${h.pid}/status`, 'utf8'), /^State:\s+[DS]/m);
    m.thaw();
    assert.equal(m.freezerState(), 'THAWED');
    assert.ok(await until(() => readFileSync(counter, 'utf8') !== b, 3000), 'the counter moves again');
  } finally {
    // The loop writes into dir until it is gone.
    h?.kill();
    await h?.exited;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('pids(): exactly the spawned processes, in every v1 hierarchy', { skip: v1() }, async () => {
  const m = cg('pidlist');
  m.create({});
  const a = start('read go; sleep 30');
  const b = start('read go; sleep 30');
  m.addPid(a.pid);
  m.addPid(b.pid);
  const both = [a.pid, b.pid].sort((x, y) => x - y);
  assert.deepEqual(m.pids().sort((x, y) => x - y), both);
  for (const [name, dir] of Object.entries(m.paths())) {
    if (name === 'unified') continue;
    assert.deepEqual(readFileSync(join(dir, 'cgroup.procs'), 'utf8').trim().split('\n').map(Number).sort((x, y) => x - y), both, name);
  }
  m.killAll(15);
  assert.ok(await until(() => m.pids().length === 0, 5000));
});

test('pids() on a hybrid host: the cgroup2 side holds the same processes', { skip: v1('cgroup-hybrid') }, async () => {
  const m = cg('pidlist-unified');
  m.create({});
  const a = start('read go; sleep 30');
  const b = start('read go; sleep 30');
  m.addPid(a.pid);
  m.addPid(b.pid);
  assert.equal(m.kind, 'hybrid');
  const unified = m.paths().unified!;
  assert.deepEqual(readFileSync(join(unified, 'cgroup.procs'), 'utf8').trim().split('\n').map(Number).sort((x, y) => x - y), [a.pid, b.pid].sort((x, y) => x - y));
  m.killAll(9);
  assert.ok(await until(() => m.pids().length === 0, 5000));
});

test('destroy: waits for the last processes to leave, then removes every directory', { skip: v1() }, async () => {
  const m = cg('destroy');
  m.create({});
  // destroy() blocks this thread, so the process must leave on its own.
  const h = start('read go; sleep 1');
  m.addPid(h.pid);
  h.go();
  // still inside when destroy starts: a cgroup with a process cannot be removed, so a destroy that returns waited
  assert.deepEqual(m.pids(), [h.pid], 'the process is still in the cgroup');
  m.destroy(5000);
  assert.equal((await h.exited).code, 0, 'the process left by exiting, not by a signal');
  assert.equal(m.exists(), false);
  for (const p of Object.values(m.paths())) assert.equal(existsSync(p), false, p);
});

test('teardown module alone (kill --all / delete path): kill a paused cgroup, thaw, remove', { skip: v1({ controller: 'freezer' }) }, async () => {
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

test('linux.cgroupsPath below a frozen parent is refused (runtime-spec: not fit for purpose)', { skip: v1({ controller: 'freezer' }) }, () => {
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
