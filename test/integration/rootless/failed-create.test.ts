// A create that fails at any step leaves nothing behind: no state dir (the id
// can be created again at once), no cgroup, and an error in words, never a
// bare ECONNRESET/EPIPE from the executor's socket. A create SIGKILLed at any
// step (it can take nothing back) leaves an id that is either free or a
// container `state` shows and `delete` takes: never "does not exist" to
// state and delete while create says "already exists".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle } from '../../helpers/bundle.js';
import { cgroupLayout, requires } from '../../helpers/requires.js';
import { tempDir, tsrun, tsrunBin, tsrunFiles } from '../../helpers/tsrun.js';
import type { Spec } from '../../../src/spec/types.js';

// the hook reads the state on stdin and SIGKILLs the init it names
const KILL_INIT = 'read s; p=${s#*\\"pid\\":}; kill -9 ${p%%,*}';

const faults: Array<{ name: string; patch: (s: Spec) => void; error: RegExp }> = [
  { name: 'a cgroup value the kernel refuses (cpuset.cpus)', patch: (s) => void (s.linux!.resources = { ...s.linux!.resources, cpu: { cpus: '4095' } }), error: /cpus/ },
  { name: 'process.args[0] missing in the rootfs', patch: (s) => void (s.process!.args = ['/nonexistent-binary']), error: /\/nonexistent-binary/ },
  { name: 'a prestart hook failing', patch: (s) => void (s.hooks = { prestart: [{ path: '/bin/false' }] }), error: /prestart/ },
  {
    name: 'a bind mount whose source is missing',
    patch: (s) => void s.mounts!.push({ destination: '/mnt/x', type: 'bind', source: '/nonexistent-source', options: ['bind'] }),
    error: /\/nonexistent-source|\/mnt\/x/,
  },
  {
    name: 'the init killed while it sets up (no report from it)',
    patch: (s) => void (s.hooks = { createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', KILL_INIT] }] }),
    error: /container init \(pid \d+\) died without a report while it finished its setup/,
  },
];

test('create failing at each step leaves no state dir and no cgroup; the same id is created at once after', { skip: requires('root') }, () => {
  const b = makeBundle({ args: ['sleep', '100'] });
  const good = readFileSync(join(b.dir, 'config.json'), 'utf8');
  const root = tempDir();
  const id = `fc-${process.pid}`;
  const mem = cgroupLayout()?.v1.get('memory')?.mountPoint;
  try {
    for (const f of faults) {
      const spec = JSON.parse(good) as Spec;
      f.patch(spec);
      writeFileSync(join(b.dir, 'config.json'), JSON.stringify(spec));
      const r = tsrunFiles(['--root', root.path, 'create', '--bundle', b.dir, id]);
      assert.equal(r.code, 1, `${f.name}: ${r.stderr}`);
      assert.match(r.stderr, f.error, f.name);
      assert.doesNotMatch(r.stderr, /ECONNRESET|EPIPE|connection reset|broken pipe/, `${f.name}: a socket error reached the user`);
      assert.deepEqual(readdirSync(root.path).filter((n) => n === id), [], `${f.name}: state dir left behind`);
      if (mem) assert.equal(existsSync(join(mem, b.cgroupsPath)), false, `${f.name}: cgroup left behind`);
      assert.match(tsrun(['--root', root.path, 'delete', id]).stderr, /container does not exist/, f.name);

      writeFileSync(join(b.dir, 'config.json'), good);
      const again = tsrunFiles(['--root', root.path, 'create', '--bundle', b.dir, id]);
      assert.equal(again.code, 0, `after ${f.name}: ${again.stderr}`);
      const st = JSON.parse(tsrun(['--root', root.path, 'state', id]).stdout) as { status: string };
      assert.equal(st.status, 'created', f.name);
      assert.equal(tsrun(['--root', root.path, 'delete', '--force', id]).code, 0);
    }
  } finally {
    tsrun(['--root', root.path, 'delete', '--force', id]);
    root.remove();
    b.remove();
  }
});

/** Pids of processes whose environment carries `mark` (what a create started: its executor and init). */
function marked(mark: string): number[] {
  const out: number[] = [];
  for (const p of readdirSync('/proc')) {
    if (!/^\d+$/.test(p)) continue;
    try {
      if (readFileSync(`/proc/${p}/environ`).includes(mark)) out.push(Number(p));
    } catch {
      /* gone, or a kernel thread */
    }
  }
  return out;
}

const sleepMs = (ms: number) => spawnSync('sleep', [String(ms / 1000)]);

// Where create is killed: as soon as its --debug log shows each step (it may
// have gone a little further by then), and twice where a hook holds it still.
// (each hook gives up after ~10 s, so a failing test cannot hang on it)
const HOOK_WAIT = 'touch "$0"; i=0; while kill -0 $PPID 2>/dev/null && [ $i -lt 500 ]; do sleep 0.02; i=$((i+1)); done';
const kills: Array<{ name: string; step?: string; patch?: (s: Spec, flag: string) => void }> = [
  { name: 'after validating and compiling', step: 'validated and compiled' },
  { name: 'with the cgroup made and the plan sent', step: 'cgroup made, plan sent' },
  { name: 'with the init cloned into its cgroup', step: 'executor reported the pid, in its cgroup' },
  { name: 'with the state written', step: 'state written, hooks run' },
  { name: 'with the init ready', step: 'init ready' },
  { name: 'during a prestart hook (state written, the init waiting for GO)', patch: (s, flag) => void (s.hooks = { prestart: [{ path: '/bin/sh', args: ['sh', '-c', HOOK_WAIT, flag] }] }) },
  {
    name: 'during a createContainer hook (the init in the hook)',
    // run by the init in the container's mount namespace before the pivot (host paths still resolve):
    // it waits for the test to remove its flag
    patch: (s, flag) => void (s.hooks = {
      createContainer: [{ path: '/bin/sh', args: ['sh', '-c', 'touch "$0"; i=0; while [ -e "$0" ] && [ $i -lt 500 ]; do sleep 0.02; i=$((i+1)); done', flag] }],
    }),
  },
];

test('create SIGKILLed at each step: the id is free at once, or a container state shows and delete takes; then created again; nothing of it left', { skip: requires('root') }, async (t) => {
  const b = makeBundle({ args: ['sleep', '100'] });
  const good = readFileSync(join(b.dir, 'config.json'), 'utf8');
  const root = tempDir();
  const id = `fk-${process.pid}`;
  const flag = join(root.path, 'hook-flag');
  const mem = cgroupLayout()?.v1.get('memory')?.mountPoint ?? cgroupLayout()?.unified?.mountPoint;
  try {
    for (const k of kills) {
      const spec = JSON.parse(good) as Spec;
      k.patch?.(spec, flag);
      writeFileSync(join(b.dir, 'config.json'), JSON.stringify(spec));
      const log = join(root.path, 'log');
      rmSync(log, { force: true });
      const mark = `TSRUN_FAULT_MARK=${process.pid}-${Math.random().toString(36).slice(2)}`;
      const [mk, mv] = mark.split('=') as [string, string];
      const child = spawn(tsrunBin, ['--debug', '--log', log, '--root', root.path, 'create', '--bundle', b.dir, id], { stdio: 'ignore', env: { ...process.env, [mk]: mv } });
      const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
      // wait for the step (busy, so the kill lands close behind it)
      const t0 = Date.now();
      const reached = () => (k.step ? existsSync(log) && readFileSync(log, 'utf8').includes(`create: ${k.step} at`) : existsSync(flag));
      while (!reached() && child.exitCode === null && Date.now() - t0 < 20_000) {
        /* spin */
      }
      assert.ok(reached(), `${k.name}: the step was not reached (${child.exitCode === null ? 'timeout' : `create exited ${child.exitCode} first`})`);
      child.kill('SIGKILL');
      const code = await exited;
      rmSync(flag, { force: true });
      const lastStep = existsSync(log) ? (readFileSync(log, 'utf8').match(/create: ([^"]*?) at [\d.]+ ms/g) ?? []).pop() : undefined;
      t.diagnostic(`${k.name}: killed (exit ${code}) after "${lastStep ?? 'nothing logged'}"`);

      const st = tsrun(['--root', root.path, 'state', id]);
      if (st.code !== 0) {
        assert.match(st.stderr, /container does not exist/, k.name);
        // what it started ends with its socket: executor and init alike
        for (let i = 0; i < 100 && marked(mv).length > 0; i++) sleepMs(50);
        assert.deepEqual(marked(mv), [], `${k.name}: processes of the killed create left`);
      } else {
        const status = (JSON.parse(st.stdout) as { status: string }).status;
        assert.ok(['created', 'stopped'].includes(status), `${k.name}: status ${status}`);
        const d = tsrun(['--root', root.path, 'delete', '--force', id]);
        assert.equal(d.code, 0, `${k.name}: delete --force: ${d.stderr}`);
        for (let i = 0; i < 100 && marked(mv).length > 0; i++) sleepMs(50);
        assert.deepEqual(marked(mv), [], `${k.name}: processes left after delete --force`);
      }
      writeFileSync(join(b.dir, 'config.json'), good);
      const again = tsrunFiles(['--root', root.path, 'create', '--bundle', b.dir, id]);
      assert.equal(again.code, 0, `after a kill ${k.name}: ${again.stderr}`);
      assert.equal((JSON.parse(tsrun(['--root', root.path, 'state', id]).stdout) as { status: string }).status, 'created', k.name);
      assert.equal(tsrun(['--root', root.path, 'delete', '--force', id]).code, 0);
      assert.deepEqual(readdirSync(root.path).filter((n) => n === id), [], `${k.name}: state dir left`);
      if (mem) assert.equal(existsSync(join(mem, b.cgroupsPath)), false, `${k.name}: cgroup left`);
    }
  } finally {
    tsrun(['--root', root.path, 'delete', '--force', id]);
    root.remove();
    b.remove();
  }
});
