// config.md hooks: prestart, createRuntime, createContainer, startContainer,
// poststart, poststop run at their points, in order, each with the state on
// stdin; a failing create-time hook fails create, leaving nothing behind.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle } from '../../helpers/bundle.js';
import { rootSkip } from '../../helpers/tsrun.js';
import { makeRoot } from '../lifecycle/helpers.js';

// Appends "<kind> <state JSON>" to the log file named by its 2nd argument.
const HOOK = '#!/bin/sh\nstate=$(cat)\necho "$1 $state" >> "$2"\n';

test('hooks run in order with the state on stdin: prestart, createRuntime, createContainer, startContainer, poststart, poststop', { skip: rootSkip }, () => {
  const r = makeRoot();
  let hostLog = '';
  const b = makeBundle({
    args: ['sh', '-c', 'sleep 0.2'],
    // startContainer writes its record inside the container
    patch: (s) => (s.root!.readonly = false),
  });
  try {
    const rootfs = join(b.dir, 'rootfs');
    // startContainer runs after the pivot: its path and its log are inside the container
    hostLog = join(rootfs, 'hooks.log');
    writeFileSync(join(b.dir, 'hook.sh'), HOOK);
    chmodSync(join(b.dir, 'hook.sh'), 0o755);
    writeFileSync(join(rootfs, 'hook.sh'), HOOK);
    chmodSync(join(rootfs, 'hook.sh'), 0o755);
    const config = JSON.parse(readFileSync(join(b.dir, 'config.json'), 'utf8'));
    const host = (kind: string) => ({ path: join(b.dir, 'hook.sh'), args: ['hook.sh', kind, hostLog] });
    config.hooks = {
      prestart: [host('prestart')],
      createRuntime: [host('createRuntime')],
      createContainer: [host('createContainer')],
      startContainer: [{ path: '/hook.sh', args: ['hook.sh', 'startContainer', '/hooks.log'] }],
      poststart: [host('poststart')],
      poststop: [host('poststop')],
    };
    writeFileSync(join(b.dir, 'config.json'), JSON.stringify(config));
    let res = r.ts(['create', '--bundle', b.dir, 'h']);
    assert.equal(res.code, 0, res.stderr);
    const pid = r.state('h')!.pid;
    res = r.ts(['start', 'h']);
    assert.equal(res.code, 0, res.stderr);
    assert.ok(r.waitStatus('h', 'stopped'));
    assert.equal(r.ts(['delete', 'h']).code, 0);
    const entries = readFileSync(hostLog, 'utf8').trim().split('\n').map((l) => {
      const i = l.indexOf(' ');
      return { kind: l.slice(0, i), state: JSON.parse(l.slice(i + 1)) as { id: string; status: string; pid?: number; bundle: string } };
    });
    assert.deepEqual(entries.map((e) => e.kind), ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop']);
    for (const e of entries) {
      assert.equal(e.state.id, 'h');
      assert.equal(e.state.bundle, b.dir);
    }
    for (const e of entries.slice(0, 5)) {
      // hooks run inside the container see the init as pid 1, as runc reports it
      const want = e.kind === 'createContainer' || e.kind === 'startContainer' ? 1 : pid;
      assert.equal(e.state.pid, want, `${e.kind} sees the init pid`);
    }
    // runtime.md: `creating` is step 2 alone; the hooks of steps 3-7 run after it, before the program
    for (const e of entries.slice(0, 4)) assert.equal(e.state.status, 'created', `${e.kind} sees created`);
    assert.equal(entries[4]!.state.status, 'running');
    assert.equal(entries[5]!.state.status, 'stopped');
  } finally {
    r.cleanup('h');
    b.remove();
  }
});

test('a failing createRuntime hook fails create with one error naming /hooks/createRuntime/0; a failing poststart fails start and stops the container (runc)', { skip: rootSkip }, () => {
  const r = makeRoot();
  const b = makeBundle({ args: ['true'] });
  try {
    const config = JSON.parse(readFileSync(join(b.dir, 'config.json'), 'utf8'));
    config.hooks = { createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', 'echo nope >&2; exit 3'] }] };
    writeFileSync(join(b.dir, 'config.json'), JSON.stringify(config));
    let res = r.ts(['create', '--bundle', b.dir, 'hf']);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /\/hooks\/createRuntime\/0: error running hook #0 \(createRuntime [^)]*\): exit status 3/);
    assert.equal(r.state('hf'), null);

    // runc's behaviour, which callers expect: a failing poststart hook fails start and stops the container
    config.hooks = { poststart: [{ path: '/bin/false' }], createContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'exit 0'], timeout: 5 }] };
    config.process.args = ['sleep', '100'];
    writeFileSync(join(b.dir, 'config.json'), JSON.stringify(config));
    assert.equal(r.ts(['create', '--bundle', b.dir, 'hf']).code, 0);
    res = r.ts(['start', 'hf']);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /error running hook #0 \(poststart [^)]*\): exit status 1/);
    assert.equal(r.state('hf')?.status, 'stopped');
    assert.equal(r.ts(['delete', 'hf']).code, 0);

    config.hooks = { createContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'sleep 5'], timeout: 1 }] };
    writeFileSync(join(b.dir, 'config.json'), JSON.stringify(config));
    res = r.ts(['create', '--bundle', b.dir, 'hf']);
    assert.equal(res.code, 1);
    assert.match(res.stderr, /\/hooks\/createContainer\/0: .*timeout after 1 seconds/);
    assert.equal(r.state('hf'), null);
  } finally {
    r.cleanup('hf');
    b.remove();
  }
});

test('prestart hooks run once the init has made its mounts, as under runc: a mount a hook makes in the container\'s mount namespace (as GPU hooks do) is seen inside', { skip: rootSkip }, () => {
  const r = makeRoot();
  const b = makeBundle({ args: ['sh', '-c', 'grep " /hookmnt " /proc/self/mountinfo || echo NOT-MOUNTED'] });
  try {
    const rootfs = join(b.dir, 'rootfs');
    // the state on stdin names the init; the hook mounts onto the rootfs as the init sees it
    const hook = [
      '#!/bin/sh',
      'pid=$(sed -n \'s/.*"pid":\\([0-9]*\\).*/\\1/p\')',
      // the container's own mounts are made already (runc: prestart runs after prepareRootfs)
      `grep -q " ${rootfs}/proc " /proc/$pid/mountinfo && echo proc-mounted > ${b.dir}/seen || echo proc-missing > ${b.dir}/seen`,
      `mkdir -p ${rootfs}/hookmnt`,
      `exec nsenter --mount=/proc/$pid/ns/mnt mount -t tmpfs -o size=1m hooktmp ${rootfs}/hookmnt`,
      '',
    ].join('\n');
    writeFileSync(join(b.dir, 'mount-hook.sh'), hook);
    chmodSync(join(b.dir, 'mount-hook.sh'), 0o755);
    const config = JSON.parse(readFileSync(join(b.dir, 'config.json'), 'utf8'));
    config.hooks = { prestart: [{ path: join(b.dir, 'mount-hook.sh') }] };
    writeFileSync(join(b.dir, 'config.json'), JSON.stringify(config));
    const res = r.ts(['run', '--bundle', b.dir, 'pm']);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, / \/hookmnt .* - tmpfs hooktmp /);
    assert.equal(readFileSync(join(b.dir, 'seen'), 'utf8').trim(), 'proc-mounted');
  } finally {
    r.cleanup('pm');
    b.remove();
  }
});
