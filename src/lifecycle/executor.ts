// The parent side of tsrun-exec: spawn it (by absolute path, never PATH),
// send the plan, read its frames. Stdio 0-2 go to it untouched ('inherit'),
// and so on to the container; fds 3..3+N-1 are preserved fds; the sync
// socket (a stream socketpair Node makes for 'pipe') comes right after.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { TsrunError } from '../errors.js';
import { MsgType } from '../plan/generated/ops.js';
import type { Plan } from '../plan/types.js';
import { encodePlan } from '../plan/encode.js';
import { errnoName, errnoText } from '../sys/errno.js';

declare const __dirname: string;

export function executorPath(): string {
  return join(__dirname, '..', 'native', 'build', 'tsrun-exec');
}

export type Frame =
  | { type: 'pid'; pid: number; stage0: number }
  | { type: 'ready' }
  | { type: 'error'; stage: number; op: number; errno: number; message: string }
  | { type: 'exit'; status: number }
  | { type: 'warning'; message: string }
  | { type: 'eof' };

function frame(type: number, body: Buffer): Frame {
  switch (type) {
    case MsgType.pid:
      return { type: 'pid', pid: body.readUInt32LE(0), stage0: body.readUInt32LE(4) };
    case MsgType.ready:
      return { type: 'ready' };
    case MsgType.error:
      return { type: 'error', stage: body.readUInt32LE(0), op: body.readInt32LE(4), errno: body.readInt32LE(8), message: body.subarray(12).toString('utf8') };
    case MsgType.exit:
      return { type: 'exit', status: body.readInt32LE(0) };
    case MsgType.warning:
      return { type: 'warning', message: body.toString('utf8') };
  }
  throw new TsrunError(`executor sent an unknown message type ${type}`);
}

export class Executor {
  private buf = Buffer.alloc(0);
  private frames: Frame[] = [];
  private waiter: ((f: Frame) => void) | null = null;
  private ended = false;
  readonly proc: ChildProcess;
  private readonly sock: Duplex;

  constructor(private readonly plan: Plan, preserveFds: number) {
    const syncFd = 3 + preserveFds;
    const stdio: Array<'inherit' | 'pipe' | number> = ['inherit', 'inherit', 'inherit'];
    for (let fd = 3; fd < syncFd; fd++) stdio.push(fd);
    stdio.push('pipe');
    this.proc = spawn(executorPath(), [String(syncFd)], { stdio, argv0: 'tsrun-exec' });
    this.proc.on('error', () => this.push({ type: 'eof' }));
    this.sock = this.proc.stdio[syncFd] as Duplex;
    this.sock.on('data', (d: Buffer) => this.onData(d));
    this.sock.on('end', () => this.push({ type: 'eof' }));
    this.sock.on('error', () => this.push({ type: 'eof' }));
    this.send(MsgType.plan, encodePlan(plan));
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
    this.sock.write(Buffer.concat([head, body]));
  }

  /** The next frame that is not a warning (warnings go to `onWarning`). */
  async next(onWarning?: (msg: string) => void): Promise<Frame> {
    for (;;) {
      const f = this.frames.shift() ?? (await new Promise<Frame>((resolve) => (this.waiter = resolve)));
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
    const text = `${prefix}${f.message}${f.errno ? `: ${errnoText(f.errno)}` : ''}`;
    return new TsrunError(text, { field: o?.field, file: o?.field ? file : undefined, errno: f.errno ? errnoName(f.errno) : undefined });
  }

  close(): void {
    this.sock.destroy();
    this.proc.unref();
  }
}
