// process.apparmorProfile on a host with AppArmor on (the test VM): the
// container's process runs confined by the profile (its own
// /proc/self/attr/current says so, and a path the profile denies is
// denied), an exec'd process takes the container's profile or the one
// asked for, and a profile the kernel does not know is an error, with
// nothing left. runc from the distribution is run beside tsrun as the
// reference. Where AppArmor is off, parity/apparmor.test.ts shows the refusal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle } from '../../helpers/bundle.js';
import { differential, differentialSkip, type Runtime } from '../../helpers/differential.js';
import { requires } from '../../helpers/requires.js';
import { tempDir } from '../../helpers/tsrun.js';

const skip = requires('root', 'apparmor') || differentialSkip;
const ID = 'tsrun-apparmor';
const A = `tsrun-test-a-${process.pid}`;
const B = `tsrun-test-b-${process.pid}`;

/** A profile that allows what a busybox container does and denies reading /secret. */
const profile = (name: string) => `profile ${name} flags=(attach_disconnected,mediate_deleted) {
  file,
  capability,
  network,
  signal,
  ptrace,
  unix,
  mount,
  umount,
  pivot_root,
  deny /secret r,
}
`;

/** Load the test profiles for the duration of fn; removed even on failure. */
function withProfiles(fn: () => void): void {
  const dir = tempDir('tsrun-apparmor-');
  const files = [A, B].map((n) => {
    const f = join(dir.path, n);
    writeFileSync(f, profile(n));
    return f;
  });
  try {
    for (const f of files) {
      const r = spawnSync('apparmor_parser', ['-r', '-W', f], { encoding: 'utf8' });
      assert.equal(r.status, 0, `apparmor_parser -r ${f}: ${r.stderr}`);
    }
    fn();
  } finally {
    for (const f of files) spawnSync('apparmor_parser', ['-R', f]);
    dir.remove();
  }
}

function left(rt: Runtime): string {
  const s = rt.call(['state', ID]);
  return s.code === 0 ? (JSON.parse(s.stdout) as { status: string }).status : 'nothing';
}

test('process.apparmorProfile: the process runs confined (/proc/self/attr/current names the profile, a denied path is denied), as under runc', { skip }, () => {
  withProfiles(() => {
    const b = makeBundle({
      args: ['sh', '-c', 'cat /proc/self/attr/current; cat /secret || echo DENIED'],
      patch: (s) => (s.process!.apparmorProfile = A),
    });
    try {
      writeFileSync(join(b.dir, 'rootfs', 'secret'), 'SECRET\n');
      const r = differential((rt) => rt.call(['run', '--bundle', b.dir, ID]), [ID]);
      for (const rt of ['runc', 'tsrun'] as const) {
        assert.equal(r[rt].code, 0, `${rt}: ${r[rt].stderr}`);
        assert.match(r[rt].stdout, new RegExp(`^${A} \\(enforce\\)\\n`), rt);
        assert.match(r[rt].stdout, /DENIED/, rt);
        assert.doesNotMatch(r[rt].stdout, /SECRET/, rt);
      }
    } finally {
      b.remove();
    }
  });
});

test('exec: the container\'s profile, or the one of --apparmor and of process.json apparmorProfile, as under runc', { skip }, () => {
  withProfiles(() => {
    const b = makeBundle({ args: ['sleep', '1000'], patch: (s) => (s.process!.apparmorProfile = A) });
    const pj = join(b.dir, 'process.json');
    writeFileSync(pj, JSON.stringify({ args: ['cat', '/proc/self/attr/current'], cwd: '/', user: { uid: 0, gid: 0 }, env: ['PATH=/bin:/usr/bin'], apparmorProfile: B }));
    try {
      const r = differential((rt) => {
        const run = rt.call(['run', '-d', '--bundle', b.dir, ID]);
        assert.equal(run.code, 0, `${rt.name} run: ${run.stderr}`);
        return [
          rt.call(['exec', ID, 'cat', '/proc/self/attr/current']),
          rt.call(['exec', '--apparmor', B, ID, 'cat', '/proc/self/attr/current']),
          rt.call(['exec', '--process', pj, ID]),
        ].map((x) => `${x.code} ${x.stdout.trim()}`);
      }, [ID]);
      assert.deepEqual(r.runc, [`0 ${A} (enforce)`, `0 ${B} (enforce)`, `0 ${B} (enforce)`]);
      assert.deepEqual(r.tsrun, r.runc);
    } finally {
      b.remove();
    }
  });
});

test('process.apparmorProfile the kernel does not know: create fails (exit 1, "apparmor failed to apply profile"), nothing left; exec of one: 255', { skip }, () => {
  const b = makeBundle({ args: ['sleep', '1000'], patch: (s) => (s.process!.apparmorProfile = 'tsrun-no-such-profile') });
  const ok = makeBundle({ args: ['sleep', '1000'] });
  try {
    const r = differential((rt) => {
      const create = rt.call(['run', '-d', '--bundle', b.dir, ID]);
      const after = left(rt);
      const run = rt.call(['run', '-d', '--bundle', ok.dir, ID]);
      assert.equal(run.code, 0, `${rt.name} run: ${run.stderr}`);
      const exec = rt.call(['exec', '--apparmor', 'tsrun-no-such-profile', ID, 'true']);
      return { create: create.code, createErr: create.stderr, after, exec: exec.code, execErr: exec.stderr, still: left(rt) };
    }, [ID]);
    for (const rt of ['runc', 'tsrun'] as const) {
      assert.ok(r[rt].createErr.includes('apparmor failed to apply profile'), `${rt}: ${r[rt].createErr}`);
      assert.ok(r[rt].execErr.includes('apparmor failed to apply profile'), `${rt}: ${r[rt].execErr}`);
    }
    assert.match(r.tsrun.createErr, /no such file or directory/i);
    const pick = (x: typeof r.runc) => [x.create, x.after, x.exec, x.still];
    assert.deepEqual(pick(r.runc), [1, 'nothing', 255, 'running']);
    assert.deepEqual(pick(r.tsrun), pick(r.runc));
  } finally {
    b.remove();
    ok.remove();
  }
});
