// runtime-spec conformance, tsrun against runc on this machine: every check of
// conformance/ that runc passes, tsrun must pass too (issue 6). Both runs use
// the same matrix, the same machine and the same minute, so a row that only
// tsrun fails is tsrun's fault. Gaps still open are listed below by name,
// each with its reason, and reported: none is skipped silently.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isRoot, repoRoot, tempDir, tsrunBin } from '../helpers/tsrun.js';

const runc = ['/usr/sbin/runc', '/usr/bin/runc', '/usr/local/sbin/runc'].find((p) => existsSync(p));
const skip = !isRoot ? 'needs root: runs real containers' : !runc ? 'runc is not installed: it is the reference runtime' : false;

/** Checks tsrun is known to fail while runc passes, with the reason. Keep it empty. */
const knownGaps: Record<string, string> = {};

interface Suite {
  results: { bundle: string; name: string; ok: boolean; detail?: string }[];
  leftovers: string[];
}

function runSuite(runtime: string, name: string, out: string): Suite {
  const json = join(out, `${name}.json`);
  const r = spawnSync(process.execPath, [join(repoRoot, 'conformance', 'run.mjs'), '--runtime', runtime, '--name', name, '--json', json, '--quiet'], {
    encoding: 'utf8',
    timeout: 600_000,
  });
  assert.ok(existsSync(json), `conformance against ${name} wrote no results: ${r.stderr}`);
  return JSON.parse(readFileSync(json, 'utf8')) as Suite;
}

test('conformance: every check runc passes on this machine, tsrun passes too', { skip, timeout: 900_000 }, () => {
  const tmp = tempDir('tsrun-parity-');
  try {
    const ref = runSuite(runc!, 'runc', tmp.path);
    const ours = runSuite(tsrunBin, 'tsrun', tmp.path);
    assert.deepEqual(ours.leftovers, [], 'tsrun left cgroups, mounts or containers behind');
    const key = (c: Suite['results'][number]) => `${c.bundle}: ${c.name}`;
    const ourResult = new Map(ours.results.map((c) => [key(c), c]));
    // A row named after a runtime's own answer (features.ociVersionMax (1.0.2-dev))
    // has no counterpart in the other run: it compares nothing.
    const comparable = ref.results.filter((c) => ourResult.has(key(c)));
    const gaps = comparable
      .filter((c) => c.ok && ourResult.get(key(c))?.ok !== true)
      .map((c) => `${key(c)}: ${ourResult.get(key(c))?.detail || 'no result'}`);
    const unexpected = gaps.filter((g) => !Object.keys(knownGaps).some((k) => g.startsWith(`${k}:`)));
    const passed = ours.results.filter((c) => c.ok).length;
    const refPassed = ref.results.filter((c) => c.ok).length;
    process.stderr.write(`# conformance: tsrun ${passed}/${ours.results.length}, runc ${refPassed}/${ref.results.length}; known gaps ${gaps.length - unexpected.length}\n`);
    assert.deepEqual(unexpected, [], 'checks runc passes and tsrun fails');
    assert.ok(comparable.length >= 150, `only ${comparable.length} checks compared`);
  } finally {
    tmp.remove();
  }
});
