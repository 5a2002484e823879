// exec --pid-file into a directory that does not exist: runc fails with 255
// before the command runs, naming the temp file it could not open. tsrun
// printed Node's raw ENOENT, exited 1, and the command ran anyway.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeBundle } from '../../helpers/bundle.js';
import { differential, differentialSkip } from '../../helpers/differential.js';

test('exec --pid-file /missing/dir/pid: exit 255, the command never runs, runc\'s words on stderr', { skip: differentialSkip }, () => {
  const b = makeBundle({ args: ['sleep', '300'] });
  try {
    const out = differential((rt) => {
      const run = rt.call(['run', '-d', '--bundle', b.dir, 'pidf']);
      assert.equal(run.code, 0, `${rt.name}: ${run.stderr}`);
      const exec = rt.call(['exec', '--pid-file', '/missing/dir/pid', 'pidf', 'sh', '-c', 'touch /ran']);
      const ran = rt.call(['exec', 'pidf', 'test', '-e', '/ran']);
      return { code: exec.code, stderr: exec.stderr, ran: ran.code === 0 };
    }, ['pidf']);
    for (const [name, r] of Object.entries(out)) {
      assert.equal(r.code, 255, `${name}: exit code; stderr: ${r.stderr}`);
      assert.equal(r.ran, false, `${name}: the command did not run`);
      // runc: open /missing/dir/.pid; tsrun's temp name adds its pid: .pid.<pid>.tmp
      assert.match(r.stderr, /exec failed: open \/missing\/dir\/\.pid\S*: no such file or directory/, name);
    }
    assert.equal(out.tsrun.code, out.runc.code);
  } finally {
    b.remove();
  }
});
