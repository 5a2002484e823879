// The state store: one directory per container under --root.
//
//   validateId(id)                         throws `invalid container ID format`
//   createContainerDir(root, id) -> dir     atomic claim; loser: `container with given ID already exists`
//   writeRecord(dir, record)                state.json, atomic (tmp + rename)
//   readRecord(root, id) -> record          missing: `container does not exist`
//   removeContainerDir(root, id)            rm -rf, no error when gone
//   listIds(root) -> ids                    missing root: []
//   lockContainer(root, id) -> lock         cross-process, crash-safe; lock.release()
//   processStartTime(pid), isAlive(pid, startTime)
//   containerStatus(record, dir)            creating | created | running | paused | stopped
//   stateObject(record, status)             what `tsrun state` prints (pid 0 when stopped)
//
// Hot commands may import the single modules directly to keep bundles small.
export { MAX_ID_LENGTH, isValidId, validateId } from './id.js';
export { EXEC_FIFO, STATE_FILE, containerDir, rootPath } from './paths.js';
export { createContainerDir, ensureRoot, listIds, parseRecord, readCgroupPaths, readCgroupRecord, readRecord, removeContainerDir, writeCgroupPaths, writeRecord } from './store.js';
export { type ContainerLock, type LockOptions, lockContainer, lockName, tryLockContainer, withContainerLock } from './lock.js';
export { type ProcStat, isAlive, parseProcStat, processStartTime, readProcStat } from './proc.js';
export { type FreezerProbe, cgroupFrozen, containerStatus, stateObject } from './status.js';
export { goJson } from './json.js';
export { nowRfc3339Nano, rfc3339Nano } from './time.js';
export type { ContainerRecord, ContainerStatus, StateObject, StoredConfig } from './types.js';
