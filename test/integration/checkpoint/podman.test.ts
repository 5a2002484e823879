// podman 4.3 `container checkpoint` / `container restore` with tsrun as the
// OCI runtime (podman --runtime bin/tsrun, conmon restoring through
// `tsrun restore`), and a checkpoint exported (--export) and imported
// (--import) as a new container. Checked from the container's log: the
// count goes on from the number it had reached. The podman set-up is the
// engines suite's (private storage, run root, cgroupfs, --net none).
// CR_RUNTIME=/usr/sbin/runc runs the same rows with runc, for comparison.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { tsrunBin } from '../../helpers/tsrun.js';
import { findBinary, IMAGE_REF, makeEngineEnv, waitFor, type EngineEnv } from '../engines/engine-env.js';
import { privatePodman } from '../engines/podman-env.js';
import { consecutive, criuSkip } from './helpers.js';

const podmanBin = findBinary('podman');
const runtime = process.env.CR_RUNTIME || tsrunBin;
const skip = criuSkip() || (!podmanBin || !findBinary('conmon') ? 'podman or conmon not installed (apt-get install podman)' : false);
const COUNT = 'i=0; while true; do echo $i; i=$((i+1)); sleep 0.1; done';

describe(`podman container checkpoint/restore with --runtime ${runtime.split('/').pop()}`, { skip, timeout: 900_000 }, () => {
  let env: EngineEnv | undefined;
  let penv: NodeJS.ProcessEnv = {};
  let global: string[] = [];
  const podman = (args: string[], timeoutMs = 180_000) => env!.run(podmanBin!, [...global, ...args], { env: penv, timeoutMs });
  const numbers = (name: string) =>
    podman(['logs', name]).stdout.split('\n').filter((l) => /^\d+$/.test(l)).map(Number);

  before(async () => {
    env = await makeEngineEnv('podman-cr');
    ({ env: penv, global } = privatePodman(env.dir, runtime));
    const load = podman(['load', '-i', env.imageTar]);
    assert.equal(load.code, 0, load.stderr);
  });

  after(async () => {
    try {
      if (env) podman(['rm', '-af', '-t', '0']);
    } finally {
      await env?.cleanup();
    }
  });

  const run = (name: string) => {
    const r = podman(['run', '-d', '--name', name, '--net', 'none', '--cgroup-parent', env!.cgroupParent,
      '--ulimit', 'nofile=1024:1024', IMAGE_REF, 'sh', '-c', COUNT]);
    assert.equal(r.code, 0, r.stderr);
    waitFor('the container to count', () => numbers(name).length >= 5, 60_000);
  };

  test('container checkpoint, container restore: the log counts on from where it stopped', () => {
    run('cr-pod');
    const ck = podman(['container', 'checkpoint', 'cr-pod']);
    assert.equal(ck.code, 0, ck.stderr);
    assert.equal(podman(['inspect', '-f', '{{.State.Status}}', 'cr-pod']).stdout.trim(), 'exited');
    const before = numbers('cr-pod');
    const rs = podman(['container', 'restore', 'cr-pod']);
    assert.equal(rs.code, 0, rs.stderr);
    assert.equal(podman(['inspect', '-f', '{{.State.Status}}', 'cr-pod']).stdout.trim(), 'running');
    waitFor('the restored container to count', () => numbers('cr-pod').length >= before.length + 5, 60_000);
    const all = numbers('cr-pod');
    assert.ok(consecutive(all), `one unbroken count across the restore: ${all.join(' ')}`);
    assert.equal(podman(['rm', '-f', '-t', '0', 'cr-pod']).code, 0);
  });

  test('checkpoint --export, restore --import as a new container: it counts on from the checkpoint', () => {
    run('cr-exp');
    const tar = join(env!.dir, 'cr-exp.tar.gz');
    const ck = podman(['container', 'checkpoint', '--export', tar, 'cr-exp']);
    assert.equal(ck.code, 0, ck.stderr);
    const last = numbers('cr-exp').at(-1)!;
    const rs = podman(['container', 'restore', '--import', tar, '--name', 'cr-imp']);
    assert.equal(rs.code, 0, rs.stderr);
    waitFor('the imported container to count', () => numbers('cr-imp').length >= 5, 60_000);
    const ns = numbers('cr-imp');
    // the imported container's log begins with the restored process's output
    assert.equal(ns[0], last + 1, `imported container starts after ${last}: ${ns.join(' ')}`);
    assert.ok(consecutive(ns));
    assert.notEqual(podman(['inspect', '-f', '{{.Id}}', 'cr-imp']).stdout.trim(), podman(['inspect', '-f', '{{.Id}}', 'cr-exp']).stdout.trim());
    assert.equal(podman(['rm', '-f', '-t', '0', 'cr-imp', 'cr-exp']).code, 0);
  });
});
