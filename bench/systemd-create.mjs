// `node bench/systemd-create.mjs [N]` (as root, on a host with systemd: the
// test VM, `npm run vm -- node bench/systemd-create.mjs 10`): what `create`
// costs with the systemd cgroup driver, tsrun beside runc, on the same host
// and bundle, interleaved: each round times one `create` of each runtime
// with and without --systemd-cgroup (the container is deleted after each, not
// timed). Prints the median and the spread in ms. Not a test.
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const n = Number(process.argv[2] ?? 10);
const runc = ['/usr/sbin/runc', '/usr/bin/runc'].find((p) => spawnSync(p, ['--version']).status === 0);
const runtimes = [['tsrun', join(repo, 'bin', 'tsrun')], ...(runc ? [['runc', runc]] : [])];
const work = mkdtempSync(join(tmpdir(), 'sd-bench-'));
const bundle = join(work, 'bundle');
execFileSync(process.execPath, [join(repo, 'dist', 'bundle-busybox.cjs'), bundle, '--args', 'sleep 1000']);
const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'));
const slice = `sdbench${process.pid}.slice`;
const times = new Map();

function once(name, bin, systemd, i) {
  const id = `${name}${systemd ? 's' : 'f'}${process.pid}x${i}`;
  config.linux.cgroupsPath = systemd ? `${slice}:bench:${id}` : `/sdbench${process.pid}/${id}`;
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(config));
  const root = join(work, `root-${name}`);
  const flags = [...(systemd ? ['--systemd-cgroup'] : []), '--root', root];
  // the created init keeps create's stdio: a file, never a pipe the caller would wait on
  const errFile = join(work, 'stderr');
  const err = openSync(errFile, 'w');
  const t0 = process.hrtime.bigint();
  const r = spawnSync(bin, [...flags, 'create', '--bundle', bundle, id], { stdio: ['ignore', 'ignore', err] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  closeSync(err);
  spawnSync(bin, [...flags, 'delete', '--force', id], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`${name} create${systemd ? ' --systemd-cgroup' : ''} failed: ${readFileSync(errFile, 'utf8')}`);
  const key = `${name}${systemd ? ' --systemd-cgroup' : ' (cgroupfs)'}`;
  times.set(key, [...(times.get(key) ?? []), ms]);
}

try {
  for (let i = 0; i < n + 1; i++) {
    const order = i % 2 ? [...runtimes].reverse() : runtimes;
    for (const [name, bin] of order) for (const systemd of [true, false]) once(name, bin, systemd, i);
    if (i === 0) times.clear(); // warm-up round
  }
  for (const [key, list] of times) {
    const s = [...list].sort((a, b) => a - b);
    console.log(`${key.padEnd(26)} median ${s[Math.floor(s.length / 2)].toFixed(1)} ms  (min ${s[0].toFixed(1)}, max ${s[s.length - 1].toFixed(1)}, n=${s.length})`);
  }
} finally {
  spawnSync('systemctl', ['stop', slice], { stdio: 'ignore' });
  try {
    execFileSync('rmdir', [`/sys/fs/cgroup/sdbench${process.pid}`], { stdio: 'ignore' });
  } catch {
    /* v1: per hierarchy; left for the VM's end */
  }
  rmSync(work, { recursive: true, force: true });
}
