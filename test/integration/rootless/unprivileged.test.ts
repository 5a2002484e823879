// tsrun run by a user without root, as podman and rootless Docker use it
// (issue 18): `tsrun spec --rootless` in a busybox bundle, a user namespace
// mapping only the caller's id, no cgroup the user may write, and state
// under $XDG_RUNTIME_DIR/tsrun. Runs as nobody through spawn's uid/gid.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBusyboxBundle } from '../../../bundles/busybox.js';
import { removeCgroupParent } from '../../helpers/cgroup-dirs.mjs';
import { requires } from '../../helpers/requires.js';
import { tsrunBin, type RunResult } from '../../helpers/tsrun.js';
import type { Spec } from '../../../src/spec/types.js';

const NOBODY = 65534;
const skip = requires('root', 'unprivileged-userns');
const cgroupParent = `tsrun-test-${process.pid}-rootless`;
let top = '';
let bundle = '';
let xdg = '';
let rootless = '';

/** tsrun as nobody, in the bundle, with only PATH and XDG_RUNTIME_DIR in its environment. */
function asNobody(args: string[]): RunResult {
  const r = spawnSync(tsrunBin, args, {
    uid: NOBODY, gid: NOBODY, cwd: bundle, encoding: 'utf8', timeout: 60_000,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', XDG_RUNTIME_DIR: xdg },
  });
  return { code: r.status, signal: r.signal, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}

/** The `spec --rootless` config nobody wrote, with `patch` applied. */
function writeConfig(patch: (s: Spec) => void): void {
  const s = JSON.parse(rootless) as Spec;
  s.process!.terminal = false;
  s.linux!.cgroupsPath = `/${cgroupParent}/c`;
  patch(s);
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(s));
}

/** The ids with a state dir under the default root ($XDG_RUNTIME_DIR/tsrun). */
const stateDirs = () => (existsSync(join(xdg, 'tsrun')) ? readdirSync(join(xdg, 'tsrun')) : []);

const SOCKET_ERRORS = /ECONNRESET|EPIPE|connection reset|broken pipe/;

before(() => {
  if (skip) return;
  top = mkdtempSync(join(tmpdir(), 'tsrun-rootless-'));
  chmodSync(top, 0o755);
  bundle = join(top, 'bundle');
  makeBusyboxBundle(bundle);
  rmSync(join(bundle, 'config.json'));
  chownSync(bundle, NOBODY, NOBODY);
  xdg = join(top, 'xdg');
  mkdirSync(xdg, { mode: 0o700 });
  chownSync(xdg, NOBODY, NOBODY);
  const spec = asNobody(['spec', '--rootless']);
  assert.equal(spec.code, 0, spec.stderr);
  rootless = readFileSync(join(bundle, 'config.json'), 'utf8');
});

after(() => {
  if (skip) return;
  for (const id of stateDirs()) asNobody(['delete', '--force', id]);
  rmSync(top, { recursive: true, force: true });
  removeCgroupParent(cgroupParent);
});

test('nobody runs a `spec --rootless` container: root inside maps to its own id, state under $XDG_RUNTIME_DIR/tsrun, no cgroup warning', { skip }, () => {
  writeConfig((s) => void (s.process!.args = ['sh', '-c', 'id -u; cat /proc/self/uid_map']));
  const r = asNobody(['run', 'rl1']);
  assert.equal(r.code, 0, r.stderr);
  const [uid, map] = r.stdout.trim().split('\n');
  assert.equal(uid, '0');
  assert.deepEqual(map!.trim().split(/\s+/), ['0', String(NOBODY), '1']);
  assert.equal(r.stderr, '', 'no cgroup asked, none writable: skipped in silence, as runc');
  assert.ok(existsSync(join(xdg, 'tsrun')), 'the default --root of a non-root caller is $XDG_RUNTIME_DIR/tsrun');
  assert.equal(statSync(join(xdg, 'tsrun')).mode & 0o7777, 0o1700, 'sticky, as runc marks its root under XDG_RUNTIME_DIR');
  assert.deepEqual(stateDirs(), [], 'run deletes its container');
});

test('a limit asked without a writable cgroup: the error names the field, nothing is left, the id is free again (issue 18\'s leak)', { skip }, () => {
  writeConfig((s) => {
    s.process!.args = ['true'];
    s.linux!.resources = { pids: { limit: 10 } };
  });
  for (let i = 0; i < 2; i++) {
    const r = asNobody(['run', 'rl2']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /linux\.resources\.pids\.limit/);
    assert.doesNotMatch(r.stderr, SOCKET_ERRORS);
    assert.doesNotMatch(r.stderr, /already exists/, 'a failed create left its state dir');
    assert.deepEqual(stateDirs(), []);
  }
  assert.match(asNobody(['delete', 'rl2']).stderr, /container does not exist/);
  writeConfig((s) => void (s.process!.args = ['true']));
  const ok = asNobody(['run', 'rl2']);
  assert.equal(ok.code, 0, ok.stderr);
});

test('--rootless false: the cgroup nobody may not make is an error naming cgroupsPath; the id is free again', { skip }, () => {
  writeConfig((s) => void (s.process!.args = ['true']));
  const r = asNobody(['--rootless', 'false', 'run', 'rl3']);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, /cgroupsPath.*permission denied/);
  assert.doesNotMatch(r.stderr, SOCKET_ERRORS);
  assert.deepEqual(stateDirs(), []);
  const ok = asNobody(['run', 'rl3']);
  assert.equal(ok.code, 0, ok.stderr);
});

test('an executor failure as nobody (process.args[0] missing) says so in words and leaves the id free', { skip }, () => {
  writeConfig((s) => void (s.process!.args = ['/nonexistent-binary']));
  const r = asNobody(['run', 'rl4']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /\/nonexistent-binary.*no such file or directory/);
  assert.doesNotMatch(r.stderr, SOCKET_ERRORS);
  assert.deepEqual(stateDirs(), []);
  writeConfig((s) => void (s.process!.args = ['true']));
  const ok = asNobody(['run', 'rl4']);
  assert.equal(ok.code, 0, ok.stderr);
});

test('--rootless true, as issue 18 tried it: the container runs (it died opening a cgroup.procs nobody may write, with ECONNRESET, and left its state dir)', { skip }, () => {
  writeConfig((s) => void (s.process!.args = ['echo', 'hi']));
  const r = asNobody(['--rootless', 'true', 'run', 'rl5']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'hi\n');
  assert.deepEqual(stateDirs(), []);
});
