// Making a container's cgroup directories: mkdir -p that says what it made,
// and cpuset seeding that reads only the nearest existing ancestor for the
// levels this create made (a fake tree: plain files stand in for control files).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mkdirTracked } from '../../../src/cgroups/common.js';
import { seedCpuset } from '../../../src/cgroups/v1/cpuset.js';
import { tempDir } from '../../helpers/tsrun.js';

test('mkdirTracked makes the missing levels and returns them parents first; an existing directory gives []', (t) => {
  const tmp = tempDir('tsrun-cgdirs-');
  t.after(() => tmp.remove());
  const leaf = join(tmp.path, 'a', 'b', 'c');
  assert.deepEqual(mkdirTracked(leaf), [join(tmp.path, 'a'), join(tmp.path, 'a', 'b'), leaf]);
  assert.deepEqual(mkdirTracked(leaf), []);
  assert.deepEqual(mkdirTracked(join(tmp.path, 'a', 'd')), [join(tmp.path, 'a', 'd')]);
  writeFileSync(join(tmp.path, 'file'), '');
  assert.throws(() => mkdirTracked(join(tmp.path, 'file', 'x')), (e: Error & { field?: string }) => e.field === '/linux/cgroupsPath' && /cannot create cgroup/.test(e.message));
});

function cpusetDir(dir: string, cpus: string, mems: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'cpuset.cpus'), cpus);
  writeFileSync(join(dir, 'cpuset.mems'), mems);
}

test('seedCpuset: the levels a create made get the nearest existing ancestor\'s cpus and mems; an empty ancestor is seeded too', (t) => {
  const tmp = tempDir('tsrun-cpuset-');
  t.after(() => tmp.remove());
  const root = tmp.path;
  cpusetDir(root, '0-3\n', '0\n');
  cpusetDir(join(root, 'p'), '0-1\n', '0\n');
  const made = [join(root, 'p', 'x'), join(root, 'p', 'x', 'y')];
  for (const d of made) cpusetDir(d, '', '');
  seedCpuset(made[1]!, made);
  for (const d of made) {
    assert.equal(readFileSync(join(d, 'cpuset.cpus'), 'utf8'), '0-1');
    assert.equal(readFileSync(join(d, 'cpuset.mems'), 'utf8'), '0');
  }
  // an existing ancestor someone left empty: the whole chain is walked, as for an existing cgroup
  cpusetDir(join(root, 'q'), '', '');
  const made2 = [join(root, 'q', 'z')];
  cpusetDir(made2[0]!, '', '');
  seedCpuset(made2[0]!, made2);
  assert.equal(readFileSync(join(root, 'q', 'cpuset.cpus'), 'utf8'), '0-3');
  assert.equal(readFileSync(join(root, 'q', 'z', 'cpuset.mems'), 'utf8'), '0');
});
