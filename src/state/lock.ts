// The per-container lock that serialises kill, delete, start, pause... on one
// id across processes.
//
// Why an abstract unix socket and not a lock file: Node has no flock(2), and
// loading koffi for it costs 9-16 ms on paths (state, kill, start, delete)
// that must stay near Node's own start-up. A lock *file* (O_EXCL, holding the
// owner's pid) needs a stale-lock takeover after a crash, and unlinking a file
// cannot be made conditional: two processes breaking the same stale lock can
// both end up holding it. Binding an abstract socket name is exclusive in the
// kernel, and the name is freed by the kernel when the holder's socket closes,
// including when the holder is SIGKILLed (containerd's shim runs us with
// Pdeathsig=SIGKILL), so there is no stale lock to break.
// libuv opens the socket O_CLOEXEC, so a child we exec never inherits it.
//
// Limits, by design of abstract sockets: the name lives in the caller's
// network namespace, so two tsrun calls in different network namespaces on
// one --root do not exclude each other (engines call the runtime from the host
// namespaces). And any process in that namespace (a container with host
// networking) can see held names in /proc/net/unix and bind one first. So a
// waiter that has waited `verifyAfterMs` looks the holder up; when it is not
// one of ours (not visible in our pid namespace, another uid, or not our
// node), the name is squatted: we go ahead without the lock, with a warning,
// as runc 1.1 always does, rather than let a container block `delete`.
import { type Stats, readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { TsrunError } from '../errors.js';
import { log } from '../log.js';
import { validateId } from './id.js';
import { rootPath } from './paths.js';
import { ensureRoot } from './store.js';

interface PipeHandle {
  bind(name: string): number;
  close(): void;
}
interface PipeWrap {
  Pipe: new (type: number) => PipeHandle;
  constants: { SERVER: number };
}

const EADDRINUSE = 98;

export interface ContainerLock {
  /** The abstract socket name held (without the leading NUL). */
  readonly name: string;
  /** True when the name was held by a process that is not tsrun, and we went ahead unlocked. */
  readonly squatted?: boolean;
  /** Give the lock up; safe to call more than once. Process exit releases it too. */
  release(): void;
}

export interface LockOptions {
  /** How long to wait for another holder, in ms. Default 30 s; 0 = try once. */
  timeoutMs?: number;
  /** After this long waiting, check that the holder is tsrun at all. Default 2 s. */
  verifyAfterMs?: number;
}

let pipeWrap: PipeWrap | undefined;

function pipe(): PipeWrap {
  // process.binding('pipe_wrap') gives libuv's pipe with a *synchronous* bind
  // (0.1 ms); net.Server would add ~3 ms and an async round trip per call.
  // It is on Node's allow-list for process.binding in Node 20 and later.
  if (!pipeWrap) {
    const binding = (process as unknown as { binding(name: string): unknown }).binding;
    pipeWrap = binding.call(process, 'pipe_wrap') as PipeWrap;
  }
  return pipeWrap;
}

/** FNV-1a, 64 bits, as hex: spreads long ids; node:crypto would cost 2.5-4 ms to load. */
function fnv1a64(text: string): string {
  let h = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(text)) {
    h ^= BigInt(byte);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, '0');
}

/** Longest abstract name: sun_path is 108 bytes, the first is the NUL. */
const MAX_NAME = 107;

/**
 * The abstract socket name that stands for container `id` under `root`:
 * the root directory's device and inode (so every spelling of one root is
 * one lock) and the id, shortened with a hash when it would not fit.
 */
export function lockName(root: string, id: string): string {
  const prefix = `tsrun-lock/${rootIdentity(root)}/`;
  const name = prefix + id;
  if (Buffer.byteLength(name) <= MAX_NAME) return name;
  // Ids are ASCII, so slicing by characters is slicing by bytes.
  const hash = fnv1a64(id);
  return prefix + id.slice(0, MAX_NAME - prefix.length - hash.length - 1) + '~' + hash;
}

/**
 * "<dev>:<ino>" of --root in hex, made if missing. One plain stat on the hot
 * path: the mkdir (EEXIST, then a stat) only when it is missing, and BigInt
 * stats (slower to set up) only for an inode number past 2^53, so the name is
 * exact either way.
 */
function rootIdentity(root: string): string {
  const abs = rootPath(root);
  let st: Stats;
  try {
    st = statSync(abs);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    ensureRoot(root);
    st = statSync(abs);
  }
  if (Number.isSafeInteger(st.ino) && Number.isSafeInteger(st.dev)) return `${st.dev.toString(16)}:${st.ino.toString(16)}`;
  const big = statSync(abs, { bigint: true });
  return `${big.dev.toString(16)}:${big.ino.toString(16)}`;
}

/** Try once; null when someone else holds it. */
export function tryLockContainer(root: string, id: string): ContainerLock | null {
  validateId(id);
  const name = lockName(root, id);
  const { Pipe, constants } = pipe();
  const handle = new Pipe(constants.SERVER);
  const rc = handle.bind('\0' + name);
  if (rc === 0) {
    let held = true;
    return {
      name,
      release() {
        if (!held) return;
        held = false;
        handle.close();
      },
    };
  }
  handle.close();
  if (rc === -EADDRINUSE) return null;
  throw new TsrunError(`cannot take the lock of container ${id}: bind error ${rc}`);
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Inode of the unix socket bound to abstract `name`, from /proc/net/unix; null when none is. */
export function abstractSocketInode(name: string, table?: string): number | null {
  let text = table;
  if (text === undefined) {
    try {
      text = readFileSync('/proc/net/unix', 'utf8');
    } catch {
      return null;
    }
  }
  const want = '@' + name;
  for (const line of text.split('\n')) {
    // Num RefCount Protocol Flags Type St Inode Path; NULs in a path print as '@'.
    const f = line.trim().split(/\s+/);
    const path = f[7];
    // Node 20's libuv binds the whole sun_path (the name padded with NULs to
    // 107 bytes), so the kernel's name is ours followed by '@'s.
    if (path !== undefined && path.startsWith(want) && /^@*$/.test(path.slice(want.length))) return Number(f[6]);
  }
  return null;
}

/** Pids (in our pid namespace) with an fd on socket `inode`. Reads every /proc/<pid>/fd: call rarely. */
function socketHolders(inode: number): number[] {
  const target = `socket:[${inode}]`;
  const pids: number[] = [];
  let procs: string[] = [];
  try {
    procs = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return pids;
  }
  for (const pid of procs) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === target) {
          pids.push(Number(pid));
          break;
        }
      } catch {
        /* closed meanwhile */
      }
    }
  }
  return pids;
}

/** True when `pid` runs our node binary under our uid: a tsrun call (or a test of ours). */
function isOurs(pid: number): boolean {
  try {
    if (statSync(`/proc/${pid}`).uid !== process.geteuid?.()) return false;
    return readlinkSync(`/proc/${pid}/exe`) === process.execPath;
  } catch {
    return false;
  }
}

/**
 * Whether the lock `name` is held by something other than tsrun. Unknown
 * (the holder went away meanwhile) counts as not squatted: just retry.
 */
export function lockSquatted(name: string): boolean {
  const inode = abstractSocketInode(name);
  if (inode === null) return false;
  const holders = socketHolders(inode);
  // Not visible from here: a process in another pid namespace, i.e. not a tsrun call of this host.
  if (holders.length === 0) return abstractSocketInode(name) === inode;
  return !holders.some(isOurs);
}

/**
 * Take the lock of container `id`, waiting (synchronously: a CLI call has
 * nothing else to do) while another tsrun process holds it.
 */
export function lockContainer(root: string, id: string, opts: LockOptions = {}): ContainerLock {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const verifyAfterMs = opts.verifyAfterMs ?? 2_000;
  const started = Date.now();
  const deadline = started + timeoutMs;
  let verified = false;
  let delay = 1;
  for (;;) {
    const lock = tryLockContainer(root, id);
    if (lock) return lock;
    if (!verified && Date.now() - started >= verifyAfterMs) {
      verified = true;
      const name = lockName(root, id);
      if (lockSquatted(name)) {
        log.warn(`the lock of container ${id} (@${name}) is held by a process that is not tsrun: going on without it`);
        return { name, squatted: true, release() {} };
      }
    }
    if (Date.now() >= deadline) {
      throw new TsrunError(`container ${id} is locked by another operation (waited ${timeoutMs} ms)`);
    }
    sleepMs(Math.min(delay, Math.max(1, deadline - Date.now())));
    delay = Math.min(delay * 2, 25);
  }
}

/** Run `fn` holding the lock of `id`; the lock is released however `fn` ends. */
export async function withContainerLock<T>(root: string, id: string, fn: () => T | Promise<T>, opts?: LockOptions): Promise<T> {
  const lock = lockContainer(root, id, opts);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}
