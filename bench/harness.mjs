// The measuring side of `npm run bench`: the context steps get, the timed
// interleaved runs, peak RSS through /usr/bin/time, and the statistics.
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeCgroupParent } from '../test/helpers/cgroup-dirs.mjs';

export function which(cmd) {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

/** The environment tsrun's launcher gives node: no NODE_OPTIONS, no NODE_EXTRA_CA_CERTS (+50 ms here). */
export function cleanEnv() {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  delete env.NODE_EXTRA_CA_CERTS;
  return env;
}

/** Marks a step argv as a probe `cycle` (bench/probe.c) rather than one command line. */
export const CYCLE = '@cycle';

/** Build bench/probe.c (the timing helper and the subreaper) into dir. */
function buildProbe(repoRoot, dir) {
  const out = join(dir, 'probe');
  execFileSync('cc', ['-O2', '-Wall', '-o', out, join(repoRoot, 'bench', 'probe.c')], { stdio: ['ignore', 'ignore', 'inherit'] });
  return out;
}

export function makeContext(repoRoot) {
  const tmp = mkdtempSync(join(tmpdir(), 'tsrun-bench-'));
  const cgroupParent = `tsrun-bench-${process.pid}`;
  const env = cleanEnv();
  const ctx = {
    repoRoot,
    tmp,
    env,
    node: process.execPath,
    tsrun: join(repoRoot, 'bin', 'tsrun'),
    probe: buildProbe(repoRoot, tmp),
    runc: which('runc'),
    crun: which('crun'),
    root: join(tmp, 'tsrun-root'),
    runcRoot: join(tmp, 'runc-root'),
    crunRoot: join(tmp, 'crun-root'),
    cgroupParent,
    run(argv, opts = {}) {
      const r = spawnSync(argv[0], argv.slice(1), { env, encoding: 'utf8', timeout: 120_000, ...opts });
      return { status: r.status, signal: r.signal, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
    },
    /**
     * Like run(), with stdout/stderr through files: a container created by
     * the command keeps the caller's stdio, so a pipe would never reach EOF.
     */
    runToFiles(argv) {
      const out = join(tmp, 'run.out');
      const err = join(tmp, 'run.err');
      const fdOut = openSync(out, 'w');
      const fdErr = openSync(err, 'w');
      try {
        const r = spawnSync(argv[0], argv.slice(1), { env, stdio: ['ignore', fdOut, fdErr], timeout: 120_000 });
        return { status: r.status, signal: r.signal, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') };
      } finally {
        closeSync(fdOut);
        closeSync(fdErr);
      }
    },
    /**
     * A busybox bundle at <tmp>/bundles/<name> with an absolute cgroupsPath
     * under this run's own parent (/tsrun-bench-<pid>/<name>). `args` is a
     * command line ("sleep 100"); `patch(config)` edits the config.
     */
    bundle(name, { args = 'sh', terminal = false, patch } = {}) {
      const dir = join(tmp, 'bundles', name);
      const argv = [join(repoRoot, 'dist', 'bundle-busybox.cjs'), dir, '--args', args];
      if (terminal) argv.push('--terminal');
      execFileSync(process.execPath, argv, { env, stdio: ['ignore', 'ignore', 'inherit'] });
      const file = join(dir, 'config.json');
      const config = JSON.parse(readFileSync(file, 'utf8'));
      config.linux = { ...config.linux, cgroupsPath: `/${cgroupParent}/${name}` };
      patch?.(config);
      writeFileSync(file, JSON.stringify(config, null, '\t'));
      return dir;
    },
    /**
     * A bundle that is only a config.json whose root.path is one busybox
     * rootfs shared by all of them (read-only, as defaultSpec has it): cheap
     * enough for a hundred containers. `args` is an argv array.
     */
    lightBundle(name, { args = ['sh'], patch } = {}) {
      const base = join(tmp, 'base');
      if (!existsSync(join(base, 'config.json'))) {
        execFileSync(process.execPath, [join(repoRoot, 'dist', 'bundle-busybox.cjs'), base], { env, stdio: ['ignore', 'ignore', 'inherit'] });
      }
      const config = JSON.parse(readFileSync(join(base, 'config.json'), 'utf8'));
      config.process.args = args;
      config.root = { path: join(base, 'rootfs'), readonly: true };
      config.linux = { ...config.linux, cgroupsPath: `/${cgroupParent}/${name}` };
      patch?.(config);
      const dir = join(tmp, 'bundles', name);
      mkdirSync(dir, { recursive: true });
      writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, '\t'));
      return dir;
    },
    exists(rel) {
      return existsSync(join(repoRoot, rel));
    },
    /** Median of `n` runs of node with `args` ({root} = ctx.root): performance.now() when the process exits. */
    medianInProcess(args, n = 15) {
      const probe = join(tmp, 'exit-probe.cjs');
      writeFileSync(probe, "process.on('exit', () => require('fs').writeSync(2, '@@exit ' + performance.now() + '\\n'));\n");
      const values = [];
      for (let i = 0; i < n; i++) {
        const argv = args.map((a) => (a === '{root}' ? ctx.root : a.startsWith('dist/') ? join(repoRoot, a) : a));
        const r = spawnSync(process.execPath, ['--no-warnings', '-r', probe, ...argv], { env, encoding: 'utf8' });
        const m = /@@exit ([\d.]+)/.exec(r.stderr);
        if (m) values.push(Number(m[1]));
      }
      return stats(values)?.median ?? NaN;
    },
    /**
     * Median of `n` fresh nodes timing require() of one dist file (its main is
     * not run), required from a CJS main file as dist/tsrun.cjs does it (from
     * `node -e` the loader's first-use costs would be counted too). The time is
     * taken before touching process.stdout, whose getter builds a stream (~1 ms).
     */
    medianRequire(rel, n = 15) {
      const probe = join(tmp, 'require-probe.cjs');
      writeFileSync(probe, "const t = performance.now(); require(process.argv[2]); const ms = performance.now() - t; process.stdout.write(String(ms));\n");
      const values = [];
      for (let i = 0; i < n; i++) {
        const r = spawnSync(process.execPath, ['--no-warnings', probe, join(repoRoot, rel)], { env, encoding: 'utf8' });
        if (r.status === 0) values.push(Number(r.stdout));
      }
      return stats(values)?.median ?? NaN;
    },
    /** Remove the temp dir and every cgroup left under this run's parent (rmdir only). */
    dispose() {
      rmSync(tmp, { recursive: true, force: true });
      removeCgroupParent(cgroupParent);
    },
  };
  return ctx;
}

/**
 * One timed call through bench/probe.c: wall time in ms from fork to reap,
 * the peak RSS (wait4's ru_maxrss, KiB) and the exit status. A step argv
 * starting with CYCLE is a probe `cycle` (create+start+reap+delete).
 */
export function timeOnce(probe, argv, env) {
  const args = argv[0] === CYCLE ? ['cycle', ...argv.slice(1)] : ['run', ...argv];
  const r = spawnSync(probe, args, { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 120_000 });
  const [ms, kib, status] = String(r.stdout ?? '').trim().split(' ').map(Number);
  if (r.status !== 0 || !Number.isFinite(ms)) throw new Error(`probe ${args.slice(0, 3).join(' ')}: exit ${r.status}`);
  return { ms, kib, status };
}

export function stats(values) {
  const v = [...values].sort((a, b) => a - b);
  const n = v.length;
  if (n === 0) return null;
  const median = n % 2 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  return { n, min: v[0], median, max: v[n - 1], mean: v.reduce((a, b) => a + b, 0) / n };
}

/** The order of iteration i: the list rotated by i, so every step takes every position. */
export function rotation(list, i) {
  const k = i % list.length;
  return [...list.slice(k), ...list.slice(0, k)];
}
