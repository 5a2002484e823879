// Every config an engine hands to a runtime (test/fixtures/engine-configs)
// runs: Docker's, containerd's and podman's, with their mounts,
// seccomp profiles, sysctls, masked paths and, for -t, a console socket.
// Only what points at the capturing host changes: the rootfs (busybox), bind
// sources (temp files), the cgroup (our own parent), the payload, and
// Docker's libnetwork prestart hook (dockerd is not here).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { makeBundle } from '../../helpers/bundle.js';
import { engineConfig, engineConfigFiles } from '../../helpers/fixtures.js';
import { rootSkip, tempDir } from '../../helpers/tsrun.js';
import type { Spec } from '../../../src/spec/types.js';
import { makeRoot } from './helpers.js';
import { startConsoleReceiver } from './console.js';

const configs = engineConfigFiles();

for (const file of configs) {
  test(`engine config ${file} validates, compiles and runs`, { skip: rootSkip, timeout: 30_000 }, async () => {
    const original = engineConfig(file);
    const b = makeBundle({ args: ['true'] });
    const r = makeRoot();
    const io = tempDir('tsrun-engine-');
    const id = basename(file, '.json');
    try {
      const config = JSON.parse(JSON.stringify(original)) as Spec;
      config.root = { path: join(b.dir, 'rootfs'), readonly: original.root?.readonly };
      config.linux!.cgroupsPath = b.cgroupsPath;
      delete config.hooks; // Docker's libnetwork-setkey needs a running dockerd
      for (const m of config.mounts ?? []) {
        if (m.type !== 'bind' && !(m.options ?? []).some((o) => o === 'bind' || o === 'rbind')) continue;
        const src = join(io.path, 'src', m.destination.replace(/\//g, '_'));
        if (m.destination === '/dev/shm') mkdirSync(src, { recursive: true });
        else {
          mkdirSync(join(io.path, 'src'), { recursive: true });
          writeFileSync(src, `${m.destination}\n`);
        }
        m.source = src;
      }
      config.process!.args = ['sh', '-c', 'echo engine-ok; grep Seccomp: /proc/self/status'];
      writeFileSync(join(b.dir, 'config.json'), JSON.stringify(config));
      chmodSync(b.dir, 0o755);
      if (config.process!.terminal) {
        const recv = await startConsoleReceiver(io.path);
        try {
          const res = r.ts(['run', '-d', '--console-socket', recv.socket, '--bundle', b.dir, id]);
          assert.equal(res.code, 0, res.stderr);
          await recv.done(10_000);
          assert.match(recv.output(), /engine-ok/);
        } finally {
          recv.stop();
        }
      } else {
        const res = r.ts(['run', '--bundle', b.dir, id]);
        assert.equal(res.code, 0, res.stderr);
        assert.match(res.stdout, /engine-ok/);
        if (original.linux?.seccomp) assert.match(res.stdout, /Seccomp:\s+2/, 'the profile is loaded');
      }
    } finally {
      r.cleanup(id);
      io.remove();
      b.remove();
    }
  });
}
