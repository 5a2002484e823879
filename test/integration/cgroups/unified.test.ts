// The cgroup2 tree: on a hybrid machine /sys/fs/cgroup/unified (whose only
// controller is hugetlb), on a pure v2 host (test/vm) /sys/fs/cgroup itself.
// hugetlb limits through the hybrid manager, and the v2 manager itself on
// that tree: cgroup.freeze, cgroup.kill, and the eBPF device filter loaded
// and attached for real.
import { test, afterEach, after, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRoot } from '../../helpers/tsrun.js';
import { openCgroup, fromPaths, type CgroupManager } from '../../../src/cgroups/index.js';
import { countDevicePrograms, loadDeviceProgram, closeFd } from '../../../src/cgroups/bpf-syscall.js';
import { compileDeviceFilter, encodeProgram } from '../../../src/cgroups/devices/bpf-program.js';
import { normalizeRules } from '../../../src/cgroups/devices/rules.js';
import { CGROOT, PARENT, cgPath, hold, cleanUp, until, type Held } from './helpers.js';

const PURE_V2 = existsSync(join(CGROOT, 'cgroup.controllers'));
const UNIFIED = PURE_V2 ? CGROOT : join(CGROOT, 'unified');
const skip = !isRoot ? 'needs root: creates cgroups' : undefined;
const held: Held[] = [];
const managers: CgroupManager[] = [];
let subtreeBefore = '';

before(() => {
  if (isRoot) subtreeBefore = readFileSync(join(UNIFIED, 'cgroup.subtree_control'), 'utf8');
});

afterEach(() => cleanUp(held, managers));

after(() => {
  // Put the host's root subtree_control back as we found it.
  if (isRoot && !subtreeBefore.includes('hugetlb')) {
    try {
      writeFileSync(join(UNIFIED, 'cgroup.subtree_control'), '-hugetlb');
    } catch {
      /* still in use by someone else's cgroup: leave it */
    }
  }
});

function start(script: string): Held {
  const h = hold(script);
  held.push(h);
  return h;
}

/** A v2 manager on the unified mount of this hybrid host. */
function v2(name: string): CgroupManager {
  const m = fromPaths({ unified: join(UNIFIED, PARENT, name) });
  managers.push(m);
  return m;
}

test('linux.resources.hugepageLimits on a hybrid host: hugetlb.2MB.max on the cgroup2 mount', { skip: skip ?? (PURE_V2 ? 'a hybrid host\'s test: this host is pure cgroup v2' : undefined) }, () => {
  const m = openCgroup({ id: 'huge', cgroupsPath: cgPath('huge') });
  managers.push(m);
  assert.equal(m.kind, 'hybrid');
  m.create({ hugepageLimits: [{ pageSize: '2MB', limit: 4 << 20 }] });
  const dir = m.paths().unified!;
  assert.equal(readFileSync(join(dir, 'hugetlb.2MB.max'), 'utf8').trim(), String(4 << 20));
  const h = start('read go; sleep 30');
  m.addPid(h.pid);
  assert.ok(readFileSync(join(dir, 'cgroup.procs'), 'utf8').includes(String(h.pid)));
  assert.ok('2MB' in m.stats().hugetlb);
  // linux.resources.unified on hybrid: files of the cgroup2 side; other controllers refused.
  m.set({ unified: { 'hugetlb.2MB.max': String(2 << 20) } });
  assert.equal(readFileSync(join(dir, 'hugetlb.2MB.max'), 'utf8').trim(), String(2 << 20));
  assert.throws(() => m.set({ unified: { 'memory.max': '1' } }), (e: Error & { field?: string }) => e.field === '/linux/resources/unified/memory.max' && /controller "memory" not available/.test(e.message));
  assert.throws(() => m.set({ hugepageLimits: [{ pageSize: '3MB', limit: 1 }] }), (e: Error & { field?: string }) => e.field === '/linux/resources/hugepageLimits/0/pageSize');
});

test('linux.resources.hugepageLimits on pure cgroup v2: hugetlb.2MB.max; linux.resources.unified reaches the other controllers', { skip: skip ?? (PURE_V2 ? undefined : 'a pure cgroup v2 host\'s test (npm run test:vm): this host is hybrid') }, () => {
  const m = openCgroup({ id: 'huge', cgroupsPath: cgPath('huge') });
  managers.push(m);
  assert.equal(m.kind, 'v2');
  m.create({ hugepageLimits: [{ pageSize: '2MB', limit: 4 << 20 }] });
  const dir = m.paths().unified!;
  assert.equal(dir, join(CGROOT, cgPath('huge')));
  assert.equal(readFileSync(join(dir, 'hugetlb.2MB.max'), 'utf8').trim(), String(4 << 20));
  const h = start('read go; sleep 30');
  m.addPid(h.pid);
  assert.ok(readFileSync(join(dir, 'cgroup.procs'), 'utf8').includes(String(h.pid)));
  assert.ok('2MB' in m.stats().hugetlb);
  m.set({ unified: { 'memory.max': String(64 << 20) } });
  assert.equal(readFileSync(join(dir, 'memory.max'), 'utf8').trim(), String(64 << 20));
  assert.throws(() => m.set({ hugepageLimits: [{ pageSize: '3MB', limit: 1 }] }), (e: Error & { field?: string }) => e.field === '/linux/resources/hugepageLimits/0/pageSize');
});

test('cgroup v2 freezer: cgroup.freeze, cgroup.events frozen 1, then thawed', { skip }, async () => {
  const m = v2('freeze');
  m.create({});
  const h = start('read go; while :; do :; done');
  m.addPid(h.pid);
  h.go();
  m.freeze();
  assert.equal(m.freezerState(), 'FROZEN');
  assert.match(readFileSync(join(m.paths().unified!, 'cgroup.events'), 'utf8'), /^frozen 1$/m);
  m.thaw();
  assert.equal(m.freezerState(), 'THAWED');
});

test('cgroup v2 kill: killAll(SIGKILL) through cgroup.kill', { skip }, async () => {
  const m = v2('kill');
  m.create({});
  const a = start('read go; sleep 30');
  const b = start('read go; sleep 30');
  m.addPid(a.pid);
  m.addPid(b.pid);
  assert.deepEqual(m.pids().sort(), [a.pid, b.pid].sort());
  m.killAll(9);
  assert.equal((await a.exited).signal, 'SIGKILL');
  assert.equal((await b.exited).signal, 'SIGKILL');
  assert.ok(await until(() => m.pids().length === 0, 3000));
});

test('linux.resources.devices on cgroup v2: the eBPF filter loads, attaches, decides, and is replaced', { skip }, async () => {
  const m = v2('devices');
  m.create({ devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' }] });
  const dir = m.paths().unified!;
  assert.equal(countDevicePrograms(dir), 1);
  const script = 'read go; echo x > /dev/null && echo null-ok; if /bin/busybox head -c1 /dev/zero >/dev/null; then echo zero-ok; else echo zero-denied; fi';
  const h = start(script);
  m.addPid(h.pid);
  h.go();
  await h.drained;
  assert.match(h.output(), /null-ok/);
  assert.match(h.output(), /zero-denied/);
  // An update swaps the program: still exactly one attached, new rules in force.
  m.set({ devices: [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 5, access: 'r' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rw' }] });
  assert.equal(countDevicePrograms(dir), 1);
  const h2 = start(script);
  m.addPid(h2.pid);
  h2.go();
  await h2.drained;
  assert.match(h2.output(), /zero-ok/);
});

test('BPF_PROG_LOAD accepts the generated program for docker\'s default rule list', { skip }, () => {
  const rules = normalizeRules([
    { allow: false, access: 'rwm' },
    { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
    { allow: true, type: 'c', major: 136, access: 'rwm' },
    { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' },
    { allow: true, type: 'b', access: 'm' },
  ]);
  const fd = loadDeviceProgram(encodeProgram(compileDeviceFilter(rules)));
  assert.ok(fd > 2);
  closeFd(fd);
  // And the empty list (deny everything), the smallest program.
  const fd2 = loadDeviceProgram(encodeProgram(compileDeviceFilter([])));
  closeFd(fd2);
});
