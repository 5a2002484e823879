// The conformance harness itself, against runc (the reference): the base
// bundle passes completely, and dropping a field turns its checks red.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isRoot, repoRoot } from '../helpers/tsrun.js';

const runc = ['/usr/sbin/runc', '/usr/bin/runc', '/usr/local/sbin/runc'].find((p) => existsSync(p));
const skip = !isRoot ? 'needs root: runs real containers' : !runc ? 'runc is not installed: it is the reference runtime' : false;
const runner = join(repoRoot, 'conformance', 'run.mjs');

function conformance(args: string[]) {
  return spawnSync(process.execPath, [runner, '--runtime', runc as string, ...args], { encoding: 'utf8', timeout: 120_000 });
}

test('conformance: the base bundle passes every check under runc', { skip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'conformance-it-'));
  try {
    const json = join(dir, 'out.json');
    const r = conformance(['--only', 'defaults', '--json', json]);
    assert.equal(r.status, 0, r.stderr);
    const suite = JSON.parse(readFileSync(json, 'utf8')) as { results: { ok: boolean; name: string; detail: string }[]; leftovers: string[] };
    assert.ok(suite.results.length >= 80, `only ${suite.results.length} checks`);
    const failed = suite.results.filter((c) => !c.ok);
    assert.deepEqual(failed, []);
    assert.deepEqual(suite.leftovers, [], 'the cgroup parent is removed from every hierarchy');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('conformance: --drop-field /process/rlimits makes the rlimit checks fail', { skip }, () => {
  const r = conformance(['--only', 'rlimits-all', '--drop-field', '/process/rlimits', '--quiet']);
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /^not ok \d+ - rlimits-all: process\.rlimits RLIMIT_/m);
});

test('conformance: --drop-field of a field no check looks at is reported as not proved', { skip }, () => {
  const r = conformance(['--only', 'defaults', '--drop-field', '/ociVersion', '--quiet']);
  assert.notEqual(r.status, 0, 'no check depends on ociVersion, so nothing must fail');
  assert.match(r.stdout, /NO check failed/);
});
