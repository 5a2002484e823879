// Removing the run's cgroup parent from every hierarchy, deepest first.
import { readdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { cgroupMounts } from './host.mjs';

function removeTree(dir) {
  let entries = [];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const left = [];
  for (const e of entries) if (e.isDirectory()) left.push(...removeTree(join(dir, e.name)));
  try {
    rmdirSync(dir);
  } catch (err) {
    left.push(`${dir}: ${err.code}`);
  }
  return left;
}

/** @param {string} parent absolute cgroup path, e.g. /tsrun-conformance-123 @returns {string[]} what could not be removed */
export function removeCgroupParent(parent) {
  const left = [];
  for (const m of cgroupMounts()) {
    const dir = join(m.point, parent);
    try {
      statSync(dir);
    } catch {
      continue;
    }
    left.push(...removeTree(dir));
  }
  return left;
}
