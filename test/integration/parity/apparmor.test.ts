// process.apparmorProfile on a host with AppArmor off: runc refuses the
// container (its init's write of the exec attribute fails), and so does
// tsrun, before anything is made: the same exit code, runc's words, the
// field named, nothing left. Where AppArmor is on, the VM's
// security/apparmor test shows the profile in force.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { makeBundle } from '../../helpers/bundle.js';
import { differential, differentialSkip, type Runtime } from '../../helpers/differential.js';
import { requires } from '../../helpers/requires.js';

const ID = 'parity-apparmor';
const skip = differentialSkip || requires('no-apparmor');

function left(rt: Runtime, id: string): string {
  const s = rt.call(['state', id]);
  return s.code === 0 ? (JSON.parse(s.stdout) as { status: string }).status : 'nothing';
}

test('process.apparmorProfile where AppArmor is off: refused at create, exit 1, nothing left (no state, no cgroup), as runc', { skip }, () => {
  const b = makeBundle({ args: ['true'], patch: (s) => (s.process!.apparmorProfile = 'tsrun-parity-test') });
  try {
    const r = differential((rt) => {
      const res = rt.call(['run', '-d', '--bundle', b.dir, ID]);
      return { code: res.code, stderr: res.stderr, left: left(rt, ID), cgroup: existsSync(`/sys/fs/cgroup/pids${b.cgroupsPath}`) || existsSync(`/sys/fs/cgroup${b.cgroupsPath}`) };
    }, [ID]);
    for (const rt of ['runc', 'tsrun'] as const) assert.ok(r[rt].stderr.includes('unable to apply apparmor profile'), `${rt}: ${r[rt].stderr}`);
    assert.match(r.tsrun.stderr, /\/process\/apparmorProfile/);
    assert.equal(r.runc.code, 1);
    assert.equal(r.tsrun.code, r.runc.code);
    assert.deepEqual([r.tsrun.left, r.tsrun.cgroup], ['nothing', false]);
    assert.equal(r.runc.left, 'nothing');
  } finally {
    b.remove();
  }
});

test('exec --apparmor where AppArmor is off: refused, exit 255, the container still running, as runc', { skip }, () => {
  const b = makeBundle({ args: ['sleep', '1000'] });
  try {
    const r = differential((rt) => {
      const run = rt.call(['run', '-d', '--bundle', b.dir, ID]);
      assert.equal(run.code, 0, `${rt.name} run: ${run.stderr}`);
      const res = rt.call(['exec', '--apparmor', 'tsrun-parity-test', ID, 'true']);
      return { code: res.code, stderr: res.stderr, left: left(rt, ID) };
    }, [ID]);
    for (const rt of ['runc', 'tsrun'] as const) assert.ok(r[rt].stderr.includes('apparmor failed to apply profile'), `${rt}: ${r[rt].stderr}`);
    assert.equal(r.runc.code, 255);
    assert.equal(r.tsrun.code, r.runc.code);
    assert.deepEqual([r.runc.left, r.tsrun.left], ['running', 'running']);
  } finally {
    b.remove();
  }
});
