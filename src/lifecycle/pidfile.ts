// --pid-file: decimal host pid, no newline, written atomically (tmp + rename).
import { renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

/** Returns the absolute path written (for removePidFile). */
export function writePidFile(path: string, pid: number): string {
  const abs = resolve(path);
  const tmp = join(dirname(abs), `.${basename(abs)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, String(pid), { mode: 0o644 });
    renameSync(tmp, abs);
    return abs;
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      /* never made */
    }
    throw err;
  }
}

/** Undo writePidFile for a create that failed after it. */
export function removePidFile(abs: string): void {
  try {
    unlinkSync(abs);
  } catch {
    /* gone already */
  }
}
