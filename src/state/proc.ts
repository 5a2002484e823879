// Liveness of a container's init from /proc, without koffi. A pid alone is
// not an identity: after the init dies the kernel may hand the same pid to an
// unrelated process, so every check pairs the pid with its start time.
import { readFileSync } from 'node:fs';

export interface ProcStat {
  /** Field 3: R, S, D, Z, T, t, X, I ... */
  state: string;
  /** Field 4. */
  ppid: number;
  /** Field 22: start time in clock ticks since boot. */
  startTime: number;
}

/**
 * Parse /proc/<pid>/stat. The second field (comm) is the executable name in
 * parentheses and may itself hold spaces and parentheses ("(a) b)"), so
 * fields are counted from after the LAST ')'.
 */
export function parseProcStat(text: string): ProcStat | null {
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  const rest = text.slice(close + 2).split(' ');
  // rest[0] is field 3, so field N is rest[N - 3].
  const state = rest[0];
  const ppid = Number(rest[1]);
  const startTime = Number(rest[19]);
  if (!state || !Number.isFinite(ppid) || !Number.isFinite(startTime) || rest[19] === undefined) return null;
  return { state, ppid, startTime };
}

/** The stat of a pid, or null when there is no such process (or /proc is unreadable). */
export function readProcStat(pid: number): ProcStat | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  return parseProcStat(text);
}

/** Start time of `pid` in clock ticks since boot, or null when it does not exist. */
export function processStartTime(pid: number): number | null {
  return readProcStat(pid)?.startTime ?? null;
}

/**
 * True only if `pid` exists, is not a zombie (or dead), and started at
 * `startTime`: a reused pid is never taken for the container's init.
 */
export function isAlive(pid: number, startTime: number): boolean {
  const st = readProcStat(pid);
  if (!st) return false;
  if (st.state === 'Z' || st.state === 'X' || st.state === 'x') return false;
  return st.startTime === startTime;
}
