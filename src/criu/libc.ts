// The few libc calls that talking to criu needs and Node lacks: a
// SOCK_SEQPACKET socketpair (criu's swrk reads one request per packet),
// recvmsg with SCM_RIGHTS (criu hands over a terminal's master that way),
// sending that fd on to a --console-socket, and the bind mount of the rootfs
// criu restores into. Through koffi, loaded only by checkpoint and restore.
// (Kept beside the criu code, as cgroups/bpf-syscall.ts is beside its own:
// src/sys/ has another owner; this can move there unchanged.)
import { TsrunError } from '../errors.js';
import { errnoName, errnoText } from '../sys/errno.js';

declare const require: (id: string) => unknown;

const AF_UNIX = 1;
const SOCK_STREAM = 1;
const SOCK_SEQPACKET = 5;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
const MSG_CMSG_CLOEXEC = 0x40000000;
const MSG_NOSIGNAL = 0x4000;
const EINTR = 4;
export const MS_BIND = 0x1000;
export const MS_REC = 0x4000;
export const MNT_DETACH = 2;

type Fn = (...args: unknown[]) => number | bigint;
interface Koffi {
  address(value: unknown): bigint;
  load(name: string): { func(decl: string): Fn };
  errno(): number;
}

interface Libc {
  koffi: Koffi;
  socketpair: Fn;
  socket: Fn;
  connect: Fn;
  recvmsg: Fn;
  sendmsg: Fn;
  mount: Fn;
  umount2: Fn;
}

let libc: Libc | undefined;

function lib(): Libc {
  if (!libc) {
    const koffi = require('koffi') as Koffi;
    const c = koffi.load('libc.so.6');
    libc = {
      koffi,
      socketpair: c.func('int socketpair(int domain, int type, int protocol, void *sv)'),
      socket: c.func('int socket(int domain, int type, int protocol)'),
      connect: c.func('int connect(int fd, void *addr, uint32_t len)'),
      recvmsg: c.func('long recvmsg(int fd, void *msg, int flags)'),
      sendmsg: c.func('long sendmsg(int fd, void *msg, int flags)'),
      mount: c.func('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, void *data)'),
      umount2: c.func('int umount2(const char *target, int flags)'),
    };
  }
  return libc;
}

function fail(what: string): never {
  const e = lib().koffi.errno();
  throw new TsrunError(`${what}: ${errnoText(e)}`, { errno: errnoName(e) });
}

/** Retry a call that a signal interrupted. */
function call(what: string, fn: () => number | bigint): number {
  for (;;) {
    const r = Number(fn());
    if (r >= 0) return r;
    if (lib().koffi.errno() !== EINTR) fail(what);
  }
}

const addr = (b: Buffer): bigint => BigInt(lib().koffi.address(b));

/** [ours, theirs], both close-on-exec (the child gets its end by spawn's stdio). */
export function seqpacketPair(): [number, number] {
  const sv = Buffer.alloc(8);
  call('socketpair(AF_UNIX, SOCK_SEQPACKET)', () => lib().socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv));
  return [sv.readInt32LE(0), sv.readInt32LE(4)];
}

/** struct msghdr (64-bit layout) over one iovec and a control buffer; keeps the buffers alive with it. */
function msghdr(data: Buffer, control: Buffer): { msg: Buffer; keep: Buffer[] } {
  const iov = Buffer.alloc(16);
  iov.writeBigUInt64LE(addr(data), 0);
  iov.writeBigUInt64LE(BigInt(data.length), 8);
  const msg = Buffer.alloc(56);
  msg.writeBigUInt64LE(addr(iov), 16);
  msg.writeBigUInt64LE(1n, 24);
  if (control.length > 0) {
    msg.writeBigUInt64LE(addr(control), 32);
    msg.writeBigUInt64LE(BigInt(control.length), 40);
  }
  return { msg, keep: [iov, data, control] };
}

/** One packet, and the fds that came with it (close-on-exec). Blocks. */
export function recvPacket(fd: number, max = 1 << 20): { data: Buffer; fds: number[] } {
  const data = Buffer.alloc(max);
  const control = Buffer.alloc(64);
  const { msg, keep } = msghdr(data, control);
  const n = call('recvmsg', () => lib().recvmsg(fd, msg, MSG_CMSG_CLOEXEC));
  void keep;
  const fds: number[] = [];
  const clen = Number(msg.readBigUInt64LE(40));
  for (let off = 0; off + 16 <= clen; ) {
    const len = Number(control.readBigUInt64LE(off));
    if (len < 16) break;
    if (control.readInt32LE(off + 8) === SOL_SOCKET && control.readInt32LE(off + 12) === SCM_RIGHTS) {
      for (let p = off + 16; p + 4 <= off + len; p += 4) fds.push(control.readInt32LE(p));
    }
    off += (len + 7) & ~7;
  }
  return { data: data.subarray(0, n), fds };
}

/**
 * Connect to the AF_UNIX stream socket at `path` and send `fd` with `name`
 * as the data, as the executor sends a console (native/exec/sync.c).
 */
export function sendFdToSocket(path: string, fd: number, name: string): void {
  const sun = Buffer.alloc(110);
  sun.writeUInt16LE(AF_UNIX, 0);
  if (Buffer.byteLength(path) > 107) throw new TsrunError(`--console-socket ${path}: path too long for a unix socket`);
  sun.write(path, 2);
  const sock = call('socket(AF_UNIX)', () => lib().socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const { closeSync } = require('node:fs') as typeof import('node:fs');
  try {
    call(`connect to --console-socket ${path}`, () => lib().connect(sock, sun, sun.length));
    const control = Buffer.alloc(24);
    control.writeBigUInt64LE(20n, 0);
    control.writeInt32LE(SOL_SOCKET, 8);
    control.writeInt32LE(SCM_RIGHTS, 12);
    control.writeInt32LE(fd, 16);
    const { msg, keep } = msghdr(Buffer.from(name || '/'), control);
    call(`send the terminal to --console-socket ${path}`, () => lib().sendmsg(sock, msg, MSG_NOSIGNAL));
    void keep;
  } finally {
    closeSync(sock);
  }
}

export function mount(source: string, target: string, flags: number): void {
  call(`mount ${source} on ${target}`, () => lib().mount(source, target, null, flags, null));
}

export function umount(target: string, flags = MNT_DETACH): void {
  call(`umount ${target}`, () => lib().umount2(target, flags));
}

const WNOHANG = 1;
let waitpidFn: Fn | undefined;

/**
 * waitpid(pid, WNOHANG): the wait status once `pid` (our child) has ended,
 * else undefined. Node reaps only the children it spawned, so a restored
 * init (criu makes it our child: rst_sibling) is ours to wait for.
 */
export function waitpidNoHang(pid: number): number | undefined {
  waitpidFn ??= lib().koffi.load('libc.so.6').func('int waitpid(int pid, void *status, int options)');
  const st = Buffer.alloc(4);
  const r = call(`waitpid ${pid}`, () => waitpidFn!(pid, st, WNOHANG));
  return r === 0 ? undefined : st.readInt32LE(0);
}
