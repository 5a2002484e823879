// A console-socket receiver like go-runc's (one message: the pty name as
// data and exactly one fd), written in Python because Node cannot receive
// SCM_RIGHTS; it prints what the container writes to the pty.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const RECEIVER = [
  'import os, socket, sys',
  's = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.bind(sys.argv[1]); s.listen(1)',
  'print("ready", flush=True)',
  'c, _ = s.accept()',
  'msg, fds, flags, addr = socket.recv_fds(c, 4096, 4)',
  'print("name=" + msg.decode() + " fds=" + str(len(fds)), flush=True)',
  'out = b""',
  'while True:',
  '    try: d = os.read(fds[0], 4096)',
  '    except OSError: break',
  '    if not d: break',
  '    out += d',
  'sys.stdout.write(out.decode(errors="replace"))',
].join('\n');

export interface ConsoleReceiver {
  socket: string;
  output(): string;
  /** Resolves when the pty closed (the container's last holder exited), or after `ms`. */
  done(ms: number): Promise<void>;
  stop(): void;
}

export async function startConsoleReceiver(dir: string): Promise<ConsoleReceiver> {
  const socket = join(dir, 'console.sock');
  const script = join(dir, 'recv.py');
  writeFileSync(script, RECEIVER);
  const p = spawn('python3', [script, socket], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  // 'close', not 'exit': the output may still be in the pipe when 'exit' comes.
  const exited = new Promise<void>((resolve) => p.on('close', () => resolve()));
  for (let i = 0; i < 500 && !out.includes('ready'); i++) await new Promise((r) => setTimeout(r, 10));
  return {
    socket,
    output: () => out,
    done: (ms) => Promise.race([exited, new Promise<void>((r) => setTimeout(r, ms))]),
    stop: () => p.kill('SIGKILL'),
  };
}
