// The state directories under --root and the record in each. Every write is
// atomic (a fresh directory, or a temp file renamed over state.json), so a
// reader never sees half a record and two creates of one id cannot both win.
// Files are made, read and removed through directory fds (safe-fs.ts): a
// state dir that is a link, or a planted temp name, is never written or
// emptied through.
import { chmodSync, readdirSync } from 'node:fs';
import { RuncText, TsrunError } from '../errors.js';
import { isValidId, validateId } from './id.js';
import { CGROUP_FILE, STATE_FILE, containerDir, rootPath } from './paths.js';
import { Dir, errnoOf, fsError, makeDirs, readRegular } from './safe-fs.js';
import type { CgroupUnit, ContainerRecord } from './types.js';

/** A record holds the whole config (config.json is capped at 16 MiB: spec/json-limits.ts). */
export const MAX_RECORD = 32 << 20;

/** A record that is there but cannot be used (unreadable, not ours, damaged): `delete --force` still removes what it can find. */
export class UnreadableRecord extends TsrunError {}

/** Create --root if missing: 0700, like runc, since it names every container. */
export function ensureRoot(root: string): string {
  const abs = rootPath(root);
  makeDirs(abs, 0o700);
  // XDG's base-dir spec: files under $XDG_RUNTIME_DIR not touched for 6 hours
  // may be cleaned away unless sticky; runc marks its root so, and so do we
  const xdg = process.env.XDG_RUNTIME_DIR;
  if (xdg && abs === rootPath(`${xdg}/tsrun`)) chmodSync(abs, 0o1700);
  return abs;
}

/**
 * --root, opened and checked: ours and closed to others, or a name planted
 * in it could be taken for a container's state (made if missing).
 */
function openRoot(root: string): Dir {
  const abs = rootPath(root);
  for (let made = false; ; made = true) {
    try {
      return Dir.open(abs, { owned: true, follow: true });
    } catch (err) {
      if (errnoOf(err) === 'ENOENT' && !made) {
        ensureRoot(root);
        continue;
      }
      if (err instanceof TsrunError) throw new TsrunError(`--root ${err.message}`, { errno: err.errno });
      throw fsError(err, 'cannot open --root', abs);
    }
  }
}

/**
 * Make the state directory of a new container and return its path. The
 * mkdir of the final directory is the claim on the id: of two concurrent
 * creates exactly one gets it, the other gets `container with given ID
 * already exists`.
 */
export function createContainerDir(root: string, id: string): string {
  validateId(id);
  const dir = containerDir(root, id);
  const r = openRoot(root);
  try {
    // 0711 as runc: others may traverse to the fifo but not list the dir.
    r.mkdir(id, 0o711);
    return dir;
  } catch (err) {
    if (errnoOf(err) === 'EEXIST') throw new TsrunError(RuncText.exists);
    throw fsError(err, 'cannot create state directory', dir);
  } finally {
    r.close();
  }
}

/** Replace `<dir>/state.json` atomically (temp file in the same dir + rename). */
export function writeRecord(dir: string, record: ContainerRecord): void {
  let d: Dir | undefined;
  try {
    d = Dir.open(dir, { owned: true });
    d.replace(STATE_FILE, JSON.stringify(record), 0o600);
  } catch (err) {
    if (err instanceof TsrunError) throw new TsrunError(`cannot write container state: ${err.message}`, { errno: err.errno });
    throw new TsrunError(`cannot write container state: ${fsError(err, 'write', `${dir}/${STATE_FILE}`).message}`, { errno: errnoOf(err), cause: err });
  } finally {
    d?.close();
  }
}

/**
 * Record the cgroup of a new container beside its (future) state.json: see
 * readCgroupPaths. The paths alone, or with a systemd unit
 * {"paths": {...}, "unit": {...}}.
 */
export function writeCgroupPaths(dir: string, paths: Record<string, string>, unit?: CgroupUnit): void {
  let d: Dir | undefined;
  try {
    d = Dir.open(dir, { owned: true });
    d.create(CGROUP_FILE, JSON.stringify(unit ? { paths, unit } : paths), 0o600);
  } catch (err) {
    if (err instanceof TsrunError) throw err;
    throw fsError(err, 'cannot write', `${dir}/${CGROUP_FILE}`);
  } finally {
    d?.close();
  }
}

/** The cgroup paths create recorded beside the state, or undefined (none, or not a map of absolute paths). */
export function readCgroupPaths(root: string, id: string): Record<string, string> | undefined {
  return readCgroupRecord(root, id)?.paths;
}

/** The cgroup create recorded beside the state: its paths and its systemd unit, if any. */
export function readCgroupRecord(root: string, id: string): { paths: Record<string, string>; unit?: CgroupUnit } | undefined {
  validateId(id);
  let d: Dir | undefined;
  try {
    d = Dir.open(containerDir(root, id), { owned: true });
    const value = JSON.parse(readRegular(d.at(CGROUP_FILE), 1 << 16, CGROUP_FILE, { owned: true }).toString('utf8')) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const v = value as Record<string, unknown>;
    const withUnit = 'unit' in v && 'paths' in v;
    const paths = (withUnit ? v.paths : v) as Record<string, unknown>;
    if (typeof paths !== 'object' || paths === null) return undefined;
    if (!Object.values(paths).every((p) => typeof p === 'string' && p.startsWith('/'))) return undefined;
    return { paths: paths as Record<string, string>, unit: withUnit ? cgroupUnitOf(v.unit) : undefined };
  } catch {
    return undefined;
  } finally {
    d?.close();
  }
}

function cgroupUnitOf(v: unknown): CgroupUnit | undefined {
  const u = v as Partial<CgroupUnit> | null;
  if (!u || typeof u !== 'object' || typeof u.name !== 'string' || typeof u.slice !== 'string') return undefined;
  if (u.bus !== 'system' && u.bus !== 'user') return undefined;
  return { name: u.name, slice: u.slice, bus: u.bus };
}

/** Parse a record; null when the file is not one of ours. */
export function parseRecord(text: string): ContainerRecord | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const r = value as Partial<ContainerRecord>;
  if (typeof r.id !== 'string' || typeof r.pid !== 'number' || typeof r.bundle !== 'string') return null;
  return {
    ociVersion: typeof r.ociVersion === 'string' ? r.ociVersion : '',
    id: r.id,
    pid: r.pid,
    pidStartTime: typeof r.pidStartTime === 'number' ? r.pidStartTime : 0,
    bundle: r.bundle,
    rootfs: typeof r.rootfs === 'string' ? r.rootfs : '',
    created: typeof r.created === 'string' ? r.created : '',
    annotations: r.annotations && typeof r.annotations === 'object' ? r.annotations : {},
    owner: typeof r.owner === 'number' ? r.owner : 0,
    config: r.config && typeof r.config === 'object' ? r.config : {},
    cgroupPaths: r.cgroupPaths && typeof r.cgroupPaths === 'object' ? r.cgroupPaths : {},
    ...(r.cgroupUnit ? { cgroupUnit: cgroupUnitOf(r.cgroupUnit) } : {}),
  };
}

/**
 * The record of container `id`. A missing directory or state.json (also an
 * id too long to be a file name, or a state dir that is a link: runc never
 * makes one) is `container does not exist`; an unreadable, foreign or
 * corrupt record is a different error, so it is never mistaken for gone.
 */
export function readRecord(root: string, id: string): ContainerRecord {
  validateId(id);
  const dir = containerDir(root, id);
  const file = `${dir}/${STATE_FILE}`;
  let text: string;
  let d: Dir | undefined;
  try {
    // the file's owner is checked, not the dir's (an fstat less on every
    // command): another user cannot make a file of ours appear in a dir of theirs
    d = Dir.open(dir);
    text = readRegular(d.at(STATE_FILE), MAX_RECORD, file, { owned: true }).toString('utf8');
  } catch (err) {
    if (err instanceof TsrunError) throw new UnreadableRecord(`cannot read container state ${err.message}`, { errno: err.errno });
    const code = errnoOf(err);
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG' || code === 'ELOOP') throw new TsrunError(RuncText.notExist);
    throw new UnreadableRecord(`cannot read container state ${file}: ${(err as Error).message}`, { errno: code, cause: err });
  } finally {
    d?.close();
  }
  const record = parseRecord(text);
  if (!record) throw new UnreadableRecord(`corrupt container state ${file}`);
  return record;
}

/**
 * Remove the state directory of `id` and everything in it; no error if it is
 * gone. Through directory fds (safe-fs.ts): when <root>/<id> is a link, only
 * the link goes, never the files of the directory it names.
 */
export function removeContainerDir(root: string, id: string): void {
  validateId(id);
  let r: Dir;
  try {
    r = Dir.open(rootPath(root), { follow: true });
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return;
    throw fsError(err, 'cannot open --root', rootPath(root));
  }
  try {
    r.removeTree(id);
  } catch (err) {
    throw fsError(err, 'cannot remove container state', containerDir(root, id));
  } finally {
    r.close();
  }
}

/**
 * Ids of the containers under --root, sorted (runc lists in directory order,
 * which on tmpfs is creation order reversed; sorted is stable for callers).
 * A missing root is an empty list. Entries that are not directories or not
 * valid ids (our temp files, strays) are skipped.
 */
export function listIds(root: string): string[] {
  let entries;
  try {
    entries = readdirSync(rootPath(root), { withFileTypes: true });
  } catch (err) {
    if (errnoOf(err) === 'ENOENT' || errnoOf(err) === 'ENOTDIR') return [];
    throw new TsrunError(`cannot list ${rootPath(root)}: ${(err as Error).message}`, { errno: errnoOf(err), cause: err });
  }
  return entries
    .filter((e) => e.isDirectory() && isValidId(e.name))
    .map((e) => e.name)
    .sort();
}
