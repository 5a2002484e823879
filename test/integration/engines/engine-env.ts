// Shared by the engine tests (containerd, docker, podman): a private temp dir
// for an engine's roots, state and sockets, the busybox image tarball, daemons
// started and stopped by pid, and the checks and cleanup that leave nothing
// behind (processes, cgroups under our parent, mounts under the temp dir).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  closeSync, existsSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { makeBusyboxImageTar } from '../../../bundles/oci-image.js';
import { removeCgroupParent } from '../../helpers/cgroup-dirs.mjs';
import type { RunResult } from '../../helpers/tsrun.js';

export const IMAGE_REF = 'localhost/tsrun-busybox:test';
const CGROUP_ROOT = '/sys/fs/cgroup';

/** The absolute path of `bin` if it is an executable file in one of the usual places. */
export function findBinary(bin: string): string | undefined {
  for (const dir of ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']) {
    const p = join(dir, bin);
    try {
      if (statSync(p).isFile()) return p;
    } catch {
      /* not there */
    }
  }
  return undefined;
}

export function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export interface EngineEnv {
  /** The private temp dir (short: sockets need paths under 108 bytes). */
  dir: string;
  /** Our cgroup parent, e.g. /tsrun-engine-test-1234, relative to each hierarchy's root. */
  cgroupParent: string;
  /** The busybox image tarball. */
  imageTar: string;
  /** A command run to completion, its output through files (a container's init may inherit them). */
  run(cmd: string, args: string[], opts?: { env?: NodeJS.ProcessEnv; timeoutMs?: number }): RunResult;
  /** The same inside a pseudo-terminal (util-linux script), for -t; the exit code is the command's. */
  runTty(cmd: string, args: string[], opts?: { env?: NodeJS.ProcessEnv; timeoutMs?: number }): RunResult;
  /** Start a daemon (stdout/stderr to <dir>/<name>.log); stopped by cleanup() if not before. */
  startDaemon(name: string, cmd: string, args: string[], env?: NodeJS.ProcessEnv): Daemon;
  /** Stop every daemon started (last first), by pid. */
  stopDaemons(): Promise<void>;
  /** Stop every daemon, then kill leftovers we caused, unmount, remove cgroups and the dir. */
  cleanup(): Promise<void>;
}

export interface Daemon {
  pid: number;
  log(): string;
  exited(): boolean;
  stop(): Promise<void>;
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export async function makeEngineEnv(name: string): Promise<EngineEnv> {
  const dir = mkdtempSync(`/tmp/tsrun-${name}-`);
  const cgroupParent = `/tsrun-engine-test-${process.pid}-${name}`;
  const imageTar = join(dir, 'image.tar');
  writeFileSync(imageTar, (await makeBusyboxImageTar({ ref: IMAGE_REF })).tar);
  const daemons: Daemon[] = [];
  let seq = 0;

  const run: EngineEnv['run'] = (cmd, args, opts = {}) => {
    const out = join(dir, `.out-${++seq}`);
    const fo = openSync(out, 'w+');
    const fe = openSync(`${out}.err`, 'w+');
    try {
      const res = spawnSync(cmd, args, {
        stdio: ['ignore', fo, fe],
        env: opts.env ?? process.env,
        timeout: opts.timeoutMs ?? 90_000,
        killSignal: 'SIGKILL',
      });
      return {
        code: res.status,
        signal: res.signal,
        stdout: readFileSync(out, 'utf8'),
        stderr: readFileSync(`${out}.err`, 'utf8') + (res.error ? `\n${res.error.message}` : ''),
      };
    } finally {
      closeSync(fo);
      closeSync(fe);
      rmSync(out, { force: true });
      rmSync(`${out}.err`, { force: true });
    }
  };

  const runTty: EngineEnv['runTty'] = (cmd, args, opts) =>
    run('script', ['-eqc', [cmd, ...args].map(shellQuote).join(' '), '/dev/null'], opts);

  const startDaemon: EngineEnv['startDaemon'] = (dname, cmd, args, env) => {
    const logPath = join(dir, `${dname}.log`);
    const fd = openSync(logPath, 'a');
    let child: ChildProcess;
    try {
      child = spawn(cmd, args, { stdio: ['ignore', fd, fd], env: env ?? process.env });
    } finally {
      closeSync(fd);
    }
    let done = false;
    const exit = new Promise<void>((resolve) => {
      child.on('exit', () => {
        done = true;
        resolve();
      });
      child.on('error', () => {
        done = true;
        resolve();
      });
    });
    const d: Daemon = {
      pid: child.pid ?? -1,
      log: () => (existsSync(logPath) ? readFileSync(logPath, 'utf8') : ''),
      exited: () => done,
      async stop() {
        if (done) return;
        child.kill('SIGTERM');
        const timer = new Promise<'late'>((r) => setTimeout(() => r('late'), 15_000).unref());
        if ((await Promise.race([exit, timer])) === 'late') {
          child.kill('SIGKILL');
          await exit;
        }
      },
    };
    daemons.push(d);
    return d;
  };

  const stopDaemons = async () => {
    for (const d of [...daemons].reverse()) await d.stop();
  };

  const cleanup = async () => {
    await stopDaemons();
    // Shims and conmon outlive their daemons; they (and any container left
    // running) are ours when their command line names our dir or they sit
    // in our cgroup parent.
    for (let round = 0; round < 3; round++) {
      const pids = new Set([...processesMentioning(dir), ...cgroupProcs(cgroupParent)]);
      pids.delete(process.pid);
      if (pids.size === 0) break;
      for (const pid of pids) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      sleep(300);
    }
    for (const m of mountsUnder(dir).reverse()) spawnSync('umount', ['-l', m]);
    removeCgroupParent(cgroupParent.slice(1));
    rmSync(dir, { recursive: true, force: true });
  };

  return { dir, cgroupParent, imageTar, run, runTty, startDaemon, stopDaemons, cleanup };
}

/** Wait until `check` returns true, or throw with `what` after `ms`. */
export function waitFor(what: string, check: () => boolean, ms = 30_000): void {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    sleep(100);
  }
}

/** Pids whose command line contains `text` (not this process). */
export function processesMentioning(text: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(text)) out.push(Number(e));
    } catch {
      /* exited */
    }
  }
  return out;
}

/** Every v1 hierarchy (and the cgroup2 mount) under /sys/fs/cgroup. */
function hierarchies(): string[] {
  // A cgroup2-only host: /sys/fs/cgroup is the one hierarchy.
  const out: string[] = existsSync(join(CGROUP_ROOT, 'cgroup.controllers')) ? [CGROUP_ROOT] : [];
  for (const e of readdirSync(CGROUP_ROOT)) {
    const p = join(CGROUP_ROOT, e);
    // cpu -> cpu,cpuacct and the like are links to a hierarchy listed anyway.
    if (readlinkSafe(p) === null && statSync(p, { throwIfNoEntry: false })?.isDirectory()) out.push(p);
  }
  return out;
}

function readlinkSafe(p: string): string | null {
  try {
    return readlinkSync(p);
  } catch {
    return null;
  }
}

function walkDirs(p: string): string[] {
  if (!existsSync(p)) return [];
  const out = [p];
  for (const e of readdirSync(p, { withFileTypes: true })) if (e.isDirectory()) out.push(...walkDirs(join(p, e.name)));
  return out;
}

/** Cgroup directories below our parent (the parent itself not counted), in any hierarchy. */
export function cgroupsUnder(parent: string): string[] {
  return hierarchies().flatMap((h) => walkDirs(join(h, parent)).slice(1));
}

function cgroupProcs(parent: string): number[] {
  const pids: number[] = [];
  for (const h of hierarchies()) {
    for (const d of walkDirs(join(h, parent))) {
      try {
        pids.push(...readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number));
      } catch {
        /* gone */
      }
    }
  }
  return pids;
}

/** Mount points (from this process's mountinfo) at or below `dir`. */
export function mountsUnder(dir: string): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((m) => m === dir || m.startsWith(`${dir}/`));
}

/** Paths of files named `name` below `dir` (for: no tsrun state.json left under a runtime root). */
export function filesNamed(dir: string, name: string): string[] {
  const out: string[] = [];
  for (const d of walkDirs(dir)) {
    try {
      if (statSync(join(d, name)).isFile()) out.push(join(d, name));
    } catch {
      /* none here */
    }
  }
  return out;
}

/**
 * A containerd of our own in env.dir: root, state, sockets and opt dir there,
 * CRI off (it wants CNI and a sandbox image; nothing here needs it). Returns
 * its socket once `ctr version` answers.
 */
export function startContainerd(env: EngineEnv, containerd: string, ctr: string): string {
  const sock = join(env.dir, 'containerd.sock');
  const config = join(env.dir, 'containerd.toml');
  writeFileSync(
    config,
    [
      'version = 2',
      `root = "${env.dir}/containerd-root"`,
      `state = "${env.dir}/containerd-state"`,
      'disabled_plugins = ["io.containerd.grpc.v1.cri"]',
      '[grpc]',
      `  address = "${sock}"`,
      '[ttrpc]',
      `  address = "${sock}.ttrpc"`,
      '[plugins."io.containerd.internal.v1.opt"]',
      `  path = "${env.dir}/opt"`,
      '',
    ].join('\n'),
  );
  const d = env.startDaemon('containerd', containerd, ['--config', config]);
  waitFor('containerd to serve', () => {
    if (d.exited()) throw new Error(`containerd exited:\n${d.log()}`);
    return existsSync(sock) && env.run(ctr, ['--address', sock, 'version']).code === 0;
  });
  return sock;
}

/**
 * The 1.6 shim puts its socket under /run/containerd/s whatever the config
 * says. Call before starting: the returned function removes those
 * directories (when empty) if they were not there before.
 */
export function keepRunContainerdClean(): () => void {
  if (existsSync('/run/containerd')) return () => {};
  return () => {
    for (const d of ['/run/containerd/s', '/run/containerd/fifo', '/run/containerd/runc', '/run/containerd']) {
      spawnSync('rmdir', [d], { stdio: 'ignore' });
    }
  };
}

/** A shell line printing the memory limit then the pids limit, from the container's /sys/fs/cgroup (v1 or v2). */
export const PRINT_LIMITS =
  'cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max; ' +
  'cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids.max';

/** The memory limit file of the cgroup at `path` (relative to the hierarchy root) as the host sees it. */
export function hostMemoryLimitFile(path: string): string {
  return existsSync(join(CGROUP_ROOT, 'cgroup.controllers'))
    ? join(CGROUP_ROOT, path, 'memory.max')
    : join(CGROUP_ROOT, 'memory', path, 'memory.limit_in_bytes');
}
