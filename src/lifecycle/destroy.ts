// Tearing a container down: kill what is left, wait for the init to go,
// remove the cgroup, run poststop hooks, remove the state dir.
import { existsSync } from 'node:fs';
import type { CgroupPaths } from '../cgroups/manager.js';
import { removeEmptyCgroups } from '../cgroups/remove-empty.js';
import { TsrunError } from '../errors.js';
import { log } from '../log.js';
import type { Spec } from '../spec/types.js';
import { isAlive } from '../state/proc.js';
import { readCgroupRecord, removeContainerDir } from '../state/store.js';
import type { CgroupUnit, ContainerRecord } from '../state/types.js';

declare const require: (id: string) => unknown;

/** The cgroup teardown (and node:path with it) is loaded only when a cgroup is still busy or must be signalled. */
function teardown(): typeof import('../cgroups/teardown.js') {
  return require('../cgroups/teardown.js') as typeof import('../cgroups/teardown.js');
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** SIGKILL the init (after the pid + start time check) and every process in its cgroup; wait up to 10 s. */
export async function killContainer(record: ContainerRecord): Promise<void> {
  if (record.pid && isAlive(record.pid, record.pidStartTime)) {
    try {
      process.kill(record.pid, 'SIGKILL');
    } catch {
      /* gone meanwhile */
    }
  }
  await killCgroup(record);
  // Short exponential back-off: a killed init is usually gone within a millisecond.
  const end = Date.now() + 10_000;
  for (let delay = 0.1; record.pid && isAlive(record.pid, record.pidStartTime) && Date.now() < end; delay = Math.min(delay * 2, 10)) sleepMs(delay);
}

async function killCgroup(record: ContainerRecord, paths: CgroupPaths | undefined = record.cgroupPaths): Promise<void> {
  if (!paths || Object.keys(paths).length === 0) return;
  try {
    if (Object.values(paths).some((d) => existsSync(d))) teardown().killCgroup(paths, 9);
  } catch (err) {
    log.debug(`kill cgroup: ${String(err)}`);
  }
}

/**
 * --systemd-cgroup: stop the container's unit (systemd removes its cgroup)
 * and forget it if it failed (an OOM kill fails a scope); what systemd does
 * not manage (v1 hierarchies it leaves alone) is removed with the paths.
 */
function stopUnit(unit: CgroupUnit): void {
  const { Systemd } = require('../cgroups/systemd/client.js') as typeof import('../cgroups/systemd/client.js');
  const systemd = Systemd.connect(unit.bus);
  try {
    systemd.stopUnit(unit.name);
  } finally {
    systemd.close();
  }
}

/** The delete fails and the state stays, to be retried. */
function undying(id: string): TsrunError {
  return new TsrunError(`cannot delete container ${id}: its processes did not exit after SIGKILL (is a cgroup above it frozen?)`);
}

/**
 * Everything after the processes are gone. Poststop failures only warn. If
 * they are not gone (SIGKILL waits while a cgroup above the container's is
 * frozen), nothing is removed and the delete fails: the record is what finds
 * the init and its cgroups again when it is retried (runc keeps it too).
 */
export async function destroyContainer(root: string, record: ContainerRecord): Promise<void> {
  if (record.pid && isAlive(record.pid, record.pidStartTime)) throw undying(record.id);
  if (record.cgroupUnit) stopUnit(record.cgroupUnit);
  if (record.cgroupPaths && Object.keys(record.cgroupPaths).length > 0) {
    const left = removeEmptyCgroups(record.cgroupPaths);
    if (Object.keys(left).length > 0) {
      await killCgroup(record, left);
      try {
        teardown().removeCgroup(left);
      } catch (err) {
        log.warn(`remove cgroup: ${(err as Error).message}`);
        let busy = false;
        try {
          busy = teardown().cgroupPids(left).length > 0;
        } catch {
          /* gone meanwhile */
        }
        if (busy) throw undying(record.id);
      }
    }
  }
  const config = record.config as unknown as Spec;
  const state = { ociVersion: record.ociVersion, id: record.id, status: 'stopped', bundle: record.bundle, ...(Object.keys(record.annotations ?? {}).length ? { annotations: record.annotations } : {}) };
  // hooks.js loads node:child_process (2-3 ms): only when there are hooks to run.
  if (config?.hooks?.poststop?.length) {
    const { runHooks } = require('./hooks.js') as typeof import('./hooks.js');
    runHooks('poststop', config.hooks.poststop, state, true);
  }
  removeContainerDir(root, record.id);
}

/**
 * delete --force of a container whose record cannot be read (truncated,
 * garbage): what can be found is still removed. Its processes by its cgroup
 * (the paths create wrote beside the record, or the default path of the
 * id), the cgroup, then the state dir; if the processes will not die the
 * state stays and the delete fails, to be retried.
 */
export async function destroyUnreadable(root: string, id: string, defaultPaths: () => CgroupPaths): Promise<void> {
  const recorded = readCgroupRecord(root, id);
  const paths = recorded?.paths ?? defaultPaths();
  const t = teardown();
  const pids = () => {
    try {
      return t.cgroupPids(paths);
    } catch {
      return [];
    }
  };
  if (pids().length > 0) {
    try {
      t.thawCgroup(paths);
      t.killCgroup(paths, 9);
    } catch (err) {
      log.debug(`kill cgroup: ${String(err)}`);
    }
    const end = Date.now() + 10_000;
    for (let delay = 0.1; pids().length > 0 && Date.now() < end; delay = Math.min(delay * 2, 10)) sleepMs(delay);
    if (pids().length > 0) throw undying(id);
  }
  if (recorded?.unit) stopUnit(recorded.unit);
  try {
    t.removeCgroup(paths);
  } catch (err) {
    log.warn(`remove cgroup: ${(err as Error).message}`);
  }
  removeContainerDir(root, id);
}
