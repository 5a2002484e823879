// The whole escape suite again with the executor's resolver for kernels
// without openat2 (TSRUN_EXEC_NO_OPENAT2=1: a component-by-component walk
// with O_NOFOLLOW). The tests run after this module is evaluated, so every
// tsrun they start inherits the variable. The last test shows, under strace,
// that the variable really takes the executor off openat2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle } from '../../helpers/bundle.js';
import { requires } from '../../helpers/requires.js';
import { tempDir, tsrunBin } from '../../helpers/tsrun.js';
import { makeRoot } from '../lifecycle/helpers.js';
import './escape.test.js';

process.env.TSRUN_EXEC_NO_OPENAT2 = '1';

/** openat2 calls made by `tsrun run` and everything it starts (the executor, the init), as strace -f counts them. */
function openat2Calls(walk: boolean): number {
  const r = makeRoot();
  const b = makeBundle({ args: ['true'] });
  const out = tempDir('tsrun-strace-');
  try {
    const env = { ...process.env };
    if (walk) env.TSRUN_EXEC_NO_OPENAT2 = '1';
    else delete env.TSRUN_EXEC_NO_OPENAT2;
    const trace = join(out.path, 'trace');
    const res = spawnSync('strace', ['-f', '-qq', '-e', 'trace=openat2', '-o', trace, tsrunBin, '--root', r.path, 'run', '--bundle', b.dir, 'st'], { env, encoding: 'utf8', timeout: 60_000 });
    assert.equal(res.status, 0, res.stderr);
    return readFileSync(trace, 'utf8').split('\n').filter((l) => l.includes('openat2(')).length;
  } finally {
    r.cleanup('st');
    b.remove();
    out.remove();
  }
}

test('TSRUN_EXEC_NO_OPENAT2=1 takes the executor off openat2: the container\'s mounts are resolved by the fallback walk', { skip: requires('root', { binary: 'strace' }) }, () => {
  // without the variable the same run resolves its mounts with openat2: strace sees them when they happen
  assert.ok(openat2Calls(false) > 0, 'openat2 is seen without the variable');
  assert.equal(openat2Calls(true), 0, 'no openat2 at all with it');
});
