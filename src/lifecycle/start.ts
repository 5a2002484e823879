// `start`: only a created container; open the exec fifo write-only and
// non-blocking (ENXIO: the init is gone), write one byte, unlink it, then run
// the poststart hooks.
import { closeSync, constants, openSync, writeSync } from 'node:fs';
import { TsrunError } from '../errors.js';
import type { Container } from '../state/container.js';
import { EXEC_FIFO } from '../state/paths.js';
import { isAlive } from '../state/proc.js';
import { Dir, errnoOf, fsError } from '../state/safe-fs.js';
import type { ContainerStatus } from '../state/types.js';

declare const require: (id: string) => unknown;

export function startRefusal(status: ContainerStatus): string | undefined {
  switch (status) {
    case 'created':
      return undefined;
    case 'stopped':
      return 'cannot start a container that has stopped';
    case 'running':
      return 'cannot start an already running container';
    default:
      return `cannot start a container in the ${status} state`;
  }
}

/**
 * The init holds the fifo's read end until its execve (close-on-exec), so
 * writing more bytes fails with EPIPE once the payload runs (or the init
 * died): poststart hooks then run after the payload started, as the spec
 * wants. Bounded: startContainer hooks may take their time, we don't wait
 * forever.
 */
function waitForExec(fd: number, limitMs = 30_000): void {
  const end = Date.now() + limitMs;
  const one = Buffer.from('0');
  let delay = 0.2;
  while (Date.now() < end) {
    try {
      writeSync(fd, one);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') return;
      if (code !== 'EAGAIN') throw err;
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, delay);
    delay = Math.min(delay * 2, 10);
  }
}

/** Release the init of a created container and wait until it exec'd the payload. */
export function releaseInit(dir: string): void {
  const fifo = `${dir}/${EXEC_FIFO}`;
  let fd: number;
  try {
    fd = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENXIO') throw new TsrunError('cannot start a container that has stopped');
    if (code === 'ENOENT') throw new TsrunError('cannot start an already running container');
    throw new TsrunError(`open exec fifo: ${(err as Error).message}`, { errno: code });
  }
  try {
    writeSync(fd, Buffer.from('0'));
    waitForExec(fd);
  } finally {
    closeSync(fd);
  }
  // Only ENOENT is ignored (a racing start removed it): a fifo left behind
  // would keep `state` saying created while the payload runs.
  let d: Dir | undefined;
  try {
    d = Dir.open(dir);
    d.remove(EXEC_FIFO);
  } catch (err) {
    if (errnoOf(err) !== 'ENOENT') throw fsError(err, 'remove', fifo);
  } finally {
    d?.close();
  }
}

/**
 * Poststart hooks. A failure stops the container and fails `start`, as runc
 * does (the spec only asks for a warning; callers expect runc).
 */
export function poststart(container: Container): void {
  const { config, record } = container;
  const state = container.hookState('running');
  try {
    // hooks.js loads node:child_process (2-3 ms): only when there are hooks to run.
    if (config.hooks?.poststart?.length) {
      const { runHooks } = require('./hooks.js') as typeof import('./hooks.js');
      runHooks('poststart', config.hooks.poststart, state);
    }
  } catch (err) {
    try {
      process.kill(record.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
    for (let i = 0; i < 500 && isAlive(record.pid, record.pidStartTime); i++) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    throw err;
  }
}
