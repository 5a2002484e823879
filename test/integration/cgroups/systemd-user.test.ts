// --systemd-cgroup rootless: a user's container is a scope of that user's
// own systemd manager (user.slice below user@UID.service), reached on its
// private socket, with linux.resources as its properties. Only in the test
// VM (a disposable host: it adds a user with a lingering `systemd --user`,
// removed again at the end), on cgroup v2 (runc has no rootless systemd
// driver on v1 either).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tsrunBin } from '../../helpers/tsrun.js';
import { makeBundle, type Bundle } from '../../helpers/bundle.js';
import { requires } from '../../helpers/requires.js';
import { until } from './helpers.js';

const inVm = (() => {
  try {
    return readFileSync('/proc/cmdline', 'utf8').includes('tsrun.mode=');
  } catch {
    return false;
  }
})();
const skip = requires('root', 'systemd', 'cgroup-v2') || (inVm ? false : 'needs the test VM (npm run vm): it adds a user with a lingering systemd --user');
const user = 'tsrunsd';
const sh = (cmd: string, args: string[]): SpawnSyncReturns<string> => spawnSync(cmd, args, { encoding: 'utf8' });
let uid = 0;
let bundle: Bundle | undefined;

after(() => {
  if (skip) return;
  bundle?.remove();
  sh('loginctl', ['disable-linger', user]);
  sh('loginctl', ['terminate-user', user]);
  sh('userdel', ['-r', user]);
});

/** tsrun as the user, with its runtime dir (where its manager's socket is). */
function asUser(args: string[], quiet = false) {
  // create: the init keeps create's stdio, so none is given (a pipe would be waited on); errors go to --log
  const r = spawnSync('runuser', ['-u', user, '--', 'env', `XDG_RUNTIME_DIR=/run/user/${uid}`, tsrunBin, '--systemd-cgroup', '--root', `/run/user/${uid}/tsrun-test`, ...args], {
    encoding: 'utf8', timeout: 120_000, stdio: quiet ? 'ignore' : 'pipe',
  });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}
const userShow = (unit: string, ...props: string[]) =>
  Object.fromEntries(
    sh('runuser', ['-u', user, '--', 'env', `XDG_RUNTIME_DIR=/run/user/${uid}`, 'systemctl', '--user', 'show', ...props.flatMap((p) => ['-p', p]), unit])
      .stdout.split('\n').filter(Boolean).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );

test('--systemd-cgroup as a user: a scope of the user\'s own manager (user.slice), linux.resources.pids as TasksMax = pids.max, delete leaves no unit and no cgroup', { skip }, async () => {
  if (sh('id', ['-u', user]).status !== 0) assert.equal(sh('useradd', ['-m', user]).status, 0);
  uid = Number(sh('id', ['-u', user]).stdout.trim());
  assert.equal(sh('loginctl', ['enable-linger', user]).status, 0);
  assert.ok(await until(() => existsSync(`/run/user/${uid}/systemd/private`), 60_000), 'the user manager is up');

  bundle = makeBundle({ args: ['sleep', '1000'] });
  // the rootless spec, on the busybox rootfs, mapped to this user
  const specDir = join(bundle.dir, 'spec');
  mkdirSync(specDir);
  assert.equal(sh(tsrunBin, ['spec', '--rootless', '--bundle', specDir]).status, 0);
  const rootless = JSON.parse(readFileSync(join(specDir, 'config.json'), 'utf8'));
  rootless.root = { path: join(bundle.dir, bundle.config.root!.path), readonly: true };
  rootless.process.args = ['sleep', '1000'];
  rootless.process.terminal = false;
  rootless.linux.uidMappings = [{ containerID: 0, hostID: uid, size: 1 }];
  rootless.linux.gidMappings = [{ containerID: 0, hostID: uid, size: 1 }];
  rootless.linux.cgroupsPath = ':tsrun:rl';
  rootless.linux.resources = { pids: { limit: 30 } };
  writeFileSync(join(bundle.dir, 'config.json'), JSON.stringify(rootless));
  chmodSync(bundle.dir, 0o755);
  sh('chown', ['-R', `${user}:`, bundle.dir]);

  const log = join(bundle.dir, 'log');
  const c = asUser(['--log', log, 'create', '--bundle', bundle.dir, 'rl'], true);
  assert.equal(c.code, 0, existsSync(log) ? readFileSync(log, 'utf8') : 'create failed');
  try {
    const p = userShow('tsrun-rl.scope', 'ActiveState', 'ControlGroup', 'TasksMax');
    assert.equal(p.ActiveState, 'active');
    assert.equal(p.ControlGroup, `/user.slice/user-${uid}.slice/user@${uid}.service/user.slice/tsrun-rl.scope`);
    assert.equal(p.TasksMax, '30');
    assert.equal(readFileSync(join('/sys/fs/cgroup', p.ControlGroup!, 'pids.max'), 'utf8').trim(), '30');
    const pid = JSON.parse(asUser(['state', 'rl']).stdout).pid as number;
    assert.match(readFileSync(`/proc/${pid}/cgroup`, 'utf8'), /user@\d+\.service\/user\.slice\/tsrun-rl\.scope$/m);
  } finally {
    const d = asUser(['delete', '--force', 'rl']);
    assert.equal(d.code, 0, d.stderr);
  }
  assert.equal(userShow('tsrun-rl.scope', 'LoadState').LoadState, 'not-found', 'no unit left');
  assert.ok(!existsSync(`/sys/fs/cgroup/user.slice/user-${uid}.slice/user@${uid}.service/user.slice/tsrun-rl.scope`), 'no cgroup left');
});
