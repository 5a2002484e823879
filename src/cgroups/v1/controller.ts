// What each v1 controller module provides. The manager calls set() for every
// hierarchy that is mounted, in a fixed order, and refuses a resource whose
// controller the host has not mounted (requested() names the config field).
import type { CgroupResources } from '../manager.js';
import type { CgroupStats } from '../stats.js';

export interface V1Controller {
  /** The v1 subsystem name: "memory", "net_cls", ... */
  readonly name: string;
  /** The JSON pointer of the first field this controller would apply, or undefined. */
  requested(r: CgroupResources): string | undefined;
  set(dir: string, r: CgroupResources): void;
  stats?(dir: string, out: CgroupStats): void;
}

/** A number the spec says "unset" with 0 (runc's zero-value convention). */
export const isSet = (v: number | undefined): v is number => v !== undefined && v !== 0;
