// Every engine config fixture's linux.resources applied for real (under a
// parent of our own), with its device rules completed as the lifecycle does.
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRoot } from '../../helpers/tsrun.js';
import { openCgroup, containerDeviceRules, type CgroupManager } from '../../../src/cgroups/index.js';
import { engineConfig, engineConfigFiles, engineConfigsDir } from '../../helpers/fixtures.js';
import { cgPath, hold, cleanUp, type Held } from './helpers.js';

const skip = isRoot ? false : 'needs root: creates cgroups';
const managers: CgroupManager[] = [];
const held: Held[] = [];

afterEach(() => cleanUp(held, managers));

const files = engineConfigFiles();

test('the engine config fixtures are there', () => {
  assert.ok(files.length >= 9, `fixtures in ${engineConfigsDir}`);
});

for (const f of files) {
  test(`engine config ${f}: linux.resources applied, a process joins, limits read back`, { skip }, () => {
    const spec = engineConfig(f);
    const r = spec.linux?.resources ?? {};
    const m = openCgroup({ id: f, cgroupsPath: cgPath(f.replace(/\W/g, '')) + (spec.linux?.cgroupsPath ?? '') });
    managers.push(m);
    m.create({ ...r, deviceRules: containerDeviceRules(r.devices) });
    const h = hold('read go; sleep 30');
    held.push(h);
    m.addPid(h.pid);
    assert.deepEqual(m.pids(), [h.pid]);
    const p = m.paths();
    if (r.memory?.limit) assert.equal(readFileSync(join(p.memory!, 'memory.limit_in_bytes'), 'utf8').trim(), String(r.memory.limit));
    if (r.pids?.limit) assert.equal(readFileSync(join(p.pids!, 'pids.max'), 'utf8').trim(), String(r.pids.limit));
    if (r.cpu?.shares) assert.equal(readFileSync(join(p.cpu!, 'cpu.shares'), 'utf8').trim(), String(r.cpu.shares));
    assert.match(readFileSync(join(p.devices!, 'devices.list'), 'utf8'), /^c 1:3 rwm$/m);
  });
}
