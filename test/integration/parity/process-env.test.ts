// runc parity (issue 12), the process's environment: the same bundle and
// command through runc and tsrun, comparing the exit code and what the
// process (or hook) saw. process.env folding, HOME from the container's
// /etc/passwd (also through a symlink, also for exec), hooks' environment,
// and an exec process.json without user.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle, type BundleOptions } from '../../helpers/bundle.js';
import { differential, differentialSkip, type Runtime } from '../../helpers/differential.js';
import { tempDir } from '../../helpers/tsrun.js';
import type { Spec } from '../../../src/spec/types.js';

const skip = differentialSkip;

/** `run` the bundle in the foreground; a fresh bundle per runtime. */
function runOnce(rt: Runtime, opts: BundleOptions & { prepare?: (dir: string) => void }) {
  const b = makeBundle(opts);
  try {
    opts.prepare?.(b.dir);
    const res = rt.call(['run', '--bundle', b.dir, 'p']);
    return { code: res.code, stdout: res.stdout, stderr: res.stderr };
  } finally {
    b.remove();
  }
}

const lines = (s: string) => s.split('\n').filter(Boolean);

test('process.env: duplicate names fold to one entry, in its first place, with its last value', { skip }, () => {
  const out = differential((rt) => runOnce(rt, {
    args: ['env'],
    patch: (s) => (s.process!.env = ['A=1', 'PATH=/bin', 'B=2', 'A=3', 'PATH=/usr/bin']),
  }), ['p']);
  assert.equal(out.runc.code, 0, out.runc.stderr);
  assert.equal(out.tsrun.code, 0, out.tsrun.stderr);
  assert.deepEqual(lines(out.tsrun.stdout), lines(out.runc.stdout));
  assert.deepEqual(lines(out.tsrun.stdout), ['A=3', 'PATH=/usr/bin', 'B=2', 'HOME=/root']);
});

test('HOME: from the user\'s entry in the container\'s /etc/passwd, "/" without one, never over a set HOME', { skip }, () => {
  const cases: [string, (s: Spec) => void][] = [
    ['root', () => {}],
    ['nobody (65534)', (s) => (s.process!.user = { uid: 65534, gid: 65534 })],
    ['uid 1000, no entry', (s) => (s.process!.user = { uid: 1000, gid: 1000 })],
    ['HOME set', (s) => s.process!.env!.push('HOME=/set')],
    ['HOME empty (runc fills it in its place)', (s) => s.process!.env!.splice(0, 0, 'HOME=')],
  ];
  for (const [name, patch] of cases) {
    const out = differential((rt) => runOnce(rt, { args: ['env'], patch }), ['p']);
    assert.equal(out.tsrun.code, out.runc.code, `${name}: ${out.tsrun.stderr}`);
    assert.equal(out.tsrun.code, 0, `${name}: ${out.runc.stderr}`);
    assert.deepEqual(lines(out.tsrun.stdout), lines(out.runc.stdout), name);
    assert.ok(lines(out.tsrun.stdout).some((l) => /^HOME=./.test(l)), `${name}: a HOME`);
  }
});

test('HOME: a symlinked /etc/passwd resolves inside the rootfs, never on the host', { skip }, () => {
  // rootfs/etc/passwd -> ../../passwd: on the host that is <bundle>/passwd
  // (home /host-side); in the container it stops at the root: /passwd
  const prepare = (dir: string) => {
    writeFileSync(join(dir, 'passwd'), 'u:x:1000:1000::/host-side:/bin/sh\n');
    writeFileSync(join(dir, 'rootfs/passwd'), 'u:x:1000:1000::/inside:/bin/sh\n');
    rmSync(join(dir, 'rootfs/etc/passwd'));
    symlinkSync('../../passwd', join(dir, 'rootfs/etc/passwd'));
  };
  const out = differential((rt) => runOnce(rt, {
    args: ['sh', '-c', 'echo $HOME'], prepare, patch: (s) => (s.process!.user = { uid: 1000, gid: 1000 }),
  }), ['p']);
  assert.equal(out.runc.stdout, '/inside\n', out.runc.stderr);
  assert.equal(out.tsrun.stdout, '/inside\n', out.tsrun.stderr);
});

test('exec: -e PATH replaces the config\'s PATH in its place; HOME from /etc/passwd as it is at exec time; a process.json without user runs as 0:0', { skip }, () => {
  const out = differential((rt) => {
    const b = makeBundle({ args: ['sleep', '1000'] });
    try {
      assert.equal(rt.call(['run', '-d', '--bundle', b.dir, 'e']).code, 0);
      const env = rt.call(['exec', '-e', 'PATH=/usr/bin', '-e', 'A=1', 'e', 'env']);
      // the container's passwd changes after create: exec reads it then
      writeFileSync(join(b.dir, 'rootfs/etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nlater:x:1000:1000::/later:/bin/sh\n');
      const home = rt.call(['exec', '--user', '1000', 'e', 'sh', '-c', 'echo $HOME']);
      const pf = join(b.dir, 'process.json');
      writeFileSync(pf, JSON.stringify({ cwd: '/', args: ['sh', '-c', 'echo $(id -u):$(id -g) $HOME'], env: ['PATH=/bin'] }));
      const nouser = rt.call(['exec', '--process', pf, 'e']);
      return { env, home, nouser };
    } finally {
      rt.call(['delete', '--force', 'e']);
      b.remove();
    }
  }, ['e']);
  for (const k of ['env', 'home', 'nouser'] as const) {
    assert.equal(out.runc[k].code, 0, `runc ${k}: ${out.runc[k].stderr}`);
    assert.equal(out.tsrun[k].code, 0, `tsrun ${k}: ${out.tsrun[k].stderr}`);
    assert.deepEqual(lines(out.tsrun[k].stdout), lines(out.runc[k].stdout), k);
  }
  assert.deepEqual(lines(out.tsrun.env.stdout), ['PATH=/usr/bin', 'TERM=xterm', 'A=1', 'HOME=/root']);
  assert.equal(out.tsrun.home.stdout, '/later\n');
  assert.equal(out.tsrun.nouser.stdout, '0:0 /root\n');
});

// NODE_OPTIONS and NODE_EXTRA_CA_CERTS never reach tsrun's Node (bin/tsrun drops them: native/launcher.c)
const launcherDropped = /^(NODE_OPTIONS|NODE_EXTRA_CA_CERTS)=/;

test('hooks: without env, runtime hooks get the runtime\'s environment (in the bundle), createContainer and startContainer the process\'s; with env, only that', { skip }, () => {
  const kinds = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'] as const;
  const inContainer = (k: string) => k === 'startContainer';
  const run = (withEnv: boolean) => differential((rt) => {
    const out = tempDir('tsrun-parity-hooks-');
    let b: ReturnType<typeof makeBundle> | undefined;
    try {
      b = makeBundle({
        args: ['true'],
        patch: (s) => {
          s.root!.readonly = false;
          s.process!.env = ['PATH=/bin:/usr/bin', 'A=1', 'A=2'];
          s.process!.user = { uid: 65534, gid: 65534 };
          s.hooks = {};
          for (const k of kinds) {
            // startContainer runs in the container: its file lands in the rootfs
            const file = inContainer(k) ? `/tmp/hook-${k}` : join(out.path, `hook-${k}`);
            s.hooks[k] = [{ path: '/bin/sh', args: ['sh', '-c', `env > ${file}`], ...(withEnv ? { env: ['ONLY=this'] } : {}) }];
          }
        },
      });
      const res = rt.call(['run', '--bundle', b.dir, 'h'], { env: { ...process.env, TSRUN_PARITY_MARK: 'from-the-caller' } });
      rt.call(['delete', '--force', 'h']); // poststop
      const seen: Record<string, string[]> = {};
      const modes: Record<string, string> = {};
      for (const k of kinds) {
        const file = inContainer(k) ? join(b.dir, 'rootfs/tmp', `hook-${k}`) : join(out.path, `hook-${k}`);
        seen[k] = lines(readFileSync(file, 'utf8').split(b.dir).join('<bundle>'))
          .filter((l) => !launcherDropped.test(l) && !/^(SHLVL|OLDPWD|_)=/.test(l)).sort();
        // the file the hook made: its mode tells the hook's umask
        modes[k] = (statSync(file).mode & 0o777).toString(8);
      }
      return { code: res.code, stderr: res.stderr, seen, modes };
    } finally {
      b?.remove();
      out.remove();
    }
  }, ['h']);
  for (const withEnv of [false, true]) {
    const out = run(withEnv);
    assert.equal(out.runc.code, 0, out.runc.stderr);
    assert.equal(out.tsrun.code, 0, out.tsrun.stderr);
    for (const k of kinds) {
      assert.deepEqual(out.tsrun.seen[k], out.runc.seen[k], `${k} hook, ${withEnv ? 'with' : 'without'} env`);
    }
    assert.deepEqual(out.tsrun.modes, out.runc.modes, 'the modes of the files the hooks made (their umask)');
    // createContainer: in the rootfs, umask 0022, as runc's init runs it
    assert.ok(out.tsrun.seen.createContainer!.includes('PWD=<bundle>/rootfs'), out.tsrun.seen.createContainer!.join(' '));
    assert.equal(out.tsrun.modes.createContainer, '644');
    if (!withEnv) {
      assert.ok(out.tsrun.seen.poststart!.includes('TSRUN_PARITY_MARK=from-the-caller'));
      assert.ok(out.tsrun.seen.poststop!.includes('PWD=<bundle>'));
      assert.deepEqual(out.tsrun.seen.startContainer!.filter((l) => !l.startsWith('PWD=')), ['A=2', 'HOME=/nonexistent', 'PATH=/bin:/usr/bin']);
    } else {
      assert.ok(out.tsrun.seen.prestart!.includes('ONLY=this'));
    }
  }
});

test('process.env: an entry without "=" is refused in runc\'s words, exit 1, naming /process/env/N, nothing left behind', { skip }, () => {
  const out = differential((rt) => {
    const b = makeBundle({ args: ['true'], patch: (s) => (s.process!.env = ['PATH=/bin', 'FOO']) });
    try {
      const res = rt.call(['run', '--bundle', b.dir, 'badenv']);
      const state = rt.call(['state', 'badenv']);
      // the container's own cgroup (the leaf), in the pids hierarchy
      const leaf = existsSync(join('/sys/fs/cgroup/pids', b.cgroupsPath));
      return { code: res.code, stderr: res.stderr, stateCode: state.code, leaf };
    } finally {
      b.remove();
    }
  }, ['badenv']);
  for (const name of ['runc', 'tsrun'] as const) {
    assert.equal(out[name].code, 1, `${name}: ${out[name].stderr}`);
    assert.match(out[name].stderr, /invalid environment variable: \\?"FOO\\?"/, name);
    assert.notEqual(out[name].stateCode, 0, `${name}: no container left`);
    assert.equal(out[name].leaf, false, `${name}: no cgroup left`);
  }
  assert.match(out.tsrun.stderr, /\/process\/env\/1/);
});

test('exec -e without "=" is refused in runc\'s words, exit 255; -e FOO= is an empty value', { skip }, () => {
  const out = differential((rt) => {
    const b = makeBundle({ args: ['sleep', '1000'] });
    try {
      assert.equal(rt.call(['run', '-d', '--bundle', b.dir, 'ee']).code, 0);
      const bad = rt.call(['exec', '-e', 'FOO', 'ee', 'true']);
      const empty = rt.call(['exec', '-e', 'FOO=', 'ee', 'sh', '-c', 'echo "[${FOO-unset}]"']);
      return { bad, empty };
    } finally {
      rt.call(['delete', '--force', 'ee']);
      b.remove();
    }
  }, ['ee']);
  for (const name of ['runc', 'tsrun'] as const) {
    assert.equal(out[name].bad.code, 255, `${name}: ${out[name].bad.stderr}`);
    assert.match(out[name].bad.stderr, /invalid environment variable: \\?"FOO\\?"/, name);
    assert.equal(out[name].empty.code, 0, `${name}: ${out[name].empty.stderr}`);
    assert.equal(out[name].empty.stdout, '[]\n', name);
  }
});
