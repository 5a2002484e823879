// podman 4.3 (through conmon) drives tsrun unchanged: `podman --runtime
// bin/tsrun`. podman runs with its own storage root, run root, tmp dir, file
// locks, network config dir and events log in a temp dir (CONTAINERS_CONF of
// ours), the cgroupfs manager, --net none and a cgroup parent of ours. tsrun
// keeps its default --root (/run/tsrun): podman's cleanup process (conmon's
// exit command) does not pass --runtime-flag on, so a root of ours would be
// missed by its `delete` with any runtime (runc as well). The containers' ids
// (--cidfile) name what must be gone from there at the end.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isRoot, tsrunBin } from '../../helpers/tsrun.js';
import {
  cgroupsUnder, PRINT_LIMITS, findBinary, IMAGE_REF, makeEngineEnv, mountsUnder, processesMentioning, waitFor,
  type EngineEnv,
} from './engine-env.js';
import { privatePodman } from './podman-env.js';

const podmanBin = findBinary('podman');
const skip = !isRoot
  ? 'needs root: runs real containers'
  : !podmanBin || !findBinary('conmon')
    ? 'podman or conmon not installed (apt-get install podman)'
    : !existsSync('/bin/busybox')
      ? 'needs /bin/busybox (apt-get install busybox-static)'
      : false;

describe('podman with tsrun as its OCI runtime', { skip }, () => {
  let env: EngineEnv | undefined;
  const tsrunRoot = '/run/tsrun';
  let cidSeq = 0;
  let runArgs: string[] = [];
  let penv: NodeJS.ProcessEnv = {};
  let global: string[] = [];

  const podman = (args: string[]) => env!.run(podmanBin!, [...global, ...args], { env: penv });
  const podmanTty = (args: string[]) => env!.runTty(podmanBin!, [...global, ...args], { env: penv });
  /** run/create options: ours, plus a --cidfile so the id is known even for --rm. */
  const opts = (): string[] => [...runArgs, '--cidfile', join(env!.dir, `cid-${++cidSeq}`)];
  const ids = () =>
    readdirSync(env!.dir).filter((f) => f.startsWith('cid-')).map((f) => readFileSync(join(env!.dir, f), 'utf8').trim());

  before(async () => {
    env = await makeEngineEnv('podman');
    ({ env: penv, global } = privatePodman(env.dir, tsrunBin));
    // Podman asks for RLIMIT_NOFILE 1048576 by default; where hard limits
    // cannot be raised (no CAP_SYS_RESOURCE, as on the CI machine) runc and
    // crun fail that exactly as tsrun does, so the tests ask for small ones.
    runArgs = [
      '--net', 'none', '--cgroup-parent', env.cgroupParent,
      '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024',
    ];
    const load = podman(['load', '-i', env.imageTar]);
    assert.equal(load.code, 0, load.stderr);
    assert.match(load.stdout, /Loaded image.*localhost\/tsrun-busybox:test/);
  });

  after(async () => {
    try {
      if (env) podman(['rm', '-af', '-t', '0']);
    } finally {
      await env?.cleanup();
    }
  });

  test('run: the output and the exit code come back', () => {
    const r = podman(['run', '--rm', ...opts(), IMAGE_REF, 'sh', '-c', 'echo hello from tsrun; exit 3']);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout, 'hello from tsrun\n');
  });

  test('run -t: a terminal through the console socket, the exit code back', () => {
    const r = podmanTty(['run', '--rm', '-t', ...opts(), IMAGE_REF, 'sh', '-c', 'tty; exit 4']);
    assert.equal(r.code, 4, r.stderr + r.stdout);
    assert.match(r.stdout, /\/dev\/pts\/\d+/);
  });

  test('limits are visible inside: --memory and --pids-limit', () => {
    const r = podman([
      'run', '--rm', ...opts(), '--memory', '64m', '--pids-limit', '50', IMAGE_REF,
      'sh', '-c', PRINT_LIMITS,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${64 * 1024 * 1024}\n50\n`);
  });

  test('exec (plain and -t) into a running container; stop: SIGTERM reaches the payload', () => {
    const name = 'tsrun-long';
    const r = podman([
      'run', '-d', '--name', name, ...opts(), IMAGE_REF,
      'sh', '-c', 'trap "echo got TERM; exit 7" TERM; echo ready; while true; do sleep 0.1; done',
    ]);
    assert.equal(r.code, 0, r.stderr);
    waitFor('the payload to start', () => podman(['logs', name]).stdout.includes('ready'), 20_000);
    const id = readFileSync(join(env!.dir, `cid-${cidSeq}`), 'utf8').trim();
    assert.ok(existsSync(join(tsrunRoot, id, 'state.json')), 'tsrun state of the running container under /run/tsrun');

    const ex = podman(['exec', name, 'sh', '-c', 'echo in-exec; exit 5']);
    assert.equal(ex.code, 5, ex.stderr);
    assert.equal(ex.stdout, 'in-exec\n');
    const ext = podmanTty(['exec', '-t', name, 'sh', '-c', 'tty; exit 6']);
    assert.equal(ext.code, 6, ext.stderr + ext.stdout);
    assert.match(ext.stdout, /\/dev\/pts\/\d+/);

    const stop = podman(['stop', '-t', '10', name]);
    assert.equal(stop.code, 0, stop.stderr);
    assert.equal(podman(['inspect', '-f', '{{.State.ExitCode}}', name]).stdout.trim(), '7');
    assert.match(podman(['logs', name]).stdout, /got TERM/);
    assert.equal(podman(['rm', name]).code, 0);
  });

  test('kill: SIGKILL ends the container with 137', () => {
    const name = 'tsrun-kill';
    assert.equal(podman(['run', '-d', '--name', name, ...opts(), IMAGE_REF, 'sleep', '1000']).code, 0);
    const k = podman(['kill', name]);
    assert.equal(k.code, 0, k.stderr);
    waitFor('the container to exit', () => podman(['inspect', '-f', '{{.State.Running}}', name]).stdout.trim() === 'false', 20_000);
    assert.equal(podman(['inspect', '-f', '{{.State.ExitCode}}', name]).stdout.trim(), '137');
    assert.equal(podman(['rm', name]).code, 0);
  });

  test('pause/unpause, update of the memory limit, top on a running container', () => {
    const name = 'tsrun-ops';
    const r = podman(['run', '-d', '--name', name, ...opts(), '--memory', '64m', IMAGE_REF, 'sleep', '1000']);
    assert.equal(r.code, 0, r.stderr);
    const p = podman(['pause', name]);
    assert.equal(p.code, 0, p.stderr);
    assert.equal(podman(['inspect', '-f', '{{.State.Status}}', name]).stdout.trim(), 'paused');
    const u = podman(['unpause', name]);
    assert.equal(u.code, 0, u.stderr);
    assert.equal(podman(['inspect', '-f', '{{.State.Status}}', name]).stdout.trim(), 'running');
    const up = podman(['update', '--memory', '96m', '--memory-swap', '192m', name]);
    assert.equal(up.code, 0, up.stderr);
    const lim = podman(['exec', name, 'sh', '-c', PRINT_LIMITS]);
    assert.equal(lim.stdout.split('\n')[0], String(96 * 1024 * 1024), lim.stderr);
    const top = podman(['top', name]);
    assert.equal(top.code, 0, top.stderr);
    assert.match(top.stdout, /sleep 1000/);
    assert.equal(podman(['rm', '-f', '-t', '0', name]).code, 0);
  });

  test('a nonexistent command: exit 127, "executable file not found"', () => {
    const r = podman(['run', '--rm', ...opts(), IMAGE_REF, 'nonexistentcmd']);
    assert.equal(r.code, 127, r.stderr);
    assert.match(r.stderr, /executable file not found/);
  });

  test('a file that is not executable: exit 126, "permission denied"', () => {
    const r = podman(['run', '--rm', ...opts(), IMAGE_REF, '/etc/passwd']);
    assert.equal(r.code, 126, r.stderr);
    assert.match(r.stderr, /permission denied/);
  });

  test('afterwards: no container, no tsrun state, no cgroup under our parent, no process or mount', () => {
    assert.equal(podman(['ps', '-aq']).stdout, '');
    assert.ok(ids().length >= 6, 'every container had a cidfile');
    assert.deepEqual(ids().filter((id) => existsSync(join(tsrunRoot, id))), [], 'no tsrun state left in /run/tsrun');
    waitFor('conmon to exit', () => processesMentioning(env!.dir).length === 0, 10_000);
    // <parent>/conmon is podman's own (conmon's cgroup, never removed by podman); cleanup() takes it.
    assert.deepEqual(cgroupsUnder(env!.cgroupParent).filter((c) => !c.endsWith('/conmon')), []);
    assert.deepEqual(mountsUnder(env!.dir), []);
  });
});
