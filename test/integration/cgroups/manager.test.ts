// What every CgroupManager does the same way on whatever layout the host has
// (v1, hybrid or pure v2, through openCgroup()): memory, pids, cpu and cpuset
// limits seen working on processes inside, freezing, listing pids,
// destroying, the teardown module, and a frozen parent. Only the file names
// differ (cgFile); what one layout alone has is in v1.test.ts and v2.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { allowedCpus, requires } from '../../helpers/requires.js';
import { fromPaths, type CgroupManager } from '../../../src/cgroups/index.js';
import { countDevicePrograms } from '../../../src/cgroups/bpf-syscall.js';
import { distinctOver, perTest, until, type Held } from './helpers.js';

const { cg, start } = perTest();

const sorted = (pids: number[]) => [...pids].sort((x, y) => x - y);

/** A file of the cgroup: in the v1 controller's directory (v1, hybrid), or in v2's one directory by v2's name. */
function cgFile(m: CgroupManager, controller: string, v1Name: string, v2Name = v1Name): string {
  const p = m.paths();
  const [dir, name] = m.kind === 'v2' ? [p.unified!, v2Name] : [p[controller]!, v1Name];
  return readFileSync(join(dir, name), 'utf8').trim();
}

test('linux.resources.memory.limit: the limit file, and a hog is OOM-killed while the oom count rises', { skip: requires('root', { controller: 'memory' }, 'swap-accounting') }, async () => {
  const m = cg('oom');
  m.create({ memory: { limit: 16 << 20, swap: 16 << 20 } });
  assert.equal(cgFile(m, 'memory', 'memory.limit_in_bytes', 'memory.max'), String(16 << 20));
  // memory+swap equal to memory: v1's memsw is that sum, v2's swap alone is 0
  assert.equal(cgFile(m, 'memory', 'memory.memsw.limit_in_bytes', 'memory.swap.max'), m.kind === 'v2' ? '0' : String(16 << 20));
  const before = m.oomKillCount();
  const h = start('read go; x=aaaaaaaaaaaaaaaa; while :; do x=$x$x; done');
  m.addPid(h.pid);
  h.go();
  const res = await h.exited;
  assert.equal(res.signal, 'SIGKILL');
  assert.ok(m.oomKillCount() > before, `oom_kill ${m.oomKillCount()} > ${before}`);
});

test('update: raising a memory limit on a running cgroup (reopened from paths()); checkBeforeUpdate refuses a limit below usage', { skip: requires('root', { controller: 'memory' }, 'swap-accounting') }, async () => {
  const m = cg('update');
  m.create({ memory: { limit: 32 << 20 } });
  // Memory touched after joining is charged to the cgroup (about 2 MiB here).
  const h = start('read go; x=aaaaaaaaaaaaaaaa; i=0; while [ $i -lt 17 ]; do x=$x$x; i=$((i+1)); done; echo ready; sleep 30');
  m.addPid(h.pid);
  h.go();
  assert.ok(await until(() => h.output().includes('ready'), 5000), h.output());
  const again = fromPaths(JSON.parse(JSON.stringify(m.paths())));
  assert.equal(again.kind, m.kind, 'reopened as the same kind of manager');
  again.set({ memory: { limit: 64 << 20, swap: 128 << 20 } });
  assert.equal(cgFile(m, 'memory', 'memory.limit_in_bytes', 'memory.max'), String(64 << 20));
  // v1's memsw is memory+swap; v2 holds swap alone: memory+swap minus memory
  assert.equal(cgFile(m, 'memory', 'memory.memsw.limit_in_bytes', 'memory.swap.max'), String(m.kind === 'v2' ? 64 << 20 : 128 << 20));
  assert.throws(() => again.set({ memory: { limit: 4096, checkBeforeUpdate: true } }), /below current usage/);
});

test('linux.resources.devices: /dev/null allowed, /dev/zero denied (v1\'s devices list, v2\'s eBPF filter)', { skip: requires('root', { controller: 'devices' }) }, async () => {
  const m = cg('devices');
  // Deny everything, then allow /dev/null only (no defaults: they would allow /dev/zero).
  m.create({ devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' }] });
  const h = start('read go; echo x > /dev/null && echo null-ok; if /bin/busybox head -c1 /dev/zero >/dev/null; then echo zero-ok; else echo zero-denied; fi');
  m.addPid(h.pid);
  h.go();
  await h.drained;
  assert.match(h.output(), /null-ok/);
  assert.match(h.output(), /zero-denied/);
  assert.doesNotMatch(h.output(), /zero-ok/);
  if (m.kind === 'v2') {
    assert.equal(countDevicePrograms(m.paths().unified!), 1, 'one eBPF program attached');
  } else {
    const list = cgFile(m, 'devices', 'devices.list');
    assert.match(list, /^c 1:3 rw$/m);
    assert.doesNotMatch(list, /^c 1:5 /m);
  }
});

test('linux.resources.pids.limit: pids.max stops a fork bomb, pids.events counts it', { skip: requires('root', { controller: 'pids' }) }, async () => {
  const m = cg('pids');
  m.create({ pids: { limit: 8 } });
  assert.equal(cgFile(m, 'pids', 'pids.max'), '8');
  // Bounded: at most 40 attempts, each child sleeps, so the limit is hit (the shell may give up at the first refusal).
  const h = start('read go; i=0; while [ $i -lt 40 ]; do (sleep 30) & i=$((i+1)); done; sleep 30');
  m.addPid(h.pid);
  h.go();
  assert.ok(await until(() => /can't fork|Resource temporarily unavailable/i.test(h.output()), 5000), `a fork is refused: ${h.output()}`);
  const s = m.stats();
  assert.ok(s.pids.current <= 8, `pids.current ${s.pids.current}`);
  assert.equal(s.pids.limit, 8);
  assert.match(cgFile(m, 'pids', 'pids.events'), /^max [1-9]/m);
  m.killAll(9);
  assert.ok(await until(() => m.pids().length === 0, 5000), 'killAll emptied the cgroup');
});

test('linux.resources.cpu: quota, period and shares in their files; a busy loop is throttled (nr_throttled rises)', { skip: requires('root', { controller: 'cpu' }) }, async () => {
  const m = cg('cpu');
  m.create({ cpu: { quota: 10000, period: 100000, shares: 512 } });
  if (m.kind === 'v2') {
    assert.equal(cgFile(m, 'cpu', '', 'cpu.max'), '10000 100000');
    assert.equal(cgFile(m, 'cpu', '', 'cpu.weight'), '59', 'shares 512 as runc converts them');
  } else {
    assert.equal(cgFile(m, 'cpu', 'cpu.cfs_quota_us'), '10000');
    assert.equal(cgFile(m, 'cpu', 'cpu.cfs_period_us'), '100000');
    assert.equal(cgFile(m, 'cpu', 'cpu.shares'), '512');
  }
  const h = start('read go; while :; do :; done');
  m.addPid(h.pid);
  h.go();
  // A 10 ms quota a 100 ms period: the loop is throttled in its first period.
  assert.ok(await until(() => m.stats().cpu.throttling.throttledPeriods > 0, 5000), JSON.stringify(m.stats().cpu.throttling));
  assert.ok(m.stats().cpu.usage.total > 0);
});

test('linux.resources.cpu.cpus: cpuset.cpus pins the process (Cpus_allowed_list)', { skip: requires('root', { controller: 'cpuset' }, { cpus: 2 }) }, () => {
  // the second CPU we may use: pinning to the only one would prove nothing
  const cpu = String(allowedCpus()[1]);
  const m = cg('cpuset');
  m.create({ cpu: { cpus: cpu, mems: '0' } });
  assert.equal(cgFile(m, 'cpuset', 'cpuset.cpus'), cpu);
  const h = start('read go; sleep 30');
  m.addPid(h.pid);
  assert.match(readFileSync(`/proc/${h.pid}/status`, 'utf8'), new RegExp(`^Cpus_allowed_list:\\s+${cpu}$`, 'm'));
});

test('linux.resources.cpu.cpus: a cpu the host lacks is refused naming the field and file', { skip: requires('root', { controller: 'cpuset' }) }, () => {
  const m = cg('badcpus');
  assert.throws(
    () => m.create({ cpu: { cpus: '99' } }),
    (e: Error & { field?: string }) =>
      e.field === '/linux/resources/cpu/cpus' && /linux\.resources\.cpu\.cpus "99"/.test(e.message) && /cpuset\.cpus/.test(e.message),
  );
  assert.equal(m.exists(), false, 'a failed create removes what it made');
});

test('freeze/thaw: a counting loop stops moving and resumes (v1 freezer.state, v2 cgroup.freeze)', { skip: requires('root', 'freezer') }, async () => {
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
    const p = m.paths();
    if (p.freezer) assert.equal(readFileSync(join(p.freezer, 'freezer.state'), 'utf8').trim(), 'FROZEN');
    else assert.match(readFileSync(join(p.unified!, 'cgroup.events'), 'utf8'), /^frozen 1$/m);
    const seen = await distinctOver(() => readFileSync(counter, 'utf8'), 300);
    assert.equal(seen.length, 1, `the counter does not move while frozen: ${seen.join(' ')}`);
    // A frozen task sleeps in the refrigerator: state D (or S on some kernels).
    assert.match(readFileSync(`/proc/${h.pid}/status`, 'utf8'), /^State:\s+[DS]/m);
    m.thaw();
    assert.equal(m.freezerState(), 'THAWED');
    assert.ok(await until(() => readFileSync(counter, 'utf8') !== seen[0], 3000), 'the counter moves again');
  } finally {
    // The loop writes into dir until it is gone.
    h?.kill();
    await h?.exited;
    rmSync(dir, { recursive: true, force: true });
  }
});

test('pids(): exactly the spawned processes, and so does every directory of paths() (each v1 hierarchy, a hybrid\'s cgroup2 side, v2\'s one)', { skip: requires('root') }, async () => {
  const m = cg('pidlist');
  m.create({});
  const a = start('read go; sleep 30');
  const b = start('read go; sleep 30');
  m.addPid(a.pid);
  m.addPid(b.pid);
  const both = sorted([a.pid, b.pid]);
  assert.deepEqual(sorted(m.pids()), both);
  for (const [name, dir] of Object.entries(m.paths())) {
    assert.deepEqual(sorted(readFileSync(join(dir, 'cgroup.procs'), 'utf8').trim().split('\n').map(Number)), both, name);
  }
  m.killAll(15);
  assert.ok(await until(() => m.pids().length === 0, 5000));
});

test('destroy: waits for the last processes to leave, then removes every directory', { skip: requires('root') }, async () => {
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

test('teardown module alone (kill --all / delete path): SIGKILL a frozen cgroup, thaw, remove', { skip: requires('root', 'freezer') }, async () => {
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

test('linux.cgroupsPath below a frozen parent is refused (runtime-spec: not fit for purpose)', { skip: requires('root', 'freezer') }, () => {
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
