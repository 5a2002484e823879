// The one interface every cgroup implementation (v1, v2, and the hybrid of
// both) provides. See index.ts for how to get one.
import type { LinuxResources } from '../spec/types.js';
import type { LayoutKind } from './layout.js';
import type { CgroupStats } from './stats.js';
import type { DeviceRule } from './devices/rules.js';
import type { SystemdUnit } from './systemd/unit.js';

export type FreezerState = 'THAWED' | 'FREEZING' | 'FROZEN';

/**
 * What set() applies: the spec's linux.resources, plus the device rule list
 * already completed with the defaults (containerDeviceRules()). When
 * `deviceRules` is absent, `devices` from the resources are used as given,
 * and when both are absent device access is left untouched.
 */
export interface CgroupResources extends LinuxResources {
  deviceRules?: DeviceRule[];
}

/** subsystem -> absolute cgroup directory; the cgroup2 directory is keyed "unified". */
export type CgroupPaths = Record<string, string>;

export interface CgroupManager {
  readonly kind: LayoutKind;
  /**
   * Make the cgroup directories (every hierarchy), then apply `resources`,
   * all before any process enters. Directories it made are removed again if
   * applying fails. Joining an existing cgroup is allowed.
   */
  create(resources?: CgroupResources): void;
  /**
   * create() in two steps, so that a process can join between them: first
   * the directories and what joining needs (v1 cpuset's cpus and mems, v2's
   * controllers), and the device rules: the init makes its device nodes
   * while the other limits are written, and must not meet the deny-all
   * moment of a device list being written. It returns the directories it
   * made (removed again if it fails). Then `apply` writes the other limits
   * and refuses a frozen cgroup, removing those directories if it fails.
   * create's user waits for both before the process may do anything the
   * limits are for.
   */
  prepare(resources?: CgroupResources): string[];
  apply(resources: CgroupResources, made: string[]): void;
  /** Move a process into the cgroup in every hierarchy. */
  addPid(pid: number): void;
  /** The cgroup.procs files addPid writes: the executor writes the init's pid into them itself. */
  procsFiles(): string[];
  /** Apply or update limits; a refused value throws a TsrunError naming the config field and the file. */
  set(resources: CgroupResources): void;
  /** Every pid in the cgroup and in the cgroups below it. */
  pids(): number[];
  /** Usage statistics, shaped like runc's events (see stats.ts eventData()). */
  stats(): CgroupStats;
  /** Freeze every process and wait until the kernel reports the cgroup frozen. */
  freeze(): void;
  thaw(): void;
  freezerState(): FreezerState;
  /**
   * Signal every process. SIGKILL on cgroup v2 uses cgroup.kill where the
   * kernel has it; otherwise the cgroup is frozen, each pid is signalled, and
   * it is thawed, so no process forks past the loop.
   */
  killAll(signal: number): void;
  /**
   * Remove the directories, deepest first, retrying while the last processes
   * exit (EBUSY), for at most `timeoutMs` (default 5 s).
   */
  destroy(timeoutMs?: number): void;
  /** To store in state.json; fromPaths() reopens the cgroup from it. */
  paths(): CgroupPaths;
  exists(): boolean;
  /** Processes killed by the OOM killer in this cgroup so far. */
  oomKillCount(): number;
  /**
   * The systemd driver: its unit (recorded for later commands), and whether
   * the unit must be started with the init's pid (a scope) by start(),
   * before prepare(): create has the executor announce the pid for it.
   */
  readonly unit?: SystemdUnit;
  readonly needsPid?: boolean;
  start?(pid: number, resources?: CgroupResources): void;
}

/** Poll-wait without spinning the CPU (the CLI is synchronous by design). */
export function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
