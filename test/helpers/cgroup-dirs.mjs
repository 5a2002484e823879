// Removing a cgroup parent of our own from every hierarchy, shared by the
// test bundles (test/helpers/bundle.ts) and the benchmark (bench/harness.mjs).
// Plain JS so the benchmark can import it without a TypeScript step.
import { existsSync, lstatSync, readdirSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';

const CGROUP_ROOT = '/sys/fs/cgroup';

/** Depth-first rmdir of a cgroup directory; cgroupfs dirs go with rmdir, never rm -r. */
function rmdirTree(dir) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) if (e.isDirectory()) rmdirTree(join(dir, e.name));
  try {
    rmdirSync(dir);
  } catch {
    /* busy (a process still in it) or already gone: leave it for the caller to report */
  }
}

/** Every mounted hierarchy under /sys/fs/cgroup (v1 controllers, the named systemd one, unified; or the one cgroup2 root). */
export function cgroupHierarchies() {
  try {
    if (existsSync(join(CGROUP_ROOT, 'cgroup.controllers'))) return [CGROUP_ROOT]; // pure cgroup2
    return readdirSync(CGROUP_ROOT)
      .map((n) => join(CGROUP_ROOT, n))
      .filter((p) => {
        try {
          // cpu -> cpu,cpuacct and the like are links to hierarchies listed anyway.
          return lstatSync(p).isDirectory();
        } catch {
          return false;
        }
      });
  } catch {
    return [];
  }
}

/** Remove the cgroup parent `name` (one path level, no slashes) and everything below it in every hierarchy. */
export function removeCgroupParent(name) {
  if (!name || name.includes('/') || name.startsWith('.')) throw new Error(`refusing cgroup parent ${name}`);
  for (const h of cgroupHierarchies()) rmdirTree(join(h, name));
}

/** The directories of cgroup `path` ("/parent/name") that exist, in every hierarchy: [] once it is gone everywhere. */
export function cgroupDirsOf(path) {
  return cgroupHierarchies().map((h) => join(h, path)).filter((p) => existsSync(p));
}
