// cgroup v2 on a pure v2 host (one cgroup2 mount at /sys/fs/cgroup, no v1
// controller), where v2's files differ from v1's in more than a name: blockIO
// as io.max and io.weight or io.bfq.weight (the twin of v1.test.ts's blkio
// test) and hugepageLimits on a pure v2 host. What both layouts do alike is
// in manager.test.ts. On a v1 or hybrid host every test skips saying so
// (unified.test.ts runs the V2Manager on a hybrid host's cgroup2 mount).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { blockDevices, requires, type Requirement } from '../../helpers/requires.js';
import type { CgroupManager } from '../../../src/cgroups/index.js';
import { perTest } from './helpers.js';

/** Every test here: root and a pure cgroup v2 host, plus what it names. */
const v2 = (...more: Requirement[]) => requires('root', 'cgroup-v2', ...more);
const { cg } = perTest();

const read = (m: CgroupManager, file: string) => readFileSync(join(m.paths().unified!, file), 'utf8').trim();

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
