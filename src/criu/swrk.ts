// One conversation with `criu swrk`: criu started with its end of a
// SOCK_SEQPACKET pair as fd 3, one request, then notifications (each
// answered) until the final response. Whatever goes wrong, the error names
// the cause: criu missing, its RPC definition missing, the kernel failing
// `criu check`, or the lines of criu's log that say Error.
import { closeSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TsrunError } from '../errors.js';
import { log } from '../log.js';
import { recvPacket, seqpacketPair } from './libc.js';
import type { CriuRpc, Message } from './rpc.js';

declare const require: (id: string) => unknown;

export interface Notification {
  script: string;
  pid: number;
  /** fds that came with it (orphan-pts-master's terminal); the handler closes them. */
  fds: number[];
}

export interface SwrkOptions {
  /** --criu, else `criu` from PATH (and the sbin directories). */
  criu?: string;
  /** criu's stdin/stdout/stderr: restore gives it ours, so a pipe of the old container can be replaced by our own (inherit_fd). */
  stdio: 'ignore' | 'inherit';
  /** Become criu's fds 4, 5, ... (for inherit_fd). */
  extraFds?: number[];
  /** After criu started, before the request: restore moves criu into the container's cgroup. */
  started?(criuPid: number): void;
  notify?(n: Notification): void;
  /** The directory of criu's log (work dir, else image dir) and its name, quoted on failure. */
  logDir: string;
  logFile: string;
}

/** The criu binary: --criu, or the first `criu` on PATH or in the sbin directories (sudo and engines often run without them on PATH). */
export function criuBinary(flag?: string): string {
  if (flag) {
    if (!existsSync(flag)) throw new TsrunError(`--criu ${flag}: no such file: checkpoint and restore need criu`);
    return flag;
  }
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), '/usr/local/sbin', '/usr/sbin', '/sbin'];
  for (const d of dirs) {
    const p = join(d, 'criu');
    if (existsSync(p)) return p;
  }
  throw new TsrunError('criu not found (looked on PATH and in /usr/local/sbin, /usr/sbin, /sbin): checkpoint and restore need criu; install the criu package');
}

/** The lines of criu's log that say Error, with the one before each (runc quotes them the same way, as warnings). */
export function criuLogErrors(text: string, max = 12): string[] {
  const lines = text.split('\n');
  const out: string[] = [];
  lines.forEach((l, i) => {
    if (!l.includes('Error')) return;
    if (i > 0 && !out.includes(lines[i - 1]!) && !lines[i - 1]!.includes('Error')) out.push(lines[i - 1]!);
    out.push(l);
  });
  return out.slice(-max);
}

/**
 * `criu check` on this kernel: undefined when it passes, else its Error
 * lines. Run only after a failure, to tell a kernel criu cannot work on
 * (the 6.18 vDSO) from a problem with this container.
 */
export function criuCheck(criu: string): string | undefined {
  const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
  const r = spawnSync(criu, ['check'], { encoding: 'utf8', timeout: 30_000, stdio: ['ignore', 'pipe', 'pipe'] });
  const text = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.status === 0 && !/Error/.test(text)) return undefined;
  const errors = criuLogErrors(text, 4);
  return errors.length > 0 ? errors.join('; ') : text.trim().split('\n').slice(-2).join('; ') || `exit status ${r.status}`;
}

function kernel(): string {
  try {
    return readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  } catch {
    return 'this kernel';
  }
}

/** Why criu failed, as one message: the kernel first, then criu's log. */
function explain(criu: string, what: string, o: SwrkOptions): TsrunError {
  const check = criuCheck(criu);
  if (check !== undefined) {
    return new TsrunError(`${what}: criu cannot work on this kernel (${kernel()}): \`criu check\` fails: ${check}`);
  }
  let quoted = '';
  const path = join(o.logDir, o.logFile);
  try {
    const errors = criuLogErrors(readFileSync(path, 'utf8'));
    if (errors.length > 0) quoted = `; ${path} says:\n${errors.join('\n')}`;
  } catch {
    quoted = `; no log at ${path}`;
  }
  return new TsrunError(`${what}${quoted}`);
}

/** Send `req` to a fresh `criu swrk` and return its final response (success checked). */
export async function swrk(rpc: CriuRpc, req: Message, o: SwrkOptions): Promise<Message> {
  const criu = criuBinary(o.criu);
  const { spawn } = require('node:child_process') as typeof import('node:child_process');
  const [ours, theirs] = seqpacketPair();
  const type = req.type as number;
  const typeName = rpc.reqTypeName(type);
  const t0 = process.hrtime.bigint();
  const ms = () => `${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(0)} ms`;
  let child: import('node:child_process').ChildProcess;
  try {
    child = spawn(criu, ['swrk', '3'], { stdio: [o.stdio, o.stdio, o.stdio, theirs, ...(o.extraFds ?? [])] });
  } finally {
    closeSync(theirs);
  }
  const exited = new Promise<string>((resolve) => {
    child.on('error', (e) => resolve(`could not start ${criu}: ${e.message}`));
    child.on('exit', (code, sig) => resolve(sig ? `killed by ${sig}` : `exit status ${code}`));
  });
  let open = true;
  const close = () => {
    if (open) closeSync(ours);
    open = false;
  };
  try {
    if (!child.pid) throw new TsrunError(await exited);
    o.started?.(child.pid);
    const { writeSync } = require('node:fs') as typeof import('node:fs');
    log.debug(`criu: ${typeName} request ${JSON.stringify(req.opts ?? {})}`);
    writeSync(ours, rpc.encodeRequest(req));
    for (;;) {
      const { data, fds } = recvPacket(ours);
      if (data.length === 0) {
        close();
        const end = await exited;
        throw explain(criu, `criu ${typeName.toLowerCase()} failed: criu (${criu}) ended without an answer (${end})`, o);
      }
      const resp = rpc.decodeResponse(data);
      const rtype = resp.type as number;
      if (!resp.success) {
        for (const fd of fds) closeSync(fd);
        close();
        await exited;
        const errno = resp.cr_errno ? ` errno ${String(resp.cr_errno)}` : '';
        const msg = resp.cr_errmsg ? `: ${String(resp.cr_errmsg)}` : '';
        throw explain(criu, `criu failed: type ${rpc.reqTypeName(rtype)}${errno}${msg}`, o);
      }
      if (rtype === rpc.reqType('NOTIFY')) {
        const n = (resp.notify ?? {}) as { script?: string; pid?: number };
        log.debug(`criu: notify ${n.script ?? '?'}${n.pid ? ` pid ${n.pid}` : ''} at ${ms()}`);
        o.notify?.({ script: n.script ?? '', pid: n.pid ?? 0, fds });
        writeSync(ours, rpc.encodeRequest({ type: rpc.reqType('NOTIFY'), notify_success: true }));
        continue;
      }
      for (const fd of fds) closeSync(fd);
      if (rtype !== type) throw new TsrunError(`criu answered ${rpc.reqTypeName(rtype)} to a ${typeName} request`);
      close();
      log.debug(`criu: ${typeName} answered at ${ms()}`);
      const end = await exited;
      log.debug(`criu: exited (${end}) at ${ms()}`);
      // criu's pre-dump exits non-zero after a successful answer on some versions: runc does not count it either
      if (end !== 'exit status 0' && typeName !== 'PRE_DUMP') throw explain(criu, `criu failed after answering: ${end}`, o);
      return resp;
    }
  } catch (err) {
    // criu sees its socket close, undoes what it did (a restore kills the
    // tree it made) and exits; killed only if it does not within 10 s
    close();
    if (child.exitCode === null && child.signalCode === null) {
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    throw err;
  }
}
