// The runtime-spec's own schema examples (schema/test/{config,state,features}/{good,bad},
// kept in test/fixtures/runtime-spec) and the configs real engines wrote
// (test/fixtures/engine-configs) against our schema and validator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../helpers/tsrun.js';
import { engineConfigsDir } from '../../helpers/fixtures.js';
import { validateFeatures, validateState } from '../../../src/spec/generated/validators.js';
import { parseJson } from '../../../src/spec/bundle.js';
import { schemaError } from '../../../src/spec/schema-error.js';
import { validateConfig, validateConfigSchema, validateProcess } from '../../../src/spec/validate.js';
import { TsrunError } from '../../../src/errors.js';

const examples = join(repoRoot, 'test', 'fixtures', 'runtime-spec', 'schema-test');
const engines = engineConfigsDir;

function files(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.json')).sort();
}

function read(path: string): unknown {
  return parseJson(readFileSync(path, 'utf8'), path);
}

/** The thrown error of fn, which must be a TsrunError. */
function failure(fn: () => unknown): TsrunError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof TsrunError, `expected a TsrunError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a validation error, got none');
}

// Examples written for other platforms, for pre-1.0 drafts of the spec, or
// showing one field out of context: the schema must accept them, but tsrun
// (Linux, 1.0.0 to 1.3.x, runc's cross-field rules) refuses to run them as
// they are. The last two get their own tests below.
const schemaOnly = /^(freebsd|zos)-|^spec-example\.json$|^linux-netdevice\.json$/;

test('upstream good configs pass the schema, and the Linux ones the prose rules too', () => {
  const dir = join(examples, 'config', 'good');
  assert.ok(files(dir).length >= 5, 'expected the upstream good examples');
  for (const f of files(dir)) {
    const config = read(join(dir, f));
    assert.doesNotThrow(() => validateConfigSchema(config, f), `${f} must pass the schema`);
    if (!schemaOnly.test(f)) {
      assert.doesNotThrow(() => validateConfig(config, { forCreate: false, file: f }), `${f} must pass the prose rules`);
    }
  }
});

test('the upstream spec-example passes the prose rules once its pre-1.0 ociVersion is raised', () => {
  const config = read(join(examples, 'config', 'good', 'spec-example.json')) as { ociVersion: string };
  assert.throws(() => validateConfig(config, { forCreate: false }), /\/ociVersion: unsupported version "0\.5\.0-dev"/);
  config.ociVersion = '1.3.0';
  validateConfig(config, { forCreate: false });
});

test('the upstream netDevices example needs a network namespace to move the devices into', () => {
  const config = read(join(examples, 'config', 'good', 'linux-netdevice.json')) as { linux: { namespaces?: unknown[] } };
  assert.throws(() => validateConfig(config, { forCreate: false }), /\/linux\/netDevices: moving network devices needs a network namespace/);
  config.linux.namespaces = [{ type: 'network' }];
  validateConfig(config, { forCreate: false });
});

test('upstream bad configs are refused, naming the JSON path (or the JSON position)', () => {
  const dir = join(examples, 'config', 'bad');
  const expected: Record<string, RegExp> = {
    'freebsd-vnet-disable.json': /\/freebsd\/jail\/vnet: "disable" is not one of new, inherit/,
    'invalid-json.json': /invalid JSON at line 1, column 2/,
    'linux-hugepage.json': /\/linux\/resources\/hugepageLimits\/0\/pageSize: "64kB" does not match/,
    'linux-netdevice.json': /\/linux\/netDevices\/eth0\/name: must be a string, got integer 23/,
    'linux-rdma.json': /\/linux\/resources\/rdma\/mlx5_1\/hcaHandles: must be an integer, got string "not a uint32"/,
  };
  assert.ok(files(dir).length >= 5, 'expected the upstream bad examples');
  for (const f of files(dir)) {
    const err = failure(() => validateConfig(read(join(dir, f)), { forCreate: false, file: f }));
    const want = expected[f];
    if (want) assert.match(err.toString(), want, f);
    // Anything new upstream must at least point somewhere.
    else assert.ok(err.field || /invalid JSON at line/.test(err.message), `${f}: ${err.toString()} names no field`);
  }
});

test('upstream state examples: good validates, bad is refused', () => {
  for (const f of files(join(examples, 'state', 'good'))) {
    const doc = read(join(examples, 'state', 'good', f));
    assert.ok(validateState(doc), `${f}: ${JSON.stringify(validateState.errors)}`);
  }
  const bad = files(join(examples, 'state', 'bad'));
  assert.ok(bad.length > 0);
  for (const f of bad) {
    const path = join(examples, 'state', 'bad', f);
    const err = failure(() => {
      const doc = read(path);
      if (!validateState(doc)) throw schemaError(validateState.errors, doc, f);
    });
    assert.ok(err.field || /invalid JSON at line \d+, column \d+/.test(err.message), err.toString());
  }
});

test('our state schema: pid is required while created or running, and status is an enum', () => {
  const base = { ociVersion: '1.3.0', id: 'c1', bundle: '/b' };
  assert.ok(validateState({ ...base, status: 'stopped' }));
  assert.ok(validateState({ ...base, status: 'running', pid: 42 }));
  assert.equal(validateState({ ...base, status: 'running' }), false);
  assert.match(schemaError(validateState.errors, {}, 'state.json').toString(), /missing required property "pid"/);
  const doc = { ...base, status: 'sleeping' };
  assert.equal(validateState(doc), false);
  assert.match(schemaError(validateState.errors, doc, 'state.json').toString(), /\/status: "sleeping" is not one of creating, created, running, stopped/);
});

test('upstream features examples: good validates, bad is refused naming the missing field', () => {
  for (const f of files(join(examples, 'features', 'good'))) {
    const doc = read(join(examples, 'features', 'good', f));
    assert.ok(validateFeatures(doc), `${f}: ${JSON.stringify(validateFeatures.errors)}`);
  }
  const doc = read(join(examples, 'features', 'bad', 'missing-ociVersionMax.json'));
  assert.equal(validateFeatures(doc), false);
  assert.match(schemaError(validateFeatures.errors, doc, 'features.json').toString(), /missing required property "ociVersionMax"/);
});

test('every engine config validates for create, every exec process file as a process', () => {
  const all = files(engines);
  assert.ok(all.length >= 8, 'expected the engine fixtures');
  for (const f of all) {
    const doc = read(join(engines, f));
    if (f.startsWith('exec-process-')) assert.doesNotThrow(() => validateProcess(doc, f), f);
    else assert.doesNotThrow(() => validateConfig(doc, { forCreate: true, file: f }), f);
  }
});
