// How a dead executor ended, for a message that says so in words: a create
// whose executor closed the socket without an error frame (killed, crashed,
// or a bug) must not surface as a bare ECONNRESET/EPIPE. bin/tsrun forked
// the executor before it exec'd Node, so it is our child though Node never
// spawned it: its zombie's /proc stat carries the wait status (field 52,
// exit_code, Linux 3.5+) until someone reaps it, which nobody else does.
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';

/** The wait status of a zombie `pid`, or undefined (running, reaped, unreadable). */
function zombieOf(pid: string | number, comm?: string): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const close = stat.lastIndexOf(')');
  if (comm !== undefined && stat.slice(stat.indexOf('(') + 1, close) !== comm) return undefined;
  const rest = stat.slice(close + 2).split(' ');
  // rest[0] is field 3 (state); exit_code is field 52
  if (rest[0] !== 'Z') return undefined;
  const code = Number(rest[49]);
  return Number.isInteger(code) ? code : undefined;
}

/** The wait status of a zombie child named `comm`, or undefined. */
function zombieStatus(comm: string): number | undefined {
  let children: string[];
  try {
    children = readFileSync(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  } catch {
    return undefined;
  }
  for (const pid of children) {
    const s = zombieOf(pid, comm);
    if (s !== undefined) return s;
  }
  return undefined;
}

/** How a process not ours ended, where its zombie still tells (its parent has not reaped it yet). */
export function processEnd(pid: number): string | undefined {
  const s = zombieOf(pid);
  return s === undefined ? undefined : describeWaitStatus(s);
}

/** "exit status 1" / "killed by SIGKILL" from a wait status. */
export function describeWaitStatus(status: number): string {
  const sig = status & 0x7f;
  const signalName = (n: number) => Object.entries(constants.signals).find(([, v]) => v === n)?.[0] ?? `signal ${n}`;
  if (sig === 0) return `exit status ${(status >> 8) & 0xff}`;
  return `killed by ${signalName(sig)}${status & 0x80 ? ' (core dumped)' : ''}`;
}

/**
 * How the executor we did not spawn ended: looks for its zombie for up to
 * `waitMs` (the socket closes a moment before the process is a zombie).
 */
export function launchedExecutorEnd(waitMs = 200): string | undefined {
  const until = Date.now() + waitMs;
  for (;;) {
    const s = zombieStatus('tsrun-exec');
    if (s !== undefined) return describeWaitStatus(s);
    if (Date.now() >= until) return undefined;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
  }
}
