// A container's status is derived, never stored: from the init's liveness
// (pid + start time), the exec fifo, and the freezer. The order follows
// runc's refreshState, with 'creating' before a pid is known.
import { lstatSync, readFileSync } from 'node:fs';
import { EXEC_FIFO } from './paths.js';
import { isAlive } from './proc.js';
import type { ContainerRecord, ContainerStatus, StateObject } from './types.js';

/** True when the container's cgroup is frozen. Replaceable for tests and for other cgroup layouts. */
export type FreezerProbe = (record: ContainerRecord) => boolean;

function readTrimmed(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

/**
 * v1: `<freezer>/freezer.state` is FROZEN (FREEZING is still running, as in
 * runc). v2: `<unified>/cgroup.freeze` is 1. Missing files mean not frozen.
 */
export const cgroupFrozen: FreezerProbe = (record) => {
  const v1 = record.cgroupPaths.freezer;
  if (v1 && readTrimmed(`${v1}/freezer.state`) === 'FROZEN') return true;
  const v2 = record.cgroupPaths.unified;
  if (v2 && readTrimmed(`${v2}/cgroup.freeze`) === '1') return true;
  return false;
};

function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** The status of the container whose record is `record` and state directory is `dir`. */
export function containerStatus(record: ContainerRecord, dir: string, frozen: FreezerProbe = cgroupFrozen): ContainerStatus {
  if (!record.pid) return 'creating';
  if (!isAlive(record.pid, record.pidStartTime)) return 'stopped';
  if (frozen(record)) return 'paused';
  if (exists(`${dir}/${EXEC_FIFO}`)) return 'created';
  return 'running';
}

/**
 * The state object as runc prints it: pid 0 once stopped, annotations left
 * out when empty, `owner` empty (runc fills it only in `list`).
 */
export function stateObject(record: ContainerRecord, status: ContainerStatus, owner = ''): StateObject {
  const out: StateObject = {
    ociVersion: record.ociVersion,
    id: record.id,
    pid: status === 'stopped' ? 0 : record.pid,
    status,
    bundle: record.bundle,
    rootfs: record.rootfs,
    created: record.created,
    owner,
  };
  const keys = Object.keys(record.annotations ?? {});
  if (keys.length > 0) {
    // Go marshals maps with sorted keys.
    const sorted: Record<string, string> = {};
    for (const k of keys.sort()) sorted[k] = record.annotations[k]!;
    out.annotations = sorted;
  }
  // Keep runc's field order: annotations come before owner.
  const { owner: o, ...rest } = out;
  return { ...rest, owner: o };
}
