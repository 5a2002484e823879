// `exec --cgroup`: the exec'd process goes into an existing sub-cgroup of the
// container instead of the container's own cgroup (runc semantics).
//   --cgroup PATH              PATH under the container's cgroup, every hierarchy
//   --cgroup CTRL[,CTRL]:PATH  PATH for these cgroup v1 controllers only
// Several flags may be given; hierarchies not named keep the container's
// cgroup. PATH is relative to the container's cgroup and must already exist:
// exec never creates cgroups.
import { statSync } from 'node:fs';
import { posix } from 'node:path';
import { TsrunError } from '../errors.js';

const bad = (text: string) => new TsrunError(text, { exitCode: 255 });

function subPath(arg: string, path: string): string {
  const rel = posix.normalize(path.replace(/^\/+/, ''));
  if (path === '' || rel === '.' || rel === '..' || rel.startsWith('../')) throw bad(`invalid --cgroup argument: ${arg}: ${path} is not a sub cgroup path`);
  return rel;
}

/**
 * The cgroup directories the exec'd process joins: `paths` (the container's,
 * controller -> directory) with the --cgroup arguments applied.
 */
export function execCgroupPaths(paths: Record<string, string>, args: string[]): Record<string, string> {
  const out = { ...paths };
  const v2Only = Object.keys(paths).every((k) => k === 'unified' || k === '');
  const seen = new Set<string>();
  let all: string | undefined;
  for (const arg of args) {
    const colon = arg.indexOf(':');
    if (colon < 0) {
      if (all !== undefined) throw bad(`duplicate --cgroup argument: ${arg} (only one path for every controller)`);
      all = subPath(arg, arg);
      continue;
    }
    if (v2Only) throw bad(`invalid --cgroup argument: ${arg} (controller:path is for cgroup v1; on cgroup v2 give the path alone)`);
    const rel = subPath(arg, arg.slice(colon + 1));
    const ctrls = arg.slice(0, colon).split(',');
    for (const c of ctrls) {
      if (c === '') throw bad(`invalid --cgroup argument: ${arg}`);
      if (seen.has(c)) throw bad(`duplicate --cgroup argument for controller ${c}`);
      seen.add(c);
      const base = paths[c];
      if (base === undefined) throw bad(`invalid --cgroup argument: ${arg} (the container has no ${c} cgroup)`);
      out[c] = posix.join(base, rel);
    }
  }
  if (all !== undefined) {
    for (const [c, base] of Object.entries(paths)) if (!seen.has(c)) out[c] = posix.join(base, all);
  }
  for (const [c, dir] of Object.entries(out)) {
    if (dir === paths[c]) continue;
    let isDir = false;
    try {
      isDir = statSync(dir).isDirectory();
    } catch {
      /* missing */
    }
    if (!isDir) throw bad(`exec --cgroup: the sub-cgroup ${dir} (${c === '' ? 'unified' : c}) does not exist`);
  }
  return out;
}
