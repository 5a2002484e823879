// Logging to --log, as runc does it (logrus): text or one JSON object per line.
// Nothing here touches process.stdout/stderr stream objects: during create and
// exec our stderr is the container's, and libuv could switch it to O_NONBLOCK.
import { writeSync, closeSync } from 'node:fs';
import { openLogFile } from './state/safe-fs.js';

export type LogFormat = 'text' | 'json';
export type Level = 'debug' | 'info' | 'warning' | 'error';

export interface LogTarget {
  path?: string;
  format: LogFormat;
  debug: boolean;
}

let target: LogTarget = { format: 'text', debug: false };
let fd = -1;

export function configureLog(t: LogTarget): void {
  target = t;
}

function logFd(): number {
  if (fd >= 0) return fd;
  if (!target.path) return (fd = 2);
  try {
    fd = openLogFile(target.path);
  } catch {
    fd = 2;
  }
  return fd;
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

/**
 * "2026-11-29T08:05:32Z". From the UTC getters: the first toISOString() of a
 * process costs ~0.24 ms, and every failing command logs one line.
 */
export function rfc3339Seconds(d: Date): string {
  return `${d.getUTCFullYear()}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}T${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}Z`;
}

export function logLine(level: Level, msg: string): void {
  if (level === 'debug' && !target.debug) return;
  // logrus's default RFC3339 has whole seconds; containerd and podman only need it to parse.
  const time = rfc3339Seconds(new Date());
  const line =
    target.format === 'json'
      ? JSON.stringify({ level, msg, time }) + '\n'
      : `time="${time}" level=${level} msg=${JSON.stringify(msg)}\n`;
  try {
    writeSync(logFd(), line);
  } catch {
    /* a log we cannot write must not turn success into failure */
  }
}

export const log = {
  debug: (msg: string) => logLine('debug', msg),
  info: (msg: string) => logLine('info', msg),
  warn: (msg: string) => logLine('warning', msg),
  error: (msg: string) => logLine('error', msg),
};

/** True when errors already reach stderr through the log itself. */
export function logIsStderr(): boolean {
  return logFd() === 2;
}

export function closeLog(): void {
  if (fd > 2) closeSync(fd);
  fd = -1;
}
