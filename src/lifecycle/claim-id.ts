// create claims an id under --root: the container's lock for as long as the
// create runs, then its state dir. A SIGKILLed create can take nothing back:
// it leaves a state dir with no state.json, which `state` and `delete` call
// "container does not exist" while a new create said "already exists" (the
// leak of issue 18). The lock tells such a leftover from a create still at
// work: the kernel frees it with its holder. So a state dir without a record
// whose lock is ours is the remains of a dead create: its cgroup (recorded
// first, cgroup.json) is emptied and removed, the dir goes, and the id is
// claimed again. Its executor and init need no help: they end when their
// socket to the dead create closes.
import { existsSync } from 'node:fs';
import { RuncText, TsrunError } from '../errors.js';
import { log } from '../log.js';
import { fromPaths } from '../cgroups/index.js';
import {
  STATE_FILE, containerDir, createContainerDir, readCgroupPaths, removeContainerDir, tryLockContainer, type ContainerLock,
} from '../state/index.js';

export interface Claim {
  dir: string;
  /** Free the lock: once the record is written, or the dir removed. */
  release(): void;
}

export function claimId(root: string, id: string): Claim {
  const lock: ContainerLock | null = tryLockContainer(root, id);
  // another create of this id is at work, or a command on the container it made
  if (!lock) throw new TsrunError(RuncText.exists);
  try {
    return { dir: claimDir(root, id), release: () => lock.release() };
  } catch (err) {
    lock.release();
    throw err;
  }
}

function claimDir(root: string, id: string): string {
  try {
    return createContainerDir(root, id);
  } catch (err) {
    if (!(err instanceof TsrunError) || err.message !== RuncText.exists) throw err;
    if (existsSync(`${containerDir(root, id)}/${STATE_FILE}`)) throw err;
  }
  log.debug(`create: ${containerDir(root, id)} has no ${STATE_FILE} and no create holds it: what a killed create left; removing it`);
  const paths = readCgroupPaths(root, id);
  if (paths && Object.keys(paths).length > 0) {
    const cg = fromPaths(paths);
    try {
      if (cg.exists()) {
        cg.killAll(9);
        cg.destroy();
      }
    } catch (e) {
      log.debug(`create: the cgroup a killed create left: ${(e as Error).message}`);
    }
  }
  removeContainerDir(root, id);
  return createContainerDir(root, id);
}
