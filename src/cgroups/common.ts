// Directory and process chores both managers share: creating a cgroup path
// while remembering which levels were new (so a failed create removes only
// those), removing a subtree deepest first while its last processes exit,
// and signalling every pid.
import { mkdirSync, rmdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { TsrunError } from '../errors.js';
import { errnoOf, readProcs, walkCgroups, writeCg } from './fsio.js';
import { sleepMs, type CgroupManager, type CgroupResources } from './manager.js';

/**
 * mkdir -p that returns the directories it made, parents first. The mkdir
 * comes first: the parent usually exists, and asking first cost a stat per
 * level of every hierarchy.
 */
export function mkdirTracked(dir: string): string[] {
  try {
    mkdirSync(dir, 0o755);
    return [dir];
  } catch (err) {
    const code = errnoOf(err);
    if (code === 'EEXIST') return [];
    const parent = dirname(dir);
    if (code !== 'ENOENT' || parent === dir) {
      throw new TsrunError(`cannot create cgroup ${dir}: ${(err as Error).message}`, { field: '/linux/cgroupsPath', cause: err });
    }
    const made = mkdirTracked(parent);
    return [...made, ...mkdirTracked(dir)];
  }
}

/** Remove dirs (deepest first); missing ones are fine. Used to undo a failed create. */
function removeDirs(dirs: string[]): void {
  for (const d of [...dirs].sort((a, b) => b.length - a.length)) {
    try {
      rmdirSync(d);
    } catch {
      /* best effort: the caller is already failing */
    }
  }
}

/** Run `setUp`; if it throws, remove the dirs in `made` (it may add to them) and rethrow. */
export function undoOnFailure(made: string[], setUp: () => void): string[] {
  try {
    setUp();
    return made;
  } catch (err) {
    removeDirs(made);
    throw err;
  }
}

/** The resources but the device rules: prepare() wrote those already. */
function withoutDevices(r: CgroupResources): CgroupResources {
  return r.devices || r.deviceRules ? { ...r, devices: undefined, deviceRules: undefined } : r;
}

/**
 * The end of both managers' prepare(): refuse a frozen cgroup, since
 * runtime-spec says a frozen one is not fit for a new container (a parent
 * frozen by someone else freezes every new child too). Before anything
 * joins it: a process that joined a frozen cgroup stays there, stuck, with
 * the caller's stdio open (`tsrun run -d ID | cat` never returned).
 */
export function refuseFrozen(m: Pick<CgroupManager, 'freezerState' | 'paths'>): void {
  if (m.freezerState() !== 'THAWED') {
    throw new TsrunError(`container's cgroup unexpectedly frozen (${m.paths().freezer ?? m.paths().unified})`, { field: '/linux/cgroupsPath' });
  }
}

/** The apply() of both managers: write the limits (the device rules are prepare()'s); on failure the dirs this create made are removed again. */
export function applyOrUndo(m: { set(r: CgroupResources): void }, resources: CgroupResources, made: string[]): void {
  undoOnFailure(made, () => m.set(withoutDevices(resources)));
}

/**
 * Remove `dir` and every cgroup below it, deepest first. A cgroup still
 * holding an exiting process answers EBUSY: retry until `deadline`.
 */
export function removeTree(dir: string, deadline: number): void {
  const all = walkCgroups(dir).reverse();
  for (const d of all) {
    for (;;) {
      try {
        rmdirSync(d);
        break;
      } catch (err) {
        const code = errnoOf(err);
        if (code === 'ENOENT') break;
        if (code === 'EBUSY' && Date.now() < deadline) {
          sleepMs(10);
          continue;
        }
        const left = readProcs(d);
        throw new TsrunError(
          `unable to remove cgroup ${d}: ${code === 'EBUSY' ? `still in use${left.length ? ` by pids ${left.join(' ')}` : ''}` : (err as Error).message}`,
          { errno: code, cause: err },
        );
      }
    }
  }
}

/** Send `signal` to each pid; processes that are already gone are fine. */
export function signalPids(pids: number[], signal: number): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch (err) {
      if (errnoOf(err) !== 'ESRCH') throw err;
    }
  }
}

/** Write a pid into dir/cgroup.procs, with an error that says which cgroup refused it. */
export function joinCgroup(dir: string, pid: number): void {
  try {
    writeCg(dir, 'cgroup.procs', String(pid));
  } catch (err) {
    throw new TsrunError(`cannot join cgroup ${dir} with pid ${pid}: ${(err as Error).message.replace(/^.*: /, '')}`, {
      errno: err instanceof TsrunError ? err.errno : undefined,
      cause: err,
    });
  }
}

export const SIGKILL = 9;
