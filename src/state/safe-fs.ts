// The one module that creates and removes files. Everything the runtime
// writes as root lands in a directory someone else may write to (a pid file
// in a container's rootfs, a --root another user can reach), so a path is
// never trusted past the directory it names:
// - the directory is opened once (O_DIRECTORY, its last component not
//   followed) and, where it must be ours, its owner and mode are checked on
//   that fd;
// - every name inside is reached through that fd (/proc/self/fd/N/name: Node
//   has no openat, and koffi costs 9-16 ms to load on create's path), so a
//   directory swapped for a link after the check changes nothing;
// - a file is made O_CREAT|O_EXCL|O_NOFOLLOW (a planted name or link fails
//   with EEXIST, as runc's pid file does) and replaced by a rename inside the
//   directory, which replaces a link rather than following it;
// - a removal unlinks names inside a directory fd and never descends through
//   a link (a state dir that is a link loses the link only);
// - a read takes a regular file only (not a FIFO that blocks, not /dev/zero),
//   up to a cap.
// RULE: no other module in src/ writes, renames or removes a file by path
// (writeFileSync, renameSync, unlinkSync, rmSync, rmdirSync outside cgroupfs,
// mkdirSync outside cgroupfs): test/unit/state/safe-fs-rule.test.ts fails if one does.
import { closeSync, constants, fstatSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmdirSync, unlinkSync, writeSync } from 'node:fs';
import { TsrunError } from '../errors.js';

const { O_RDONLY, O_WRONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_DIRECTORY, O_NONBLOCK, O_APPEND } = constants;

/** Go's texts for the errors a caller may see here (runc's messages carry them). */
const TEXT: Record<string, string> = {
  ENOENT: 'no such file or directory',
  EEXIST: 'file exists',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  ELOOP: 'too many levels of symbolic links',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  ENAMETOOLONG: 'file name too long',
};

export function errnoOf(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** `<op> <path>: <Go's text>`, with the errno name kept: the /proc/self/fd path Node would print means nothing to a user. */
export function fsError(err: unknown, op: string, path: string): TsrunError {
  const code = errnoOf(err);
  return new TsrunError(`${op} ${path}: ${(code && TEXT[code]) ?? (err as Error)?.message ?? String(err)}`, { errno: code, cause: err });
}

function euid(): number {
  return process.geteuid?.() ?? 0;
}

/** A directory held open by fd; names inside are reached through it. */
export class Dir {
  private constructor(
    readonly fd: number,
    /** The path it was opened by, for messages only. */
    readonly path: string,
  ) {}

  /**
   * Open `path` as a directory without following its last component.
   * `owned`: refuse one that another user owns or that group or others may
   * write (a TsrunError): names in it could be planted. Throws fs errors as they are.
   */
  static open(path: string, opts: { owned?: boolean; follow?: boolean } = {}): Dir {
    const fd = openSync(path, O_RDONLY | O_DIRECTORY | (opts.follow ? 0 : O_NOFOLLOW));
    if (opts.owned) {
      const st = fstatSync(fd);
      if (st.uid !== euid() || (st.mode & 0o022) !== 0) {
        closeSync(fd);
        throw new TsrunError(`${path}: not owned by uid ${euid()}, or writable by group or others`, { errno: 'EPERM' });
      }
    }
    return new Dir(fd, path);
  }

  /** A path that reaches `name` through this fd (no link on the way to it is followed). */
  at(name: string): string {
    return `/proc/self/fd/${this.fd}/${name}`;
  }

  /** The subdirectory `name`, not followed if it is a link (ELOOP or ENOTDIR then). */
  sub(name: string, opts: { owned?: boolean } = {}): Dir {
    const d = Dir.open(this.at(name), opts);
    return new Dir(d.fd, `${this.path}/${name}`);
  }

  /** Create `name` (it must not exist, not even as a dangling link) holding `data`. */
  create(name: string, data: string | Uint8Array, mode: number): void {
    const fd = openSync(this.at(name), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode);
    let written = false;
    try {
      const buf = typeof data === 'string' ? Buffer.from(data) : data;
      for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
      written = true;
    } finally {
      closeSync(fd);
      if (!written) this.remove(name);
    }
  }

  /**
   * Replace `name` with `data` in one rename: readers see the old file or the
   * new one. The temp file (`.<name>.<pid>.tmp`) is made O_EXCL, so one
   * planted under that name makes this fail with EEXIST, never writes through it.
   */
  replace(name: string, data: string | Uint8Array, mode: number): void {
    const tmp = `.${name}.${process.pid}.tmp`;
    this.create(tmp, data, mode);
    try {
      renameSync(this.at(tmp), this.at(name));
    } catch (err) {
      this.remove(tmp);
      throw err;
    }
  }

  /** Unlink `name` (a file, a link: never what it points to); false when it was not there. */
  remove(name: string): boolean {
    try {
      unlinkSync(this.at(name));
      return true;
    } catch (err) {
      if (errnoOf(err) === 'ENOENT') return false;
      throw err;
    }
  }

  /**
   * Remove `name` and, when it is a real directory, everything in it, each
   * level through its own fd; a link anywhere is unlinked, never followed.
   * No error when it is gone.
   */
  removeTree(name: string): void {
    let sub: Dir;
    try {
      sub = this.sub(name);
    } catch (err) {
      const code = errnoOf(err);
      if (code === 'ENOENT') return;
      // a link, a file or a FIFO: the name goes, its target stays
      if (code === 'ELOOP' || code === 'ENOTDIR') {
        this.remove(name);
        return;
      }
      throw err;
    }
    try {
      for (const entry of readdirSync(`/proc/self/fd/${sub.fd}`)) {
        try {
          sub.remove(entry);
        } catch (err) {
          if (errnoOf(err) !== 'EISDIR') throw err;
          sub.removeTree(entry);
        }
      }
    } finally {
      sub.close();
    }
    try {
      rmdirSync(this.at(name));
    } catch (err) {
      if (errnoOf(err) !== 'ENOENT') throw err;
    }
  }

  /** Make the subdirectory `name` (EEXIST when anything has that name). */
  mkdir(name: string, mode: number): void {
    mkdirSync(this.at(name), mode);
  }

  /** Remove the empty directory `name` (a link there: ENOTDIR, nothing removed). */
  rmdir(name: string): void {
    rmdirSync(this.at(name));
  }

  /** The names in it. */
  list(): string[] {
    return readdirSync(`/proc/self/fd/${this.fd}`);
  }

  /** The regular file `name` (see readRegular). */
  read(name: string, cap: number, what = `${this.path}/${name}`): Buffer {
    return readRegular(this.at(name), cap, what);
  }

  close(): void {
    closeSync(this.fd);
  }
}

/**
 * The bytes of the regular file at `path`, its last component not followed
 * unless `follow`; up to `cap` bytes, else a TsrunError naming `what` and the
 * cap. Not a FIFO (opened non-blocking, then refused), nor a device: a config
 * that is a link to /dev/zero or a pipe would be read forever. fs errors are
 * thrown as they are (ENOENT for the callers' own messages). `into`: a
 * buffer to read into when the file fits in it (a caller reusing memory it
 * has already touched: each fresh page costs a fault); the result is then a
 * view of it.
 */
export function readRegular(path: string, cap: number, what = path, opts: { follow?: boolean; owned?: boolean; into?: Buffer } = {}): Buffer {
  const fd = openSync(path, O_RDONLY | O_NONBLOCK | (opts.follow ? 0 : O_NOFOLLOW));
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new TsrunError(`${what}: not a regular file`);
    if (opts.owned && (st.uid !== euid() || (st.mode & 0o022) !== 0)) throw new TsrunError(`${what}: not owned by uid ${euid()} or writable by others`);
    if (st.size > cap) throw new TsrunError(`${what}: larger than the limit of ${cap} bytes`);
    // one byte more than the cap: a file that grows after the fstat is caught too
    const size = Math.min(cap + 1, Math.max(st.size + 1, 4096));
    const buf = opts.into && opts.into.length >= size ? opts.into.subarray(0, size) : Buffer.allocUnsafe(size);
    let n = 0;
    for (;;) {
      if (n === buf.length) break;
      const r = readSync(fd, buf, n, buf.length - n, null);
      if (r === 0) break;
      n += r;
    }
    if (n > cap) throw new TsrunError(`${what}: larger than the limit of ${cap} bytes`);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** Up to `cap` bytes from an open fd (a pipe: stdin), else a TsrunError naming `what` and the cap. */
export function readCapped(fd: number, cap: number, what: string): Buffer {
  const buf = Buffer.allocUnsafe(cap + 1);
  let n = 0;
  for (;;) {
    let r: number;
    try {
      r = readSync(fd, buf, n, buf.length - n, null);
    } catch (err) {
      if (errnoOf(err) === 'EAGAIN') {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
        continue;
      }
      throw err;
    }
    if (r === 0) break;
    n += r;
    if (n > cap) throw new TsrunError(`${what}: larger than the limit of ${cap} bytes`);
  }
  return buf.subarray(0, n);
}

/**
 * A file this euid wrote and nobody else could have (regular, ours, not group
 * or world writable, not through a link): caches are data the caller acts on
 * (a seccomp filter it installs, bytecode V8 runs). undefined when missing,
 * unreadable, too big or not provably ours.
 */
export function readOwnFile(path: string, cap = 64 << 20, into?: Buffer): Buffer | undefined {
  try {
    return readRegular(path, cap, path, { owned: true, into });
  } catch {
    return undefined;
  }
}

/**
 * `dir` made (0700) if missing, then opened and checked to be ours and
 * closed to others; undefined when it cannot be. For caches: best effort.
 */
export function openOwnDir(dir: string): Dir | undefined {
  for (let made = false; ; made = true) {
    try {
      return Dir.open(dir, { owned: true });
    } catch (err) {
      if (errnoOf(err) !== 'ENOENT' || made) return undefined;
      try {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
      } catch {
        return undefined;
      }
    }
  }
}

/** Replace `dir/name` with `data` (0600) in one rename, or leave it as it was: a cache write, best effort. */
export function writeOwnFile(dir: string, name: string, data: Uint8Array): void {
  const d = openOwnDir(dir);
  if (!d) return;
  try {
    d.replace(name, data, 0o600);
  } catch {
    /* a full disk, a read-only /var, a planted temp name: only the cache is lost */
  } finally {
    d.close();
  }
}

/** mkdir -p with `mode` for a directory the runtime owns (--root). */
export function makeDirs(path: string, mode: number): void {
  mkdirSync(path, { recursive: true, mode });
}

/**
 * --log: O_APPEND|O_SYNC like runc, created 0644, but a link at its name is
 * refused (ELOOP): the engine names a file of its own there.
 */
export function openLogFile(path: string): number {
  return openSync(path, O_WRONLY | O_CREAT | O_APPEND | constants.O_SYNC | O_NOFOLLOW, 0o644);
}
