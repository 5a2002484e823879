// The state directories under --root and the record in each. Every write is
// atomic (a fresh directory, or a temp file renamed over state.json), so a
// reader never sees half a record and two creates of one id cannot both win.
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { RuncText, TsrunError } from '../errors.js';
import { isValidId, validateId } from './id.js';
import { STATE_FILE, containerDir, rootPath } from './paths.js';
import type { ContainerRecord } from './types.js';

function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** Create --root if missing: 0700, like runc, since it names every container. */
export function ensureRoot(root: string): string {
  const abs = rootPath(root);
  mkdirSync(abs, { recursive: true, mode: 0o700 });
  return abs;
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
  // --root usually exists: made only when the mkdir says it is missing
  for (let made = false; ; made = true) {
    try {
      // 0711 as runc: others may traverse to the fifo but not list the dir.
      mkdirSync(dir, 0o711);
      return dir;
    } catch (err) {
      const code = errnoOf(err);
      if (code === 'ENOENT' && !made) {
        ensureRoot(root);
        continue;
      }
      if (code === 'EEXIST') throw new TsrunError(RuncText.exists);
      throw new TsrunError(`cannot create state directory ${dir}: ${(err as Error).message}`, { errno: code, cause: err });
    }
  }
}

/** Replace `<dir>/state.json` atomically (temp file in the same dir + rename). */
export function writeRecord(dir: string, record: ContainerRecord): void {
  const tmp = `${dir}/.${STATE_FILE}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, JSON.stringify(record), { mode: 0o600 });
    renameSync(tmp, `${dir}/${STATE_FILE}`);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      /* nothing was written */
    }
    throw new TsrunError(`cannot write container state: ${(err as Error).message}`, { errno: errnoOf(err), cause: err });
  }
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
  };
}

/**
 * The record of container `id`. A missing directory or state.json (also an
 * id too long to be a file name) is `container does not exist`; an unreadable
 * or corrupt record is a different error, so it is never mistaken for gone.
 */
export function readRecord(root: string, id: string): ContainerRecord {
  validateId(id);
  const file = `${containerDir(root, id)}/${STATE_FILE}`;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = errnoOf(err);
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'ENAMETOOLONG') throw new TsrunError(RuncText.notExist);
    throw new TsrunError(`cannot read container state ${file}: ${(err as Error).message}`, { errno: code, cause: err });
  }
  const record = parseRecord(text);
  if (!record) throw new TsrunError(`corrupt container state ${file}`);
  return record;
}

/**
 * Remove the state directory of `id` and everything in it; no error if it is
 * gone. It holds only files (state.json, exec.fifo while created, a temp file
 * of an interrupted write): one readdir, an unlink each and the rmdir, where
 * rmSync's recursive walk (lstat of each entry, a failed rmdir first, and its
 * own module to load) cost ~1.3 ms of `delete`. Anything unexpected (a
 * subdirectory) goes the recursive way.
 */
export function removeContainerDir(root: string, id: string): void {
  validateId(id);
  const dir = containerDir(root, id);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT') return;
    names = [];
  }
  try {
    for (const name of names) unlinkSync(`${dir}/${name}`);
    rmdirSync(dir);
  } catch (err) {
    if (errnoOf(err) === 'ENOENT' && !existsSync(dir)) return;
    rmSync(dir, { recursive: true, force: true });
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
