// The v1 devices list the kernel shows after our writes equals the one
// kernelList() predicts, so an update with unchanged rules writes nothing
// while the container runs (no deny-everything window).
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { requires } from '../../helpers/requires.js';
import { openCgroup, type CgroupManager } from '../../../src/cgroups/index.js';
import { containerDeviceRules } from '../../../src/cgroups/devices/rules.js';
import { kernelList } from '../../../src/cgroups/v1/devices.js';
import { traceWrites } from '../../../src/cgroups/fsio.js';
import { cgPath, hold, cleanUp, type Held } from './helpers.js';

// cgroup v2 has no devices list: its eBPF filter is tested in v2.test.ts and unified.test.ts
const skip = requires('root', 'cgroup-v1', { controller: 'devices' });
const managers: CgroupManager[] = [];
const held: Held[] = [];

afterEach(() => {
  traceWrites(undefined);
  return cleanUp(held, managers);
});

const configs: Array<[string, Parameters<typeof containerDeviceRules>[0]]> = [
  ['docker', [
    { allow: false, access: 'rwm' },
    { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
    { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
    { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' },
    { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' },
    { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' },
    { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' },
    { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' },
  ]],
  ['podman', [{ allow: false, access: 'rwm' }]],
  ['partial access', [{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, { allow: false, type: 'c', major: 1, minor: 3, access: 'w' }]],
];

for (const [name, devices] of configs) {
  test(`linux.resources.devices (${name}): devices.list is what kernelList() predicts; an unchanged update writes nothing`, { skip }, () => {
    const m = openCgroup({ id: 'dl', cgroupsPath: cgPath(`dl-${name.replace(/\W/g, '')}`) });
    managers.push(m);
    const rules = containerDeviceRules(devices);
    m.create({ deviceRules: rules });
    const list = readFileSync(join(m.paths().devices!, 'devices.list'), 'utf8').split('\n').filter(Boolean);
    assert.deepEqual([...list].sort(), [...kernelList(rules)].sort());
    const h = hold('read go; sleep 30');
    held.push(h);
    m.addPid(h.pid);
    const writes: string[] = [];
    traceWrites((p) => writes.push(p));
    m.set({ deviceRules: rules });
    assert.deepEqual(writes.filter((p) => p.includes('devices.')), []);
  });
}
