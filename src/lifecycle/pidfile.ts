// --pid-file: decimal host pid, no newline, written atomically (tmp + rename)
// through the directory's fd (state/safe-fs.ts): the directory is often one
// the container can write (a path in its rootfs), so the temp file is made
// O_EXCL|O_NOFOLLOW, as runc's is, and a planted link is never written through.
import { basename, dirname, resolve } from 'node:path';
import { TsrunError } from '../errors.js';
import { Dir, fsError } from '../state/safe-fs.js';

/** Returns the absolute path written (for removePidFile). */
export function writePidFile(path: string, pid: number): string {
  const abs = resolve(path);
  const name = basename(abs);
  let dir: Dir | undefined;
  try {
    dir = Dir.open(dirname(abs), { follow: true });
    dir.replace(name, String(pid), 0o644);
    return abs;
  } catch (err) {
    if (err instanceof TsrunError) throw err;
    // runc's wording: the open of its temp file is what fails
    throw fsError(err, 'open', `${dirname(abs)}/.${name}.${process.pid}.tmp`);
  } finally {
    dir?.close();
  }
}

/** Undo writePidFile for a create that failed after it. */
export function removePidFile(abs: string): void {
  let dir: Dir | undefined;
  try {
    dir = Dir.open(dirname(abs), { follow: true });
    dir.remove(basename(abs));
  } catch {
    /* gone already; the create's own error is the one to report */
  } finally {
    dir?.close();
  }
}
