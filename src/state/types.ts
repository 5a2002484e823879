// What a container's state directory holds between commands. Written by
// create (and updated by the lifecycle), read by every later command, so that
// nothing after create ever re-reads the bundle.

/** runc's statuses plus 'creating' (state dir made, init not yet known). */
export type ContainerStatus = 'creating' | 'created' | 'running' | 'paused' | 'stopped';

/**
 * The parts of the validated config that later commands need. The lifecycle
 * may store the whole spec here; readers only rely on the named fields.
 */
export interface StoredConfig {
  ociVersion?: string;
  process?: unknown;
  hooks?: unknown;
  annotations?: Record<string, string>;
  linux?: {
    cgroupsPath?: string;
    namespaces?: Array<{ type: string; path?: string }>;
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** `<root>/<id>/state.json`. */
export interface ContainerRecord {
  ociVersion: string;
  id: string;
  /** Host pid of the container's init; 0 while the container is being created. */
  pid: number;
  /** Field 22 of /proc/<pid>/stat (clock ticks since boot): guards against pid reuse. */
  pidStartTime: number;
  /** Absolute path of the bundle. */
  bundle: string;
  /** Absolute path of the root filesystem. */
  rootfs: string;
  /** RFC3339Nano, UTC, as Go prints it: "2026-11-29T05:22:34.123456789Z". */
  created: string;
  annotations: Record<string, string>;
  /** uid that created the container. */
  owner: number;
  config: StoredConfig;
  /**
   * Cgroup directories of the container, absolute: v1 controller name ->
   * path ("freezer" -> "/sys/fs/cgroup/freezer/x/y"), and "unified" for the
   * cgroup2 directory. Filled by the lifecycle.
   */
  cgroupPaths: Record<string, string>;
  /** --systemd-cgroup: the transient unit systemd made for the container, and whose manager (system, or the user's). */
  cgroupUnit?: CgroupUnit;
}

export interface CgroupUnit {
  /** "docker-abc.scope" */
  name: string;
  /** "system.slice" */
  slice: string;
  bus: 'system' | 'user';
}

/** The state object `tsrun state` prints (runtime-spec state + runc's extra fields). */
export interface StateObject {
  ociVersion: string;
  id: string;
  pid: number;
  status: ContainerStatus;
  bundle: string;
  rootfs: string;
  created: string;
  annotations?: Record<string, string>;
  owner: string;
}
