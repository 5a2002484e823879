// Reading and writing cgroup control files. Every write names the config
// field it came from, so a value the kernel refuses (EINVAL, ERANGE, EBUSY)
// reaches the user as "linux.resources.cpu.cpus" plus the file, not as a bare
// errno from some path under /sys/fs/cgroup.
import { closeSync, constants, existsSync, openSync, readFileSync, readdirSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { TsrunError } from '../errors.js';

/** JSON pointer -> the dotted name people write: /linux/resources/cpu/cpus -> linux.resources.cpu.cpus */
export function dottedField(pointer: string): string {
  return pointer
    .split('/')
    .filter(Boolean)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}

/** Escape one JSON-pointer segment (a unified key may hold "/" or "~"). */
export function pointerSegment(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

const errnoText: Record<string, string> = {
  EINVAL: 'invalid argument',
  ERANGE: 'numerical result out of range',
  EBUSY: 'device or resource busy',
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on device',
  EOPNOTSUPP: 'operation not supported',
  ENOTSUP: 'operation not supported',
  ENODEV: 'no such device',
};

export function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * Write `value` to `dir/file`. A failure becomes a TsrunError naming the
 * config field (JSON pointer in `field`, dotted name in the text) and the file.
 */
export function writeCg(dir: string, file: string, value: string, field?: string, open?: OpenCgFiles): void {
  const path = join(dir, file);
  observer?.(path, value);
  if (journal && !journal.has(path)) journal.set(path, tryReadCg(dir, file));
  try {
    // No O_CREAT: a missing control file is an error, never a new regular file.
    const fd = open ? open.fd(path) : openSync(path, constants.O_WRONLY | constants.O_TRUNC);
    try {
      // One write(2): the kernel parses each write of a control file on its own.
      writeSync(fd, value);
    } finally {
      if (!open) closeSync(fd);
    }
  } catch (err) {
    const code = errnoOf(err);
    const why = (code && errnoText[code]) ?? (err as Error).message;
    const what = field ? `${dottedField(field)} ${JSON.stringify(value)}` : JSON.stringify(value);
    throw new TsrunError(`cannot apply ${what}: write ${path}: ${why}`, { field, errno: code, cause: err });
  }
}

/**
 * Control files kept open across writes: a devices list is a dozen rules,
 * each its own write(2), and an open + close per rule doubled its cost.
 */
export class OpenCgFiles {
  private readonly fds = new Map<string, number>();
  fd(path: string): number {
    let fd = this.fds.get(path);
    if (fd === undefined) {
      fd = openSync(path, constants.O_WRONLY | constants.O_TRUNC);
      this.fds.set(path, fd);
    }
    return fd;
  }
  close(): void {
    for (const fd of this.fds.values()) closeSync(fd);
    this.fds.clear();
  }
}

let observer: ((path: string, value: string) => void) | undefined;
let journal: Map<string, string | undefined> | undefined;

/**
 * Run `fn`; if it throws, write back the previous content of every control
 * file it wrote, the last written first (so memory and memory+swap limits
 * go back in an order the kernel accepts), then rethrow. Used by update,
 * which must leave the old limits in place when a new value is refused.
 */
export function withRollback<T>(fn: () => T): T {
  const outer = journal;
  const mine = new Map<string, string | undefined>();
  journal = mine;
  try {
    return fn();
  } catch (err) {
    journal = undefined;
    for (const [path, old] of [...mine.entries()].reverse()) {
      if (old === undefined) continue;
      // A file may hold several lines (io.max); each goes back on its own write.
      for (const line of old.split('\n').filter((l) => l.trim() !== '')) {
        try {
          const fd = openSync(path, constants.O_WRONLY | constants.O_TRUNC);
          try {
            writeSync(fd, line);
          } finally {
            closeSync(fd);
          }
        } catch {
          /* best effort: the original error is what the user needs */
        }
      }
    }
    throw err;
  } finally {
    journal = outer;
  }
}

/** Tests: see every write, in order (the fake tree keeps only the last value of a file). */
export function traceWrites(fn: ((path: string, value: string) => void) | undefined): void {
  observer = fn;
}

export function readCg(dir: string, file: string): string {
  return readFileSync(join(dir, file), 'utf8');
}

/** The file's content, or undefined when it does not exist (a controller the kernel lacks). */
export function tryReadCg(dir: string, file: string): string | undefined {
  try {
    return readFileSync(join(dir, file), 'utf8');
  } catch {
    return undefined;
  }
}

export function hasFile(dir: string, file: string): boolean {
  return existsSync(join(dir, file));
}

/** A single unsigned number ("max" reads as Infinity). */
export function readNumber(dir: string, file: string): number | undefined {
  const s = tryReadCg(dir, file)?.trim();
  if (s === undefined || s === '') return undefined;
  if (s === 'max') return Infinity;
  const n = Number(s);
  return Number.isFinite(n) ? n : undefined;
}

/** "key value" lines (memory.stat, cpu.stat, memory.events, memory.oom_control). */
export function readKeyValues(dir: string, file: string): Map<string, number> {
  const out = new Map<string, number>();
  const text = tryReadCg(dir, file);
  if (!text) return out;
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^-?\d+$/.test(v)) out.set(k, Number(v));
  }
  return out;
}

/** The pids listed in dir/cgroup.procs. */
export function readProcs(dir: string): number[] {
  const text = tryReadCg(dir, 'cgroup.procs') ?? '';
  return text
    .split('\n')
    .filter(Boolean)
    .map((s) => Number(s));
}

/** dir and every cgroup below it, parents first. */
export function walkCgroups(dir: string): string[] {
  const out: string[] = [];
  const visit = (d: string) => {
    out.push(d);
    let entries: string[];
    try {
      entries = readdirSync(d);
    } catch {
      return;
    }
    for (const e of entries) {
      const p = join(d, e);
      try {
        if (statSync(p).isDirectory()) visit(p);
      } catch {
        /* removed while walking */
      }
    }
  };
  visit(dir);
  return out;
}

/** Integer text for a JSON number, never in exponent form (int64 values near 2^63). */
export function intText(n: number): string {
  return Number.isInteger(n) ? BigInt(n).toString() : String(Math.trunc(n));
}
