// pause, resume, ps, events and update through the built binary, on a real
// busybox container (create + start by the lifecycle), on the host's cgroups:
// v1 or hybrid (the files under each controller) or pure v2 (the one
// directory's files).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRoot, tempDir, tsrun, tsrunBin } from '../../helpers/tsrun.js';
import { makeBundle, type Bundle } from '../../helpers/bundle.js';
import { cgroupDirsOf } from '../../helpers/cgroup-dirs.mjs';
import { cgroupLayout, requires } from '../../helpers/requires.js';
import type { Spec } from '../../../src/spec/types.js';
import { distinctOver, until } from './helpers.js';

const state = isRoot ? tempDir('tsrun-cgcmd-') : undefined;
const root = state?.path ?? '';
const bundles: Bundle[] = [];
const ids: string[] = [];

after(() => {
  for (const id of ids) tsrun(['--root', root, 'delete', '--force', id]);
  for (const b of bundles) b.remove();
  state?.remove();
  const left = bundles.flatMap((b) => cgroupDirsOf(`/${b.cgroupParent}`));
  assert.deepEqual(left, [], 'no cgroup of ours is left in any hierarchy');
});

/**
 * A file of the container's cgroup: under the v1 controller's hierarchy, or
 * in the one cgroup2 directory of a pure v2 host (v2Name, where v2 names it
 * differently).
 */
function cgFile(b: Bundle, controller: string, v1Name: string, v2Name = v1Name): string {
  return cgroupLayout()?.kind === 'v2' ? join('/sys/fs/cgroup', b.cgroupsPath, v2Name) : join('/sys/fs/cgroup', controller, b.cgroupsPath, v1Name);
}

/** A host directory the container sees at /gate (read-write): for counters and go-files. */
function gate(s: Spec, dir: string): void {
  s.mounts!.push({ destination: '/gate', type: 'bind', source: dir, options: ['rbind', 'rw'] });
}

function container(id: string, args: string[], resources: object, patch?: (s: Spec) => void): Bundle {
  const b = makeBundle({
    args,
    patch: (s) => {
      s.linux = { ...s.linux, resources: { ...s.linux?.resources, ...resources } };
      patch?.(s);
    },
  });
  bundles.push(b);
  ids.push(id);
  // The container inherits create's stdio: give it none, so nothing waits on
  // pipes the container holds open; errors go to the log file.
  const logFile = join(b.dir, 'log');
  const quiet = { stdio: ['ignore', 'ignore', 'ignore'] as ('ignore')[] };
  const c = tsrun(['--root', root, '--log', logFile, 'create', '--bundle', b.dir, id], quiet);
  assert.equal(c.code, 0, existsSync(logFile) ? readFileSync(logFile, 'utf8') : 'create failed');
  const s = tsrun(['--root', root, '--log', logFile, 'start', id], quiet);
  assert.equal(s.code, 0, existsSync(logFile) ? readFileSync(logFile, 'utf8') : 'start failed');
  return b;
}

const status = (id: string) => JSON.parse(tsrun(['--root', root, 'state', id]).stdout).status as string;
const initPid = (id: string) => JSON.parse(tsrun(['--root', root, 'state', id]).stdout).pid as number;

test('pause/resume: every task freezes (a counting loop stops) and status is paused; resume thaws it; runc\'s errors when repeated', { skip: requires('root', 'freezer') }, async () => {
  const io = tempDir('tsrun-pause-');
  try {
    const counter = join(io.path, 'n');
    writeFileSync(counter, '0');
    // the count is written by a child of pid 1: a freezer that stopped only the init would miss it
    container('pr', ['sh', '-c', 'i=0; (while :; do i=$((i+1)); echo $i > /gate/n; done) & wait'], {}, (s) => gate(s, io.path));
    const count = () => Number(readFileSync(counter, 'utf8') || 0);
    assert.ok(await until(() => count() > 10, 5000), 'the loop counts');
    assert.equal(status('pr'), 'running');
    let r = tsrun(['--root', root, 'pause', 'pr']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(status('pr'), 'paused');
    // 300 ms is thousands of loop turns
    const seen = await distinctOver(() => readFileSync(counter, 'utf8'), 300);
    assert.equal(seen.length, 1, `the counter does not move while paused: ${seen.join(' ')}`);
    const frozenAt = seen[0];
    for (const pid of JSON.parse(tsrun(['--root', root, 'ps', '--format', 'json', 'pr']).stdout) as number[]) {
      // a frozen task sleeps in the refrigerator: D (or S on some kernels), never R
      assert.match(readFileSync(`/proc/${pid}/status`, 'utf8'), /^State:\s+[DS]/m, `pid ${pid} frozen`);
    }
    r = tsrun(['--root', root, 'pause', 'pr']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /container not running/);
    r = tsrun(['--root', root, 'resume', 'pr']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(status('pr'), 'running');
    assert.ok(await until(() => readFileSync(counter, 'utf8') !== frozenAt, 3000), 'the counter moves again after resume');
    r = tsrun(['--root', root, 'resume', 'pr']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /container not paused/);
    r = tsrun(['--root', root, 'pause', 'nosuch']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /container does not exist/);
  } finally {
    // the loop writes into the gate until it is gone
    tsrun(['--root', root, 'delete', '--force', 'pr']);
    io.remove();
  }
});

test('ps: --format json is the cgroup\'s host pids; table keeps ps\'s header and the container\'s lines', { skip: requires('root') }, () => {
  container('ps', ['sh', '-c', 'sleep 1000 & sleep 1000 & wait'], {});
  const pid = initPid('ps');
  let pids: number[] = [];
  for (let i = 0; i < 50 && pids.length < 3; i++) {
    pids = JSON.parse(tsrun(['--root', root, 'ps', '--format', 'json', 'ps']).stdout) as number[];
    spawnSync('sleep', ['0.05']);
  }
  assert.equal(pids.length, 3, JSON.stringify(pids));
  assert.ok(pids.includes(pid));
  const table = tsrun(['--root', root, 'ps', 'ps']);
  assert.equal(table.code, 0, table.stderr);
  const lines = table.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /\bPID\b/);
  assert.equal(lines.length, 4, table.stdout);
  const custom = tsrun(['--root', root, 'ps', 'ps', '-o', 'pid,comm']);
  assert.deepEqual(custom.stdout.trimEnd().split('\n').slice(1).map((l) => Number(l.trim().split(/\s+/)[0])).sort(), [...pids].sort());
});

test('events --stats: one runc stats object with the memory limit; update changes limits and refuses bad values', { skip: requires('root', { controller: 'memory' }, { controller: 'pids' }, { controller: 'cpu' }, { controller: 'cpuset' }) }, () => {
  const b = container('upd', ['sh', '-c', 'while :; do sleep 0.1; done'], { memory: { limit: 32 << 20 }, pids: { limit: 100 } });
  const ev = tsrun(['--root', root, 'events', '--stats', 'upd']);
  assert.equal(ev.code, 0, ev.stderr);
  assert.equal(ev.stdout.split('\n').filter(Boolean).length, 1);
  const obj = JSON.parse(ev.stdout);
  assert.equal(obj.type, 'stats');
  assert.equal(obj.id, 'upd');
  assert.equal(obj.data.memory.usage.limit, 32 << 20);
  assert.ok(obj.data.pids.current >= 1);
  assert.equal(obj.data.pids.limit, 100);

  const memFile = cgFile(b, 'memory', 'memory.limit_in_bytes', 'memory.max');
  let r = tsrun(['--root', root, 'update', '--memory', '64m', '--pids-limit', '50', 'upd']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(memFile, 'utf8').trim(), String(64 << 20));
  assert.equal(readFileSync(cgFile(b, 'pids', 'pids.max'), 'utf8').trim(), '50');

  r = tsrun(['--root', root, 'update', '--resources', '-', 'upd'], { input: JSON.stringify({ memory: { limit: 96 << 20 }, cpu: { shares: 256 } }) });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(memFile, 'utf8').trim(), String(96 << 20));
  // v2 has cpu.weight: shares 256 are weight 35, as runc converts them
  assert.equal(readFileSync(cgFile(b, 'cpu', 'cpu.shares', 'cpu.weight'), 'utf8').trim(), cgroupLayout()?.kind === 'v2' ? '35' : '256');

  // A refused value: the error names the field; the memory limit written before it goes back.
  r = tsrun(['--root', root, 'update', '--memory', '128m', '--cpuset-cpus', '99', 'upd']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /linux\.resources\.cpu\.cpus/);
  assert.match(r.stderr, /cpuset\.cpus/);
  assert.equal(readFileSync(memFile, 'utf8').trim(), String(96 << 20), 'previous limit kept');

  r = tsrun(['--root', root, 'update', '--l3-cache-schema', 'L3:0=f', 'upd']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /Intel RDT\/CAT: l3 cache schema is not enabled/);
});

test('events stream: stats every --interval, and an oom event when the OOM killer strikes', { skip: requires('root', { controller: 'memory' }, 'swap-accounting') }, async () => {
  const io = tempDir('tsrun-oomev-');
  try {
    // the hog waits for /gate/go, made once events has printed stats (it reads the oom count before its first)
    container('oomev', ['sh', '-c', 'while [ ! -e /gate/go ]; do sleep 0.05; done; x=aaaaaaaaaaaaaaaa; while :; do x=$x$x; done'], { memory: { limit: 16 << 20, swap: 16 << 20 } }, (s) => gate(s, io.path));
    const child = spawn(tsrunBin, ['--root', root, 'events', '--interval', '300ms', 'oomev'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += String(d);
      // two stats events before the hog starts: it is OOM-killed sooner than an interval
      if ((out.match(/"type":\s*"stats"/g) ?? []).length >= 2 && !existsSync(join(io.path, 'go'))) writeFileSync(join(io.path, 'go'), '');
    });
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      // 'close': the last lines may still be in the pipe at 'exit'.
      child.on('close', (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    assert.equal(code, 0, 'the stream ends by itself when the container stops');
    const events = out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; id: string });
    assert.ok(events.filter((e) => e.type === 'stats').length >= 2, out.slice(0, 500));
    assert.ok(events.some((e) => e.type === 'oom' && e.id === 'oomev'), 'oom event');
    assert.equal(status('oomev'), 'stopped');
  } finally {
    io.remove();
  }
});

test('events: a bad --interval is refused', { skip: requires('root') }, () => {
  const r = tsrun(['--root', root, 'events', '--interval', '0s', 'nosuch']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /duration interval must be greater than 0/);
  const r2 = tsrun(['--root', root, 'events', '--interval', 'soon', 'nosuch']);
  assert.match(r2.stderr, /invalid value \\"soon\\" for flag -interval|invalid value "soon" for flag -interval/);
});
