// dockerd 20.10 drives tsrun unchanged: `dockerd --add-runtime tsrun=bin/tsrun`
// + `docker run --runtime tsrun`, through containerd's runc v2 shim. dockerd
// and its containerd run privately (data/exec roots, sockets in a temp dir,
// no bridge, no iptables) and are stopped by pid; containers get --net none
// and a cgroup parent of ours.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isRoot, tsrunBin } from '../../helpers/tsrun.js';
import {
  cgroupsUnder, PRINT_LIMITS, filesNamed, findBinary, IMAGE_REF, keepRunContainerdClean, makeEngineEnv, mountsUnder,
  processesMentioning, startContainerd, waitFor, type EngineEnv,
} from './engine-env.js';

const dockerd = findBinary('dockerd');
// The client that came with this dockerd (a newer one elsewhere on PATH works too, but this one is certain to).
const dockerCli = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : findBinary('docker');
const containerd = findBinary('containerd');
const ctrBin = findBinary('ctr');
const skip = !isRoot
  ? 'needs root: runs real containers'
  : !dockerd || !dockerCli
    ? 'dockerd or docker not installed (apt-get install docker.io)'
    : !containerd || !ctrBin || !findBinary('containerd-shim-runc-v2')
      ? 'containerd not installed (apt-get install containerd)'
      : !existsSync('/bin/busybox')
        ? 'needs /bin/busybox (apt-get install busybox-static)'
        : false;

describe('dockerd with tsrun as an added runtime', { skip }, () => {
  let env: EngineEnv | undefined;
  let execRoot = '';
  let runArgs: string[] = [];
  const cleanRunContainerd = keepRunContainerdClean();
  // dockerd 20.10 writes its trust key to /etc/docker/key.json, no flag moves it.
  const keyJson = '/etc/docker/key.json';
  const keyExisted = existsSync(keyJson);

  const docker = (args: string[]) =>
    env!.run(dockerCli!, ['-H', `unix://${env!.dir}/docker.sock`, ...args], {
      env: { ...process.env, DOCKER_CONFIG: join(env!.dir, 'docker-config') },
    });
  const dockerTty = (args: string[]) =>
    env!.runTty(dockerCli!, ['-H', `unix://${env!.dir}/docker.sock`, ...args], {
      env: { ...process.env, DOCKER_CONFIG: join(env!.dir, 'docker-config') },
    });

  before(async () => {
    env = await makeEngineEnv('docker');
    execRoot = join(env.dir, 'exec');
    runArgs = ['--runtime', 'tsrun', '--net', 'none', '--cgroup-parent', env.cgroupParent];
    const sock = startContainerd(env, containerd!, ctrBin!);
    const config = join(env.dir, 'daemon.json');
    writeFileSync(config, '{}\n');
    const d = env.startDaemon('dockerd', dockerd!, [
      '--config-file', config,
      '--data-root', join(env.dir, 'data'),
      '--exec-root', execRoot,
      '-H', `unix://${env.dir}/docker.sock`,
      '--pidfile', join(env.dir, 'docker.pid'),
      '--containerd', sock,
      '--bridge=none', '--iptables=false', '--ip6tables=false', '--ip-masq=false', '--userland-proxy=false',
      '--storage-driver', 'vfs',
      '--exec-opt', 'native.cgroupdriver=cgroupfs',
      '--add-runtime', `tsrun=${tsrunBin}`,
    ]);
    waitFor('dockerd to serve', () => {
      if (d.exited()) throw new Error(`dockerd exited:\n${d.log()}`);
      return existsSync(join(env!.dir, 'docker.sock')) && docker(['version']).code === 0;
    }, 60_000);
    const load = docker(['load', '-i', env.imageTar]);
    assert.equal(load.code, 0, load.stderr);
    assert.match(load.stdout, /Loaded image: localhost\/tsrun-busybox:test/);
    const info = docker(['info', '--format', '{{json .Runtimes}}']);
    assert.match(info.stdout, /"tsrun"/);
  });

  after(async () => {
    try {
      if (env) for (const id of docker(['ps', '-aq']).stdout.split('\n').filter(Boolean)) docker(['rm', '-f', id]);
    } finally {
      await env?.cleanup();
      cleanRunContainerd();
      if (!keyExisted) rmSync(keyJson, { force: true });
    }
  });

  test('run: the output and the exit code come back', () => {
    const r = docker(['run', '--rm', ...runArgs, IMAGE_REF, 'sh', '-c', 'echo hello from tsrun; exit 3']);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout, 'hello from tsrun\n');
  });

  test('run -t: a terminal through the console socket, the exit code back', () => {
    const r = dockerTty(['run', '--rm', '-t', ...runArgs, IMAGE_REF, 'sh', '-c', 'tty; exit 4']);
    assert.equal(r.code, 4, r.stderr + r.stdout);
    assert.match(r.stdout, /\/dev\/pts\/\d+/);
  });

  test('limits are visible inside: --memory and --pids-limit', () => {
    const r = docker([
      'run', '--rm', ...runArgs, '--memory', '64m', '--pids-limit', '50', IMAGE_REF,
      'sh', '-c', PRINT_LIMITS,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${64 * 1024 * 1024}\n50\n`);
  });

  test('exec (plain and -t) into a running container; stop: SIGTERM reaches the payload', () => {
    const name = 'tsrun-long';
    const r = docker([
      'run', '-d', '--name', name, ...runArgs, IMAGE_REF,
      'sh', '-c', 'trap "echo got TERM; exit 7" TERM; echo ready; while true; do sleep 0.1; done',
    ]);
    assert.equal(r.code, 0, r.stderr);
    waitFor('the payload to start', () => docker(['logs', name]).stdout.includes('ready'), 20_000);
    // The state lives under dockerd's exec-root (so the emptiness check at the end means something).
    assert.equal(filesNamed(execRoot, 'state.json').length, 1, 'tsrun state of the running container under the exec-root');

    const ex = docker(['exec', name, 'sh', '-c', 'echo in-exec; exit 5']);
    assert.equal(ex.code, 5, ex.stderr);
    assert.equal(ex.stdout, 'in-exec\n');
    const ext = dockerTty(['exec', '-t', name, 'sh', '-c', 'tty; exit 6']);
    assert.equal(ext.code, 6, ext.stderr + ext.stdout);
    assert.match(ext.stdout, /\/dev\/pts\/\d+/);

    const stop = docker(['stop', '-t', '10', name]);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(docker(['inspect', '-f', '{{.State.ExitCode}}', name]).stdout.trim(), '7');
    assert.match(docker(['logs', name]).stdout, /got TERM/);
    assert.equal(docker(['rm', name]).code, 0);
  });

  test('kill: SIGKILL ends the container with 137', () => {
    const name = 'tsrun-kill';
    assert.equal(docker(['run', '-d', '--name', name, ...runArgs, IMAGE_REF, 'sleep', '1000']).code, 0);
    const k = docker(['kill', name]);
    assert.equal(k.code, 0, k.stderr);
    waitFor('the container to exit', () => docker(['inspect', '-f', '{{.State.Running}}', name]).stdout.trim() === 'false', 20_000);
    assert.equal(docker(['inspect', '-f', '{{.State.ExitCode}}', name]).stdout.trim(), '137');
    assert.equal(docker(['rm', name]).code, 0);
  });

  test('pause/unpause, update of the memory limit, top on a running container', () => {
    const name = 'tsrun-ops';
    const r = docker(['run', '-d', '--name', name, ...runArgs, '--memory', '64m', IMAGE_REF, 'sleep', '1000']);
    assert.equal(r.code, 0, r.stderr);
    const p = docker(['pause', name]);
    assert.equal(p.code, 0, p.stderr);
    assert.equal(docker(['inspect', '-f', '{{.State.Status}}', name]).stdout.trim(), 'paused');
    const u = docker(['unpause', name]);
    assert.equal(u.code, 0, u.stderr);
    assert.equal(docker(['inspect', '-f', '{{.State.Status}}', name]).stdout.trim(), 'running');
    const up = docker(['update', '--memory', '96m', '--memory-swap', '192m', name]);
    assert.equal(up.code, 0, up.stderr);
    const lim = docker(['exec', name, 'sh', '-c', PRINT_LIMITS]);
    assert.equal(lim.stdout.split('\n')[0], String(96 * 1024 * 1024), lim.stderr);
    const top = docker(['top', name]);
    assert.equal(top.code, 0, top.stderr);
    assert.match(top.stdout, /sleep 1000/);
    assert.equal(docker(['rm', '-f', name]).code, 0);
  });

  test('common run options: --cap-add/--cap-drop, --user, --read-only, -i, --tmpfs/-w/-e, -v ro, --sysctl, --shm-size', () => {
    const caps = docker(['run', '--rm', ...runArgs, '--cap-add', 'NET_ADMIN', '--cap-drop', 'CHOWN', IMAGE_REF, 'grep', 'CapEff', '/proc/self/status']);
    assert.equal(caps.code, 0, caps.stderr);
    const eff = BigInt(`0x${caps.stdout.split(/\s+/)[1]}`);
    assert.equal((eff >> 12n) & 1n, 1n, 'CAP_NET_ADMIN added');
    assert.equal(eff & 1n, 0n, 'CAP_CHOWN dropped');
    const user = docker(['run', '--rm', ...runArgs, '--user', '65534:65534', IMAGE_REF, 'id']);
    assert.equal(user.code, 0, user.stderr);
    assert.match(user.stdout, /uid=65534\(nobody\) gid=65534\(nobody\)/);
    const ro = docker(['run', '--rm', ...runArgs, '--read-only', IMAGE_REF, 'sh', '-c', 'touch /x 2>&1; echo rc=$?']);
    assert.match(ro.stdout, /Read-only file system/);
    assert.match(ro.stdout, /rc=1/);
    const stdin = env!.run('sh', ['-c', `echo piped-in | ${dockerCli} -H unix://${env!.dir}/docker.sock run --rm -i ${runArgs.join(' ')} ${IMAGE_REF} cat`], {
      env: { ...process.env, DOCKER_CONFIG: join(env!.dir, 'docker-config') },
    });
    assert.equal(stdin.code, 0, stdin.stderr);
    assert.equal(stdin.stdout, 'piped-in\n');
    const vol = join(env!.dir, 'vol');
    mkdirSync(vol);
    writeFileSync(join(vol, 'f'), 'from the host\n');
    const many = docker([
      'run', '--rm', ...runArgs, '--hostname', 'boxy', '--tmpfs', '/scratch:size=1m', '-w', '/scratch', '-e', 'FOO=bar',
      '-v', `${vol}:/vol:ro`, '--sysctl', 'kernel.msgmax=4096', '--shm-size', '8m', IMAGE_REF,
      'sh', '-c', 'hostname; pwd; echo $FOO; cat /vol/f /proc/sys/kernel/msgmax; df -k /dev/shm | tail -1; touch /vol/x 2>/dev/null || echo vol-ro',
    ]);
    assert.equal(many.code, 0, many.stderr);
    assert.match(many.stdout, /^boxy\n\/scratch\nbar\nfrom the host\n4096\nshm\s+8192\s.*\nvol-ro\n$/);
  });

  // dockerd binds its docker-init (tini) in as /sbin/docker-init; without one on the host, --init fails in dockerd, not in the runtime
  test('run --init: docker-init is pid 1 and runs the command', { skip: findBinary('docker-init') ? false : 'docker-init is not installed (Debian ships it with docker.io; elsewhere it is tini): --init cannot be tried' }, () => {
    const init = docker(['run', '--rm', ...runArgs, '--init', IMAGE_REF, 'sh', '-c', 'tr "\\0" " " </proc/1/cmdline']);
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stdout, /^\/sbin\/docker-init -- sh/);
  });

  test('run --privileged: every capability the host can grant, the rest dropped with a warning (runc fails it on such a host)', () => {
    const r = docker(['run', '--rm', ...runArgs, '--privileged', IMAGE_REF, 'grep', 'CapEff', '/proc/self/status']);
    assert.equal(r.code, 0, r.stderr);
    const eff = BigInt(`0x${r.stdout.split(/\s+/)[1]}`);
    const bounding = BigInt(`0x${/^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))![1]}`);
    // dockerd 20.10 knows the capabilities up to CAP_AUDIT_READ (37): all of those the host has.
    const known = (1n << 38n) - 1n;
    assert.equal(eff, bounding & known, 'every capability docker asks for that the runtime holds, and no other');
  });

  test('a nonexistent command: exit 127, "executable file not found"', () => {
    const r = docker(['run', '--rm', ...runArgs, IMAGE_REF, 'nonexistentcmd']);
    assert.equal(r.code, 127, r.stderr);
    assert.match(r.stderr, /executable file not found/);
  });

  test('a file that is not executable: exit 126, "permission denied"', () => {
    const r = docker(['run', '--rm', ...runArgs, IMAGE_REF, '/etc/passwd']);
    assert.equal(r.code, 126, r.stderr);
    assert.match(r.stderr, /permission denied/);
  });

  test('afterwards: no container, no tsrun state, no cgroup under our parent', () => {
    assert.equal(docker(['ps', '-aq']).stdout, '');
    assert.deepEqual(filesNamed(execRoot, 'state.json'), [], 'no tsrun state left under the runtime root');
    assert.deepEqual(cgroupsUnder(env!.cgroupParent), []);
  });

  test('dockerd and containerd stopped by pid: no process, no mount in the temp dir', async () => {
    await env!.stopDaemons();
    waitFor('shims to exit', () => processesMentioning(env!.dir).length === 0, 10_000);
    assert.deepEqual(mountsUnder(env!.dir), []);
    assert.deepEqual(cgroupsUnder(env!.cgroupParent), []);
  });
});
