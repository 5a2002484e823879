// pause, resume, ps, events and update through the built binary, on a real
// busybox container (create + start by the lifecycle), on this machine's
// cgroups.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isRoot, tempDir, tsrun, tsrunBin } from '../../helpers/tsrun.js';
import { makeBundle, type Bundle } from '../../helpers/bundle.js';

const skip = isRoot ? false : 'needs root: runs real containers';
const state = isRoot ? tempDir('tsrun-cgcmd-') : undefined;
const root = state?.path ?? '';
const bundles: Bundle[] = [];
const ids: string[] = [];

after(() => {
  for (const id of ids) tsrun(['--root', root, 'delete', '--force', id]);
  for (const b of bundles) b.remove();
  state?.remove();
  const left = bundles.flatMap((b) => readdirSync('/sys/fs/cgroup').map((h) => join('/sys/fs/cgroup', h, b.cgroupParent)).filter((p) => existsSync(p)));
  assert.deepEqual(left, [], 'no cgroup of ours is left in any hierarchy');
});

function container(id: string, args: string[], resources: object): Bundle {
  const b = makeBundle({
    args,
    patch: (s) => {
      s.linux = { ...s.linux, resources: { ...s.linux?.resources, ...resources } };
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

test('pause/resume: status paused from the freezer; runc\'s errors when repeated', { skip }, () => {
  container('pr', ['sh', '-c', 'while :; do sleep 0.1; done'], {});
  assert.equal(status('pr'), 'running');
  let r = tsrun(['--root', root, 'pause', 'pr']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(status('pr'), 'paused');
  r = tsrun(['--root', root, 'pause', 'pr']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /container not running/);
  r = tsrun(['--root', root, 'resume', 'pr']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(status('pr'), 'running');
  r = tsrun(['--root', root, 'resume', 'pr']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /container not paused/);
  r = tsrun(['--root', root, 'pause', 'nosuch']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /container does not exist/);
});

test('ps: --format json is the cgroup\'s host pids; table keeps ps\'s header and the container\'s lines', { skip }, () => {
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

test('events --stats: one runc stats object with the memory limit; update changes limits and refuses bad values', { skip }, () => {
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

  const memFile = `/sys/fs/cgroup/memory${b.cgroupsPath}/memory.limit_in_bytes`;
  let r = tsrun(['--root', root, 'update', '--memory', '64m', '--pids-limit', '50', 'upd']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(memFile, 'utf8').trim(), String(64 << 20));
  assert.equal(readFileSync(`/sys/fs/cgroup/pids${b.cgroupsPath}/pids.max`, 'utf8').trim(), '50');

  r = tsrun(['--root', root, 'update', '--resources', '-', 'upd'], { input: JSON.stringify({ memory: { limit: 96 << 20 }, cpu: { shares: 256 } }) });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(memFile, 'utf8').trim(), String(96 << 20));
  assert.equal(readFileSync(`/sys/fs/cgroup/cpu${b.cgroupsPath}/cpu.shares`, 'utf8').trim(), '256');

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

test('events stream: stats every --interval, and an oom event when the OOM killer strikes', { skip }, async () => {
  container('oomev', ['sh', '-c', 'sleep 1.5; x=aaaaaaaaaaaaaaaa; while :; do x=$x$x; done'], { memory: { limit: 16 << 20, swap: 16 << 20 } });
  const child = spawn(tsrunBin, ['--root', root, 'events', '--interval', '300ms', 'oomev'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += String(d)));
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
});

test('events: a bad --interval is refused', { skip }, () => {
  const r = tsrun(['--root', root, 'events', '--interval', '0s', 'nosuch']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /duration interval must be greater than 0/);
  const r2 = tsrun(['--root', root, 'events', '--interval', 'soon', 'nosuch']);
  assert.match(r2.stderr, /invalid value \\"soon\\" for flag -interval|invalid value "soon" for flag -interval/);
});
