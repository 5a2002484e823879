// tsrun run by a user without root, as podman and rootless Docker use it
// (issue 18): `tsrun spec --rootless` in a busybox bundle, a user namespace
// mapping only the caller's id (or several ranges through newuidmap and
// newgidmap), no cgroup the user may write, and state under
// $XDG_RUNTIME_DIR/tsrun. Runs as nobody through spawn's uid/gid; the
// multi-range tests give nobody subordinate ids in /etc/subuid and
// /etc/subgid for their duration (one line each, taken out again).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBusyboxBundle } from '../../../bundles/busybox.js';
import { removeCgroupParent } from '../../helpers/cgroup-dirs.mjs';
import { requires } from '../../helpers/requires.js';
import { tsrunBin, tsrunFiles, type RunResult } from '../../helpers/tsrun.js';
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

/** The same with stdout/stderr in files: a created init keeps the caller's stdio. */
function asNobodyFiles(args: string[], env: NodeJS.ProcessEnv = {}): RunResult {
  return tsrunFiles(args, { uid: NOBODY, gid: NOBODY, cwd: bundle, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', XDG_RUNTIME_DIR: xdg, ...env } });
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
  // a rootless engine unpacks the image as its user: the rootfs is the user's
  assert.equal(spawnSync('chown', ['-R', `${NOBODY}:${NOBODY}`, bundle]).status, 0);
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

test('create, state, exec before and after start, kill, delete as nobody (exec into a created container was refused: the init was not dumpable)', { skip }, () => {
  writeConfig((s) => void (s.process!.args = ['sleep', '300']));
  const id = 'rl6';
  try {
    const c = asNobodyFiles(['create', id]);
    assert.equal(c.code, 0, c.stderr);
    const state = () => JSON.parse(asNobody(['state', id]).stdout) as { status: string; pid: number };
    assert.equal(state().status, 'created');
    const early = asNobody(['exec', id, 'sh', '-c', 'id -u; cat /proc/1/cmdline | tr "\\0" " "']);
    assert.equal(early.code, 0, `exec before start: ${early.stderr}`);
    assert.equal(early.stdout.split('\n')[0], '0');
    const s = asNobody(['start', id]);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(state().status, 'running');
    const late = asNobody(['exec', id, 'cat', '/proc/1/cmdline']);
    assert.equal(late.code, 0, late.stderr);
    assert.equal(late.stdout, 'sleep\u0000300\u0000');
    assert.equal(asNobody(['kill', id, 'KILL']).code, 0);
    for (let i = 0; i < 100 && state().status !== 'stopped'; i++) spawnSync('sleep', ['0.05']);
    assert.equal(state().status, 'stopped');
    const d = asNobody(['delete', id]);
    assert.equal(d.code, 0, d.stderr);
    assert.ok(!stateDirs().includes(id));
  } finally {
    asNobody(['delete', '--force', id]);
  }
});

test('mounts: a bind mount of a directory nobody owns, written from inside as the container\'s root, is nobody\'s on the host', { skip }, () => {
  const data = join(top, 'data');
  mkdirSync(data, { mode: 0o700 });
  chownSync(data, NOBODY, NOBODY);
  writeConfig((s) => {
    s.process!.args = ['sh', '-c', 'echo from-inside > /data/f && ls -ln /data/f'];
    s.mounts!.push({ destination: '/data', type: 'bind', source: data, options: ['rbind', 'rw'] });
  });
  const r = asNobody(['run', 'rl7']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^-\S+\s+1\s+0\s+0\s/, 'root inside owns it');
  assert.equal(readFileSync(join(data, 'f'), 'utf8'), 'from-inside\n');
  assert.equal(statSync(join(data, 'f')).uid, NOBODY, 'the caller owns it on the host');
});

// nobody's subordinate ids for the multi-range tests: far from any a host gives its users
const SUB_START = 1_879_048_192;
const SUB_COUNT = 65536;
const subLine = `nobody:${SUB_START}:${SUB_COUNT}`;
const multiSkip = skip || requires({ binary: 'newuidmap' }, { binary: 'newgidmap' });

/** Our line in /etc/subuid and /etc/subgid while `fn` runs, then out again (other lines untouched). */
function withSubids(fn: () => void): void {
  const files = ['/etc/subuid', '/etc/subgid'];
  const strip = (f: string) => {
    const text = existsSync(f) ? readFileSync(f, 'utf8') : '';
    const kept = text.split('\n').filter((l) => l !== '' && l !== subLine);
    writeFileSync(f, kept.length ? `${kept.join('\n')}\n` : '');
    return kept;
  };
  try {
    for (const f of files) writeFileSync(f, [...strip(f), subLine, ''].join('\n'));
    fn();
  } finally {
    for (const f of files) strip(f);
  }
}

const multiRange = (s: Spec, hostStart = SUB_START) => {
  s.linux!.uidMappings = [{ containerID: 0, hostID: NOBODY, size: 1 }, { containerID: 1, hostID: hostStart, size: SUB_COUNT }];
  s.linux!.gidMappings = [{ containerID: 0, hostID: NOBODY, size: 1 }, { containerID: 1, hostID: hostStart, size: SUB_COUNT }];
};

test('linux.uidMappings/gidMappings: several ranges through newuidmap/newgidmap from nobody\'s /etc/subuid and /etc/subgid; a user and groups of the range inside', { skip: multiSkip }, () => {
  withSubids(() => {
    const data = join(top, 'multi');
    mkdirSync(data, { mode: 0o777 });
    chmodSync(data, 0o777);
    writeConfig((s) => {
      multiRange(s);
      s.process!.user = { uid: 1000, gid: 1000, additionalGids: [2000] };
      s.process!.args = ['sh', '-c', 'cat /proc/self/uid_map /proc/self/gid_map; id -u; id -G; cat /proc/self/setgroups; touch /data/by-1000'];
      s.mounts!.push({ destination: '/data', type: 'bind', source: data, options: ['rbind', 'rw'] });
    });
    const r = asNobody(['run', 'rl8']);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').map((l) => l.trim().split(/\s+/).join(' '));
    assert.deepEqual(lines.slice(0, 4), [`0 ${NOBODY} 1`, `1 ${SUB_START} ${SUB_COUNT}`, `0 ${NOBODY} 1`, `1 ${SUB_START} ${SUB_COUNT}`]);
    assert.deepEqual(lines.slice(4), ['1000', '1000 2000', 'allow'], 'uid 1000, its groups set (newgidmap leaves setgroups allowed)');
    assert.equal(statSync(join(data, 'by-1000')).uid, SUB_START + 999, 'container uid 1000 is host uid start+999');
    assert.deepEqual(stateDirs(), []);
  });
});

test('linux.uidMappings: a range outside nobody\'s subordinate ids is refused naming the entry and the range; nothing left, the id free again', { skip: multiSkip }, () => {
  withSubids(() => {
    writeConfig((s) => multiRange(s, SUB_START + SUB_COUNT));
    const r = asNobody(['run', 'rl9']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`linux\\.uidMappings\\[1\\]: host uids ${SUB_START + SUB_COUNT}-${SUB_START + 2 * SUB_COUNT - 1} \\(container uids 1-${SUB_COUNT}\\) are not among the subordinate uids /etc/subuid gives nobody \\(uid ${NOBODY}\\): ${SUB_START}-${SUB_START + SUB_COUNT - 1}`));
    assert.deepEqual(stateDirs(), []);
    writeConfig((s) => multiRange(s));
    assert.equal(asNobody(['run', 'rl9']).code, 0);
  });
});

test('linux.uidMappings: what newuidmap says when it refuses reaches the user with the field (a refusing newuidmap first on PATH)', { skip: multiSkip }, () => {
  withSubids(() => {
    const fake = join(top, 'fakebin');
    mkdirSync(fake, { recursive: true, mode: 0o755 });
    writeFileSync(join(fake, 'newuidmap'), '#!/bin/sh\necho "newuidmap: uid range [1-65537) -> [$6-...) not allowed" >&2\nexit 1\n', { mode: 0o755 });
    writeConfig((s) => multiRange(s));
    const r = asNobodyFiles(['run', 'rl10'], { PATH: `${fake}:${process.env.PATH ?? '/usr/bin:/bin'}` });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /\/linux\/uidMappings: .*fakebin\/newuidmap \d+: exit status 1: newuidmap: uid range \[1-65537\) -> \[1879048192-\.\.\.\) not allowed/);
    assert.doesNotMatch(r.stderr, SOCKET_ERRORS);
    assert.deepEqual(stateDirs(), []);
  });
});
