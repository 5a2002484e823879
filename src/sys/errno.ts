// errno numbers as the executor reports them -> names and Go-style texts
// (runc's errors read "no such file or directory", callers match on them).

const TEXT: Record<string, string> = {
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  ESRCH: 'no such process',
  EINTR: 'interrupted system call',
  EIO: 'input/output error',
  E2BIG: 'argument list too long',
  ENOEXEC: 'exec format error',
  EBADF: 'bad file descriptor',
  ECHILD: 'no child processes',
  EAGAIN: 'resource temporarily unavailable',
  ENOMEM: 'cannot allocate memory',
  EACCES: 'permission denied',
  EBUSY: 'device or resource busy',
  EEXIST: 'file exists',
  EXDEV: 'invalid cross-device link',
  ENODEV: 'no such device',
  ENOTDIR: 'not a directory',
  EISDIR: 'is a directory',
  EINVAL: 'invalid argument',
  EMFILE: 'too many open files',
  ENOSPC: 'no space left on device',
  EROFS: 'read-only file system',
  EPIPE: 'broken pipe',
  ERANGE: 'numerical result out of range',
  ENAMETOOLONG: 'file name too long',
  ENOSYS: 'function not implemented',
  ELOOP: 'too many levels of symbolic links',
  EPROTO: 'protocol error',
  EMSGSIZE: 'message too long',
  ENXIO: 'no such device or address',
  ETIMEDOUT: 'connection timed out',
  ECONNREFUSED: 'connection refused',
  EOPNOTSUPP: 'operation not supported',
};

declare const require: (id: string) => unknown;

let byNumber: Map<number, string> | undefined;

/** The name of errno n; node:os (which has the table) is loaded on the first failure, not by every create. */
function nameOf(n: number): string | undefined {
  if (!byNumber) {
    byNumber = new Map();
    const { constants } = require('node:os') as typeof import('node:os');
    for (const [name, v] of Object.entries(constants.errno)) if (!byNumber.has(v)) byNumber.set(v, name);
  }
  return byNumber.get(n);
}

export function errnoName(n: number): string {
  return nameOf(n) ?? `errno ${n}`;
}

export function errnoText(n: number): string {
  const name = nameOf(n);
  return (name && TEXT[name]) ?? name ?? `errno ${n}`;
}
