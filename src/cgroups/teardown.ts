// Tearing a container's cgroup down, in a module small enough for the hot
// commands (kill --all, delete): signalling, thawing and removing need only
// the freezer files and cgroup.procs, not the controllers, so those commands
// can import this alone (~8 KB instead of the whole cgroup library):
//   const { killCgroup, thawCgroup, removeCgroup } = await import('../cgroups/teardown.js');
//   killCgroup(record.cgroupPaths, 9); thawCgroup(record.cgroupPaths); removeCgroup(record.cgroupPaths);
// The managers' killAll(), thaw() and destroy() are these same functions.
import { hasFile, readProcs, walkCgroups, writeCg } from './fsio.js';
import { SIGKILL, removeTree, signalPids } from './common.js';
import type { CgroupPaths } from './manager.js';
import { v1Freeze, v1FreezerState, v1Thaw } from './v1/freezer.js';
import { v2Freeze, v2FreezerState, v2Thaw } from './v2/freezer.js';

function unifiedOf(paths: CgroupPaths): string | undefined {
  return paths.unified ?? paths[''];
}

/** The directory whose tree lists the container's processes. */
function procsDirOf(paths: CgroupPaths): string | undefined {
  return paths.pids ?? paths.freezer ?? paths.memory ?? paths.devices ?? paths.cpu ?? unifiedOf(paths) ?? Object.values(paths)[0];
}

/** Every pid in the cgroup and below it. */
export function cgroupPids(paths: CgroupPaths): number[] {
  const dir = procsDirOf(paths);
  return dir ? [...new Set(walkCgroups(dir).flatMap(readProcs))] : [];
}

interface Freezer {
  frozen(): boolean;
  freeze(): void;
  thaw(): void;
}

function freezerOf(paths: CgroupPaths): Freezer | undefined {
  const v1 = paths.freezer;
  if (v1) return { frozen: () => v1FreezerState(v1) !== 'THAWED', freeze: () => v1Freeze(v1), thaw: () => v1Thaw(v1) };
  const u = unifiedOf(paths);
  if (u && hasFile(u, 'cgroup.freeze')) return { frozen: () => v2FreezerState(u) !== 'THAWED', freeze: () => v2Freeze(u), thaw: () => v2Thaw(u) };
  return undefined;
}

/**
 * Send `signal` to every process. SIGKILL goes through cgroup.kill where the
 * cgroup2 side has it (then a sweep for anything that joined only v1);
 * otherwise the cgroup is frozen while the pids are listed and signalled, so
 * nothing forks past the loop, and thawed again if it was not frozen before.
 */
export function killCgroup(paths: CgroupPaths, signal: number): void {
  const u = unifiedOf(paths);
  const hasV1 = Object.keys(paths).some((k) => k !== 'unified' && k !== '');
  // On a hybrid host the cgroup2 side only helps if the processes joined it.
  if (signal === SIGKILL && u && hasFile(u, 'cgroup.kill') && (!hasV1 || readProcs(u).length > 0)) {
    writeCg(u, 'cgroup.kill', '1');
    if (hasV1) signalPids(cgroupPids(paths), SIGKILL);
    return;
  }
  const f = freezerOf(paths);
  let froze = false;
  try {
    if (f && !f.frozen()) {
      f.freeze();
      froze = true;
    }
  } catch {
    /* signal without freezing rather than not at all */
  }
  try {
    signalPids(cgroupPids(paths), signal);
  } finally {
    if (froze) f!.thaw();
  }
}

/** Thaw the cgroup if a freezer holds it (delete of a paused container). */
export function thawCgroup(paths: CgroupPaths): void {
  const f = freezerOf(paths);
  if (f && f.frozen()) f.thaw();
}

/**
 * Remove every directory of the cgroup, deepest first, retrying while the
 * last processes exit, for at most timeoutMs (default 5 s) in all.
 */
export function removeCgroup(paths: CgroupPaths, timeoutMs = 5000): void {
  const deadline = Date.now() + timeoutMs;
  let first: unknown;
  for (const d of [...new Set(Object.values(paths))].sort()) {
    try {
      removeTree(d, deadline);
    } catch (err) {
      first ??= err;
    }
  }
  if (first) throw first;
}
