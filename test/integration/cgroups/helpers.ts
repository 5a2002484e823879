// Shared pieces of the cgroup integration tests: cgroups under an absolute
// parent of our own (/tsrun-test-<pid>/...) in every hierarchy, processes we
// spawn ourselves and hold at a `read` until they are inside the cgroup,
// and the check that nothing of ours is left anywhere afterwards.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { afterEach } from 'node:test';
import { openCgroup, type CgroupManager } from '../../../src/cgroups/index.js';
import { cgroupDirsOf, removeCgroupParent } from '../../helpers/cgroup-dirs.mjs';

export const PARENT = `tsrun-test-${process.pid}`;
export const CGROOT = '/sys/fs/cgroup';
export const BUSYBOX = '/bin/busybox';

export function cgPath(name: string): string {
  return `/${PARENT}/${name}`;
}

/** Every directory of ours still present in any hierarchy (v1, hybrid or v2). */
export function leftovers(): string[] {
  return cgroupDirsOf(PARENT);
}

/**
 * Every cgroup test file's afterEach: the held processes killed and reaped,
 * each manager thawed (a frozen cgroup's processes cannot exit), emptied and
 * destroyed, our parents removed, and nothing of ours left anywhere.
 */
export async function cleanUp(held: Held[], managers: CgroupManager[]): Promise<void> {
  for (const h of held.splice(0)) {
    h.kill();
    await h.exited;
  }
  for (const m of managers.splice(0)) {
    try {
      m.thaw();
    } catch {
      /* no freezer, or nothing to thaw */
    }
    // what a failed test left running inside (the held processes' children)
    if (m.exists()) m.killAll(9);
    m.destroy(5000);
  }
  removeCgroupParent(PARENT);
  assert.deepEqual(leftovers(), [], 'no cgroup of ours is left in any hierarchy');
}

/**
 * A test file's cgroups and held processes, cleaned up after each test:
 * cg(name) opens a cgroup under our parent (as the lifecycle would, for
 * whatever layout the host has), start(script) holds a process.
 */
export function perTest(): { cg(name: string, cgroupsPath?: string): CgroupManager; start(script: string): Held } {
  const held: Held[] = [];
  const managers: CgroupManager[] = [];
  afterEach(() => cleanUp(held, managers));
  return {
    cg(name, cgroupsPath = cgPath(name)) {
      const m = openCgroup({ id: name, cgroupsPath });
      managers.push(m);
      return m;
    },
    start(script) {
      const h = hold(script);
      held.push(h);
      return h;
    },
  };
}

export interface Held {
  child: ChildProcess;
  pid: number;
  /** Let the script past its first `read`. */
  go(): void;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /**
   * Exited and its stdout and stderr read to the end: 'exit' can come before
   * the last output does, so a test that asserts on the output waits for this.
   */
  drained: Promise<void>;
  output(): string;
  kill(): void;
}

/** Run `script` under busybox sh; it should start with `read go` so it waits until go(). */
export function hold(script: string): Held {
  const child = spawn(BUSYBOX, ['sh', '-c', script], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += String(d)));
  child.stderr!.on('data', (d) => (out += String(d)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const drained = new Promise<void>((resolve) => child.on('close', () => resolve()));
  return {
    child,
    pid: child.pid!,
    go: () => child.stdin!.write('go\n'),
    exited,
    drained,
    output: () => out,
    kill() {
      if (child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(child.pid!, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    },
  };
}

export const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The distinct values `read` gives over `ms`, sampled every `step` ms. That a
 * value stands still can only be watched for a while; several samples make
 * a moving value show even if one read lands between a truncate and a write.
 */
export async function distinctOver(read: () => string, ms: number, step = 20): Promise<string[]> {
  const seen = new Set([read()]);
  for (const end = Date.now() + ms; Date.now() < end; ) {
    await delay(step);
    seen.add(read());
  }
  return [...seen];
}

export async function until(cond: () => boolean, ms: number, step = 20): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await delay(step);
  }
  return cond();
}
