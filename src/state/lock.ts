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
// namespaces); and a process sharing that namespace could bind the name first
// (it is a hash of the root's device/inode and the id), which makes our
// operations wait and then fail with a clear error rather than run unlocked.
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { TsrunError } from '../errors.js';
import { validateId } from './id.js';
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
  /** Give the lock up; safe to call more than once. Process exit releases it too. */
  release(): void;
}

export interface LockOptions {
  /** How long to wait for another holder, in ms. Default 30 s; 0 = try once. */
  timeoutMs?: number;
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

/** The abstract socket name that stands for container `id` under `root`. */
export function lockName(root: string, id: string): string {
  const abs = ensureRoot(root);
  const st = statSync(abs, { bigint: true });
  const digest = createHash('sha256').update(`${st.dev}:${st.ino}:${id}`).digest('hex').slice(0, 40);
  return `tsrun-lock/${digest}`;
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

/**
 * Take the lock of container `id`, waiting (synchronously: a CLI call has
 * nothing else to do) while another tsrun process holds it.
 */
export function lockContainer(root: string, id: string, opts: LockOptions = {}): ContainerLock {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let delay = 1;
  for (;;) {
    const lock = tryLockContainer(root, id);
    if (lock) return lock;
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
