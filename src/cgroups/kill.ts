// Signalling every process of a cgroup, in a module small enough for the hot
// commands (kill --all, delete --force): it needs only the freezer files and
// cgroup.procs, not the controllers, so those commands can import it alone:
//   const { killCgroup } = await import('../cgroups/kill.js');
//   killCgroup(record.cgroupPaths, 9);
// The managers' killAll() is this same function.
import { hasFile, readProcs, walkCgroups, writeCg } from './fsio.js';
import { SIGKILL, signalPids } from './common.js';
import type { CgroupPaths } from './manager.js';
import { v1Freeze, v1FreezerState, v1Thaw } from './v1/freezer.js';
import { v2Freeze, v2FreezerState, v2Thaw } from './v2/freezer.js';

function unifiedOf(paths: CgroupPaths): string | undefined {
  return paths.unified ?? paths[''];
}

/** The directory whose tree lists the container's processes. */
export function procsDirOf(paths: CgroupPaths): string | undefined {
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
