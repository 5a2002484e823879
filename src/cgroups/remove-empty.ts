// The first step of removing a container's cgroups, on delete's hot path.
import { rmdirSync } from 'node:fs';
import type { CgroupPaths } from './manager.js';

/**
 * One rmdir per directory: an empty cgroup (no process, no child cgroup: the
 * usual stopped container) goes at once, with no freeze, walk or stat. The
 * ones still there (EBUSY, ...) come back for the full kill and removal.
 * (A path, not a directory fd: cgroupfs holds directories and kernel files
 * only, nobody can plant a link there.)
 */
export function removeEmptyCgroups(paths: CgroupPaths): CgroupPaths {
  const left: CgroupPaths = {};
  for (const [key, dir] of Object.entries(paths)) {
    try {
      rmdirSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') left[key] = dir;
    }
  }
  return left;
}
