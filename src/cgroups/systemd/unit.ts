// Where the systemd driver puts a container, from linux.cgroupsPath
// "slice:prefix:name" (runc's form; docs/design.md "The systemd cgroup driver"):
//   "system.slice:docker:abc"  -> scope docker-abc.scope in system.slice
//   ":docker:abc"              -> the default slice (system.slice; user.slice rootless)
//   "a-b.slice:x:y"            -> x-y.scope in /a.slice/a-b.slice
//   "-.slice:x:y"              -> x-y.scope in the root slice
//   "kubepods.slice:x:pod.slice" -> the slice pod.slice itself (no scope)
//   ""                         -> ":runc:<id>", as runc
// Pure: no bus, no fs.
import { posix } from 'node:path';
import { TsrunError } from '../../errors.js';

const FIELD = '/linux/cgroupsPath';

export interface SystemdPath {
  /** The parent slice as given ("" = the default one). */
  slice: string;
  prefix: string;
  name: string;
}

export interface SystemdUnit {
  /** "docker-abc.scope", or "x.slice" when name ends in .slice. */
  name: string;
  /** The slice it goes in: "system.slice". */
  slice: string;
  /** The manager: system (PID 1) or the user's own (rootless). */
  bus: 'system' | 'user';
}

/** "slice:prefix:name"; a path in another form is an error naming /linux/cgroupsPath. */
export function parseSystemdPath(cgroupsPath: string | undefined, id: string): SystemdPath {
  if (!cgroupsPath) return { slice: '', prefix: 'runc', name: id };
  const parts = cgroupsPath.split(':');
  if (parts.length !== 3) {
    throw new TsrunError(
      `expected cgroupsPath to be of format "slice:prefix:name" for systemd cgroups, got ${JSON.stringify(cgroupsPath)} instead`,
      { field: FIELD },
    );
  }
  const [slice, prefix, name] = parts as [string, string, string];
  if (name === '') throw new TsrunError('the name part of "slice:prefix:name" must not be empty', { field: FIELD });
  if (slice !== '') expandSlice(slice);
  // systemd's unit name rules: what it would refuse is refused here, naming the field
  const unit = unitName({ slice, prefix, name });
  if (!/^[A-Za-z0-9:_.@\\-]+$/.test(unit) || unit.length > 255) {
    throw new TsrunError(`${JSON.stringify(unit)} (from ${JSON.stringify(cgroupsPath)}) is not a valid systemd unit name`, { field: FIELD });
  }
  return { slice, prefix, name };
}

/** "prefix-name.scope", or the name itself when it is a slice. */
export function unitName(p: SystemdPath): string {
  return p.name.endsWith('.slice') ? p.name : `${p.prefix}-${p.name}.scope`;
}

/**
 * A slice's cgroup path below its manager's root: systemd nests slices by
 * the dashes in their names, "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice";
 * "-.slice" is the root.
 */
export function expandSlice(slice: string): string {
  const bad = () => new TsrunError(`${JSON.stringify(slice)} is not a systemd slice name (like "system.slice")`, { field: FIELD });
  if (!slice.endsWith('.slice') || slice.length <= '.slice'.length || slice.includes('/')) throw bad();
  const base = slice.slice(0, -'.slice'.length);
  if (base === '-') return '/';
  let path = '';
  let prefix = '';
  for (const part of base.split('-')) {
    if (part === '') throw bad();
    path += `/${prefix}${part}.slice`;
    prefix += `${part}-`;
  }
  return path;
}

/** The unit and its manager for a container. */
export function systemdUnit(p: SystemdPath, rootless: boolean): SystemdUnit {
  return {
    name: unitName(p),
    slice: p.slice || (rootless ? 'user.slice' : 'system.slice'),
    bus: rootless ? 'user' : 'system',
  };
}

/**
 * The unit's cgroup path below the manager's root cgroup (`managerRoot`: "/"
 * for PID 1, the user manager's ControlGroup rootless). A slice unit sits
 * where its name puts it; a scope in its slice.
 */
export function unitCgroup(unit: SystemdUnit, managerRoot = '/'): string {
  const path = unit.name.endsWith('.slice') ? expandSlice(unit.name) : posix.join(expandSlice(unit.slice), unit.name);
  return posix.join('/', managerRoot, path);
}
