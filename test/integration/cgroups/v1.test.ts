// cgroup v1 on the host's real hierarchies, where v1's files differ from
// v2's in more than a name: blockIO's blkio.* files (its twin is in
// v2.test.ts). What both layouts do alike (limits seen on processes inside,
// devices, freezing, update, destroy, teardown) is in manager.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { blockDevices, requires, type Requirement } from '../../helpers/requires.js';
import { perTest } from './helpers.js';

/** Every test here: root and v1 controller hierarchies, plus what it names. */
const v1 = (...more: Requirement[]) => requires('root', 'cgroup-v1', ...more);
const { cg } = perTest();

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
