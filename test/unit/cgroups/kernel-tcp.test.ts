// linux.resources.memory.kernelTCP on cgroup v1: written to
// memory.kmem.tcp.limit_in_bytes where the kernel has it (as crun does);
// a warning instead where it has not. The kernel limit (kernel) stays
// ignored with runc's warning: kernels since 5.16 take the write and do nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openCgroup } from '../../../src/cgroups/index.js';
import { closeLog, configureLog } from '../../../src/log.js';
import { fakeHost, fillV1, v1Mountinfo } from './fake-host.js';

const CG = '/sys/fs/cgroup';
const TCP = 'memory.kmem.tcp.limit_in_bytes';

function withLog<T>(dir: string, fn: () => T): { result: T; log: string } {
  const path = join(dir, 'log');
  writeFileSync(path, '');
  configureLog({ path, format: 'text', debug: false });
  try {
    return { result: fn(), log: readFileSync(path, 'utf8') };
  } finally {
    closeLog();
    configureLog({ format: 'text', debug: false });
  }
}

function setup(withTcpFile: boolean) {
  const fake = fakeHost(v1Mountinfo(false));
  const m = openCgroup({ id: 'c1', cgroupsPath: '/c1', host: fake.host });
  fake.fill(join(fake.root, CG, 'cpuset'), { 'cpuset.cpus': '0-1', 'cpuset.mems': '0' });
  fillV1(fake, m.paths());
  if (withTcpFile) writeFileSync(join(m.paths().memory!, TCP), '9223372036854771712');
  return { fake, m };
}

test('v1 kernelTCP: applied to memory.kmem.tcp.limit_in_bytes where the kernel has it, kernel still ignored with a warning', (t) => {
  const { fake, m } = setup(true);
  t.after(() => fake.remove());
  const { log } = withLog(fake.root, () => m.create({ memory: { kernelTCP: 8 << 20, kernel: 16 << 20 } }));
  assert.equal(fake.read(join(CG, 'memory', 'c1', TCP)), String(8 << 20));
  assert.deepEqual(fake.writes.filter(([p]) => p.endsWith('/memory.kmem.limit_in_bytes')), []);
  assert.match(log, /kernel memory settings are ignored/);
  assert.doesNotMatch(log, /kernelTCP/);
});

test('v1 kernelTCP -1 (the spec example) is written as unlimited', (t) => {
  const { fake, m } = setup(true);
  t.after(() => fake.remove());
  withLog(fake.root, () => m.create({ memory: { kernelTCP: -1 } }));
  assert.equal(fake.read(join(CG, 'memory', 'c1', TCP)), '-1');
});

test('v1 kernelTCP: a kernel without memory.kmem.tcp gets a warning naming the field, and the container goes on', (t) => {
  const { fake, m } = setup(false);
  t.after(() => fake.remove());
  const { log } = withLog(fake.root, () => m.create({ memory: { kernelTCP: 8 << 20 } }));
  assert.match(log, /level=warning msg="linux.resources.memory.kernelTCP is ignored: the kernel has no memory.kmem.tcp.limit_in_bytes"/);
  assert.deepEqual(fake.writes.filter(([p]) => p.endsWith(TCP)), []);
});
