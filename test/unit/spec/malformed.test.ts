// Every malformed config of test/fixtures/malformed-configs.ts is refused by
// loadBundle with an error naming the field; the base they derive from loads.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../helpers/tsrun.js';
import { baseConfig, configText, malformedCases } from '../../fixtures/malformed-configs.js';
import { loadBundle } from '../../../src/spec/bundle.js';
import { TsrunError } from '../../../src/errors.js';

let dir: { path: string; remove: () => void };
before(() => {
  dir = tempDir('tsrun-malformed-');
  mkdirSync(join(dir.path, 'rootfs'));
});
after(() => dir.remove());

test('the base config of the malformed cases loads, with and without --systemd-cgroup', () => {
  writeFileSync(join(dir.path, 'config.json'), JSON.stringify(baseConfig()));
  const loaded = loadBundle(dir.path, { forCreate: true });
  assert.equal(loaded.rootfs, join(dir.path, 'rootfs'));
  assert.equal(loaded.configPath, join(dir.path, 'config.json'));
  assert.equal(loaded.config.hostname, 'box');
  loadBundle(dir.path, { forCreate: true, systemdCgroup: true });
});

test('there are at least 40 malformed cases, with distinct names', () => {
  assert.ok(malformedCases.length >= 40, `only ${malformedCases.length} cases`);
  assert.equal(new Set(malformedCases.map((c) => c.name)).size, malformedCases.length);
});

for (const c of malformedCases) {
  test(`malformed config refused: ${c.name}`, () => {
    writeFileSync(join(dir.path, 'config.json'), configText(c));
    let caught: unknown;
    try {
      loadBundle(dir.path, { forCreate: true, systemdCgroup: c.systemdCgroup });
    } catch (err) {
      caught = err;
    }
    assert.ok(caught instanceof TsrunError, `expected a TsrunError, got ${String(caught)}`);
    const text = caught.toString();
    assert.ok(text.includes(c.expect), `error ${JSON.stringify(text)} lacks ${JSON.stringify(c.expect)}`);
    assert.equal(text.split('\n').length, 1, 'one line');
    // A message that names a JSON pointer carries it as the error's field too.
    const pointer = /^\/[^:]*/.exec(c.expect)?.[0];
    if (pointer) assert.equal(caught.field, pointer);
  });
}

test('unknown properties are ignored, as the spec requires, even where known ones are checked', () => {
  const doc = baseConfig();
  doc.process.capabilities.future = 42;
  doc.hooks.somethingNew = 'x';
  doc.linux.futureField = { a: 1 };
  doc.org_example_extension = true;
  writeFileSync(join(dir.path, 'config.json'), JSON.stringify(doc));
  const { config } = loadBundle(dir.path, { forCreate: true });
  assert.equal((config as unknown as Record<string, unknown>).org_example_extension, true);
});

test('a missing bundle, a bundle that is a file, and a bundle without config.json: each error says which (runc\'s wording)', () => {
  const errorOf = (bundle: string): string => {
    try {
      loadBundle(bundle, { forCreate: true });
    } catch (err) {
      assert.ok(err instanceof TsrunError);
      return err.toString();
    }
    return assert.fail('loaded');
  };
  const missing = join(dir.path, 'nope');
  assert.match(errorOf(missing), new RegExp(`chdir ${missing}: no such file or directory`));
  const file = join(dir.path, 'a-file');
  writeFileSync(file, '');
  assert.match(errorOf(file), new RegExp(`chdir ${file}: not a directory`));
  const empty = join(dir.path, 'empty');
  mkdirSync(empty);
  assert.match(errorOf(empty), /JSON specification file config\.json not found \(open .*\/empty\/config\.json: no such file or directory\)/);
});
