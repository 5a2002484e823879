// The parent side of tsrun-exec: send the plan, read its frames. bin/tsrun
// normally started it already, ahead of Node, and left us the sync socket's
// fd in TSRUN_EXEC_FD (native/launcher.c); that socket is blocking and read
// synchronously, which spares create node:net and node:child_process. Without
// it (node run on dist/ directly) we spawn it here, by absolute path, never
// PATH: stdio 0-2 go to it untouched ('inherit') and so on to the container,
// fds 3..3+N-1 are preserved fds, the sync socket ('pipe') comes right after.
import type { ChildProcess } from 'node:child_process';
import { closeSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { TsrunError } from '../errors.js';
import { MsgType } from '../plan/generated/ops.js';
import type { OpName, Plan } from '../plan/types.js';
import { encodePlan } from '../plan/encode.js';
import { errnoName, errnoText } from '../sys/errno.js';

/** runc's words for a failed op, which callers match, before what the executor says. */
const RUNC_WORDS: Partial<Record<OpName, string>> = {
  seccomp_listener: 'failed to connect with seccomp agent specified in the seccomp profile: ',
  apparmor: 'unable to apply apparmor profile: ',
};

declare const __dirname: string;
declare const require: (id: string) => unknown;

export function executorPath(): string {
  return join(__dirname, '..', 'native', 'build', 'tsrun-exec');
}

export type Frame =
  | { type: 'pid'; pid: number; stage0: number }
  | { type: 'cloned'; pid: number }
  | { type: 'ready' }
  | { type: 'prepared' }
  | { type: 'error'; stage: number; op: number; errno: number; message: string }
  | { type: 'exit'; status: number }
  | { type: 'warning'; message: string }
  | { type: 'eof' };

function frame(type: number, body: Buffer): Frame {
  switch (type) {
    case MsgType.pid:
      return { type: 'pid', pid: body.readUInt32LE(0), stage0: body.readUInt32LE(4) };
    case MsgType.cloned:
      return { type: 'cloned', pid: body.readUInt32LE(0) };
    case MsgType.ready:
      return { type: 'ready' };
    case MsgType.prepared:
      return { type: 'prepared' };
    case MsgType.error:
      return { type: 'error', stage: body.readUInt32LE(0), op: body.readInt32LE(4), errno: body.readInt32LE(8), message: body.subarray(12).toString('utf8') };
    case MsgType.exit:
      return { type: 'exit', status: body.readInt32LE(0) };
    case MsgType.warning:
      return { type: 'warning', message: body.toString('utf8') };
  }
  throw new TsrunError(`executor sent an unknown message type ${type}`);
}

/** The sync socket bin/tsrun made for us, once: hooks and payloads must not see its number. */
function inheritedSocket(): number | undefined {
  const v = process.env.TSRUN_EXEC_FD;
  if (v === undefined) return undefined;
  delete process.env.TSRUN_EXEC_FD;
  const fd = Number(v);
  return Number.isInteger(fd) && fd >= 3 ? fd : undefined;
}

export class Executor {
  private buf = Buffer.alloc(0);
  private frames: Frame[] = [];
  private waiter: ((f: Frame) => void) | null = null;
  private ended = false;
  /** The inherited socket while it is read synchronously; -1 once the event loop reads it. */
  private fd = -1;
  private proc?: ChildProcess;
  private sock?: Duplex;

  constructor(private readonly plan: Plan, preserveFds: number) {
    const fd = inheritedSocket();
    if (fd !== undefined) this.fd = fd;
    else this.spawn(preserveFds);
    this.write(encodePlan(plan, undefined, MsgType.plan));
  }

  private spawn(preserveFds: number): void {
    const { spawn } = require('node:child_process') as typeof import('node:child_process');
    const syncFd = 3 + preserveFds;
    const stdio: Array<'inherit' | 'pipe' | number> = ['inherit', 'inherit', 'inherit'];
    for (let fd = 3; fd < syncFd; fd++) stdio.push(fd);
    stdio.push('pipe');
    this.proc = spawn(executorPath(), [String(syncFd)], { stdio, argv0: 'tsrun-exec' });
    this.proc.on('error', () => this.push({ type: 'eof' }));
    this.attach(this.proc.stdio[syncFd] as Duplex);
  }

  private attach(sock: Duplex): void {
    this.sock = sock;
    sock.on('data', (d: Buffer) => this.onData(d));
    sock.on('end', () => this.push({ type: 'eof' }));
    sock.on('error', () => this.push({ type: 'eof' }));
  }

  /**
   * From here on frames arrive through the event loop: a foreground run or
   * exec waits for the exit report while it forwards signals.
   */
  listen(): void {
    if (this.fd < 0) return;
    const { Socket } = require('node:net') as typeof import('node:net');
    const fd = this.fd;
    this.fd = -1;
    this.attach(new Socket({ fd, readable: true, writable: true }));
  }

  /** Exactly n bytes from the blocking socket, or fewer at its end. */
  private readExact(n: number): Buffer {
    const out = Buffer.alloc(n);
    let have = 0;
    while (have < n) {
      let got: number;
      try {
        got = readSync(this.fd, out, have, n - have, null);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'EINTR') continue;
        // the executor died with our bytes unread: its end is gone, as at EOF
        // (what it wrote before dying was read first); died() says how it ended
        if (code === 'ECONNRESET') break;
        throw err;
      }
      if (got === 0) break;
      have += got;
    }
    return have === n ? out : out.subarray(0, have);
  }

  private readFrameSync(): Frame {
    if (this.ended) return { type: 'eof' };
    const head = this.readExact(8);
    const body = head.length === 8 ? this.readExact(head.readUInt32LE(0)) : undefined;
    if (!body || body.length < head.readUInt32LE(0)) {
      this.ended = true;
      return { type: 'eof' };
    }
    return frame(head.readUInt16LE(4), body);
  }

  private push(f: Frame): void {
    if (f.type === 'eof') {
      if (this.ended) return;
      this.ended = true;
    }
    if (this.waiter) {
      const w = this.waiter;
      this.waiter = null;
      w(f);
    } else this.frames.push(f);
  }

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    while (this.buf.length >= 8) {
      const len = this.buf.readUInt32LE(0);
      if (this.buf.length < 8 + len) break;
      const type = this.buf.readUInt16LE(4);
      const body = this.buf.subarray(8, 8 + len);
      this.buf = this.buf.subarray(8 + len);
      this.push(frame(type, Buffer.from(body)));
    }
  }

  send(type: number, body: Buffer = Buffer.alloc(0)): void {
    const head = Buffer.alloc(8);
    head.writeUInt32LE(body.length, 0);
    head.writeUInt16LE(type, 4);
    this.write(Buffer.concat([head, body]));
  }

  /** A whole frame, header included. */
  private write(msg: Buffer): void {
    if (this.sock) {
      this.sock.write(msg);
      return;
    }
    try {
      for (let off = 0; off < msg.length; ) off += writeSync(this.fd, msg, off);
    } catch (err) {
      // it has failed and exited (its error frame is still to be read) or died: next() says which
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EPIPE' && code !== 'ECONNRESET') throw err;
    }
  }

  /** The next frame that is not a warning (warnings go to `onWarning`). */
  async next(onWarning?: (msg: string) => void): Promise<Frame> {
    for (;;) {
      const f = this.sock
        ? (this.frames.shift() ?? (await new Promise<Frame>((resolve) => (this.waiter = resolve))))
        : this.readFrameSync();
      if (f.type === 'warning') {
        onWarning?.(f.message);
        continue;
      }
      return f;
    }
  }

  /** The executor's failure as the user sees it, naming the config field that caused it. */
  errorOf(f: Extract<Frame, { type: 'error' }>, file = 'config.json', prefix = 'unable to start container process: '): TsrunError {
    const o = f.op >= 0 ? this.plan.ops[f.op] : undefined;
    const text = `${prefix}${(o && RUNC_WORDS[o.op]) ?? ''}${f.message}${f.errno ? `: ${errnoText(f.errno)}` : ''}`;
    return new TsrunError(text, { field: o?.field, file: o?.field ? file : undefined, errno: f.errno ? errnoName(f.errno) : undefined });
  }

  /**
   * The error for an executor that closed its socket without a report:
   * it died (killed, crashed) `when` ("before it reported the container
   * pid"), with its wait status where it can be had.
   */
  died(when: string): TsrunError {
    let end: string | undefined;
    if (this.proc) {
      const { exitCode, signalCode } = this.proc;
      end = signalCode ? `killed by ${signalCode}` : exitCode !== null ? `exit status ${exitCode}` : undefined;
    } else {
      const { launchedExecutorEnd } = require('./executor-death.js') as typeof import('./executor-death.js');
      end = launchedExecutorEnd();
    }
    return new TsrunError(`the executor (tsrun-exec) died without a report ${when}${end ? ` (${end})` : ''}`);
  }

  /**
   * Stop an executor that waits for the runtime (wait_cgroup): any other
   * message fails that op, and it kills what it cloned and exits. We wait
   * for its end of the socket to close, so nothing outlives a failed create.
   */
  async abort(): Promise<void> {
    this.send(MsgType.error);
    while ((await this.next()).type !== 'eof') {
      /* its error report, about our message */
    }
    this.close();
  }

  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    this.sock?.destroy();
    this.proc?.unref();
  }
}
