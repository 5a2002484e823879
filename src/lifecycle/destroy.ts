// Tearing a container down: kill what is left, wait for the init to go,
// remove the cgroup, run poststop hooks, remove the state dir.
import { log } from '../log.js';
import type { Spec } from '../spec/types.js';
import { isAlive } from '../state/proc.js';
import type { ContainerRecord } from '../state/types.js';
import { runHooks } from './hooks.js';

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
  for (let i = 0; i < 1000 && record.pid && isAlive(record.pid, record.pidStartTime); i++) sleepMs(10);
}

async function killCgroup(record: ContainerRecord): Promise<void> {
  if (!record.cgroupPaths || Object.keys(record.cgroupPaths).length === 0) return;
  const { fromPaths } = await import('../cgroups/index.js');
  try {
    const cg = fromPaths(record.cgroupPaths);
    if (cg.exists()) cg.killAll(9);
  } catch (err) {
    log.debug(`kill cgroup: ${String(err)}`);
  }
}

/** Everything after the processes are gone. Poststop failures only warn. */
export async function destroyContainer(root: string, record: ContainerRecord): Promise<void> {
  await killCgroup(record);
  if (record.cgroupPaths && Object.keys(record.cgroupPaths).length > 0) {
    const { fromPaths } = await import('../cgroups/index.js');
    try {
      fromPaths(record.cgroupPaths).destroy();
    } catch (err) {
      log.warn(`remove cgroup: ${(err as Error).message}`);
    }
  }
  const config = record.config as unknown as Spec;
  const state = { ociVersion: record.ociVersion, id: record.id, status: 'stopped', bundle: record.bundle, ...(Object.keys(record.annotations ?? {}).length ? { annotations: record.annotations } : {}) };
  runHooks('poststop', config?.hooks?.poststop, state, true);
  const { removeContainerDir } = await import('../state/store.js');
  removeContainerDir(root, record.id);
}
