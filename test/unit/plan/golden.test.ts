// Golden plans: the readable dump of the plan for runc's default config, a
// Docker config and a rootless config. A change in what would be mounted,
// in which order, with which flags, shows up here as a diff.
// Regenerate after an intended change: UPDATE_GOLDEN=1 node test/run.mjs unit plan/golden
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileCreate, explainPlan, type CreateContext } from '../../../src/plan/index.js';
import { defaultSpec } from '../../../src/spec/default.js';
import type { Spec } from '../../../src/spec/types.js';
import { engineConfig } from '../../helpers/fixtures.js';

const root = process.env.TSRUN_ROOT_DIR ?? process.cwd();
const goldenDir = join(root, 'test', 'unit', 'plan', 'golden');

const ctx: CreateContext = {
  id: 'c1',
  bundle: '/bundles/c1',
  rootfs: '/bundles/c1/rootfs',
  stateDir: '/run/tsrun/c1',
  cgroupBinds: [
    { name: 'memory', source: '/sys/fs/cgroup/memory/c1' },
    { name: 'pids', source: '/sys/fs/cgroup/pids/c1' },
  ],
};

function golden(name: string, config: Spec, extra: Partial<CreateContext> = {}): void {
  const text = explainPlan(compileCreate(config, { ...ctx, ...extra }).plan);
  const file = join(goldenDir, `${name}.txt`);
  if (process.env.UPDATE_GOLDEN) writeFileSync(file, text);
  assert.equal(text, readFileSync(file, 'utf8'), `plan for ${name} changed (UPDATE_GOLDEN=1 to accept)`);
}

test('golden plan: runc default spec (terminal, console socket)', () => {
  golden('default', defaultSpec(), { consoleSocket: '/tmp/console.sock' });
});

test('golden plan: Docker plain config, seccomp left out (test/fixtures/engine-configs/docker-hooks.json)', () => {
  const config = engineConfig('docker-hooks.json');
  delete config.linux!.seccomp;
  golden('docker', config, { noPivot: false, pidfdSocket: '/tmp/pidfd.sock' });
});

test('golden plan: rootless default spec (user namespace, id maps, setgroups deny)', () => {
  const config = defaultSpec({ rootless: true });
  config.process!.terminal = false;
  config.linux!.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
  config.linux!.gidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
  golden('rootless', config, { rootless: true, cgroupBinds: undefined });
});

test('every op either names the config field behind it or is one the runtime always adds', () => {
  const { plan } = compileCreate(defaultSpec(), { ...ctx, consoleSocket: '/s' });
  const synthetic = new Set(['exec_fifo', 'session_keyring', 'mknod', 'symlink', 'wait_go', 'ready', 'wait_start', 'umask']);
  for (const [i, o] of plan.ops.entries()) {
    if (!synthetic.has(o.op)) assert.ok(o.field?.startsWith('/'), `op ${i} (${o.op}) has no config field`);
  }
});
