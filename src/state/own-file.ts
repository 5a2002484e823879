// Cache files kept under --root (compiled seccomp programs, V8 code caches).
// They are only data to the caller, but data it acts on: a seccomp filter it
// installs, bytecode V8 runs. So one is read only when this euid wrote it and
// nobody else could have (a regular file, ours, not group or world writable,
// never through a symlink, never blocking on a FIFO put there), and written
// whole or not at all (a temp file of our pid, then rename). Best effort
// both ways: a cache that cannot be read or written only costs the work it
// would have saved.
import { closeSync, constants, fstatSync, openSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';

/** The file's bytes, or undefined when it is missing, unreadable or not provably ours. */
export function readOwnFile(path: string): Buffer | undefined {
  let fd = -1;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
    const st = fstatSync(fd);
    if (!st.isFile() || st.uid !== process.geteuid?.() || (st.mode & 0o022) !== 0) return undefined;
    return readFileSync(fd);
  } catch {
    return undefined;
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

/** Replace `path` with `data` (mode 0600) in one rename, or leave it as it was. */
export function writeOwnFile(path: string, data: Uint8Array): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, data, { mode: 0o600 });
    renameSync(tmp, path);
  } catch {
    try {
      unlinkSync(tmp);
    } catch {
      /* never made: --root does not exist yet */
    }
  }
}
