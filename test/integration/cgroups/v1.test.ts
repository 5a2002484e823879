// cgroup v1 on the host's real hierarchies (v1 controllers, plus the
// cgroup2 "unified" mount of a hybrid host): limits applied by the manager,
// observed from processes we put inside. Each test declares what it needs of
// the host; the cgroup v2 twins are in v2.test.ts, and what both layouts do
// alike (memory, pids, cpu and cpuset limits, freezing, destroy, teardown)
// in manager.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { blockDevices, requires, type Requirement } from '../../helpers/requires.js';
import { fromPaths } from '../../../src/cgroups/index.js';
import { perTest, until } from './helpers.js';

/** Every test here: root and v1 controller hierarchies, plus what it names. */
const v1 = (...more: Requirement[]) => requires('root', 'cgroup-v1', ...more);
const { cg, start } = perTest();

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
  assert.ok(await until(() => h.output().includes('ready'), 5000), h.output());
  const again = fromPaths(JSON.parse(JSON.stringify(m.paths())));
  again.set({ memory: { limit: 64 << 20, swap: 128 << 20 } });
  assert.equal(readFileSync(join(m.paths().memory!, 'memory.limit_in_bytes'), 'utf8').trim(), String(64 << 20));
  assert.equal(readFileSync(join(m.paths().memory!, 'memory.memsw.limit_in_bytes'), 'utf8').trim(), String(128 << 20));
  assert.throws(() => again.set({ memory: { limit: 4096, checkBeforeUpdate: true } }), /below current usage/);
});
