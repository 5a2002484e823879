// Every engine config fixture's linux.resources applied for real (under a
// parent of our own), with its device rules completed as the lifecycle does,
// and read back from cgroup v1's files or, on a pure v2 host, from v2's.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { requires, type Requirement } from '../../helpers/requires.js';
import { openCgroup, containerDeviceRules, type CgroupManager } from '../../../src/cgroups/index.js';
import { countDevicePrograms } from '../../../src/cgroups/bpf-syscall.js';
import type { LinuxResources } from '../../../src/spec/types.js';
import { engineConfig, engineConfigFiles, engineConfigsDir } from '../../helpers/fixtures.js';
import { cgPath, hold, cleanUp, type Held } from './helpers.js';

const managers: CgroupManager[] = [];
const held: Held[] = [];

afterEach(() => cleanUp(held, managers));

const files = engineConfigFiles();

test('the engine config fixtures are there', () => {
  assert.ok(files.length >= 9, `fixtures in ${engineConfigsDir}`);
});

/** The fixture's resources applied under a parent of ours, and a process inside that may use /dev/null. */
async function applied(f: string): Promise<{ r: LinuxResources; m: CgroupManager }> {
  const spec = engineConfig(f);
  const r = spec.linux?.resources ?? {};
  const m = openCgroup({ id: f, cgroupsPath: cgPath(f.replace(/\W/g, '')) + (spec.linux?.cgroupsPath ?? '') });
  managers.push(m);
  m.create({ ...r, deviceRules: containerDeviceRules(r.devices) });
  const h = hold('read go; echo x > /dev/null && echo null-ok');
  held.push(h);
  m.addPid(h.pid);
  assert.deepEqual(m.pids(), [h.pid]);
  h.go();
  await h.drained;
  assert.match(h.output(), /null-ok/, 'the default device rules let /dev/null through');
  return { r, m };
}

const swapNeeds = (f: string): Requirement[] => (engineConfig(f).linux?.resources?.memory?.swap ? ['swap-accounting'] : []);

for (const f of files) {
  test(`engine config ${f} on cgroup v1: linux.resources applied, a process joins, limits read back`, { skip: requires('root', 'cgroup-v1', ...swapNeeds(f)) }, async () => {
    const { r, m } = await applied(f);
    const p = m.paths();
    if (r.memory?.limit) assert.equal(readFileSync(join(p.memory!, 'memory.limit_in_bytes'), 'utf8').trim(), String(r.memory.limit));
    if (r.memory?.swap) assert.equal(readFileSync(join(p.memory!, 'memory.memsw.limit_in_bytes'), 'utf8').trim(), String(r.memory.swap));
    if (r.pids?.limit) assert.equal(readFileSync(join(p.pids!, 'pids.max'), 'utf8').trim(), String(r.pids.limit));
    if (r.cpu?.shares) assert.equal(readFileSync(join(p.cpu!, 'cpu.shares'), 'utf8').trim(), String(r.cpu.shares));
    assert.match(readFileSync(join(p.devices!, 'devices.list'), 'utf8'), /^c 1:3 rwm$/m);
  });

  test(`engine config ${f} on cgroup v2: linux.resources applied, a process joins, limits read back`, { skip: requires('root', 'cgroup-v2', ...swapNeeds(f)) }, async () => {
    const { r, m } = await applied(f);
    const dir = m.paths().unified!;
    const read = (file: string) => readFileSync(join(dir, file), 'utf8').trim();
    if (r.memory?.limit) assert.equal(read('memory.max'), String(r.memory.limit));
    // v2 holds swap alone: the spec's memory+swap minus memory
    if (r.memory?.swap) assert.equal(read('memory.swap.max'), String(r.memory.swap - (r.memory.limit ?? 0)));
    if (r.pids?.limit) assert.equal(read('pids.max'), String(r.pids.limit));
    // the default 1024 shares are cpu.weight's default 100
    if (r.cpu?.shares === 1024) assert.equal(read('cpu.weight'), '100');
    assert.equal(countDevicePrograms(dir), 1, 'the device rules are one eBPF program attached to the cgroup');
  });
}
