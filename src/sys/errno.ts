// errno numbers as the executor reports them -> names and Go-style texts
// (runc's errors read "no such file or directory", callers match on them).
import { constants } from 'node:os';

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

const byNumber = new Map<number, string>();
for (const [name, n] of Object.entries(constants.errno)) if (!byNumber.has(n)) byNumber.set(n, name);

export function errnoName(n: number): string {
  return byNumber.get(n) ?? `errno ${n}`;
}

export function errnoText(n: number): string {
  const name = byNumber.get(n);
  return (name && TEXT[name]) ?? name ?? `errno ${n}`;
}
