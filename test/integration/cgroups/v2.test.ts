// cgroup v2 on a pure v2 host (one cgroup2 mount at /sys/fs/cgroup, no v1
// controller): the twins of v1.test.ts, with v2's files (io.max, io.weight or
// io.bfq.weight, hugetlb.*, memory.max and memory.swap.max on update) and the
// eBPF device filter; what both layouts do alike is in manager.test.ts.
// openCgroup() gives the V2Manager there; on a v1 or hybrid host every test
// skips saying so (unified.test.ts runs the V2Manager on a hybrid host's
// cgroup2 mount).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { blockDevices, requires, type Requirement } from '../../helpers/requires.js';
import { fromPaths, type CgroupManager } from '../../../src/cgroups/index.js';
import { countDevicePrograms } from '../../../src/cgroups/bpf-syscall.js';
import { perTest, until } from './helpers.js';

/** Every test here: root and a pure cgroup v2 host, plus what it names. */
const v2 = (...more: Requirement[]) => requires('root', 'cgroup-v2', ...more);
const { cg, start } = perTest();

const read = (m: CgroupManager, file: string) => readFileSync(join(m.paths().unified!, file), 'utf8').trim();

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
