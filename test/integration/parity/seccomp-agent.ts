// A seccomp agent for linux.seccomp.listenerPath, in Python because Node
// cannot receive SCM_RIGHTS: it accepts every connection on a unix stream
// socket and appends one JSON line per message to a file: how many fds came
// with it, and the container process state it carried.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sleepMs } from '../../../src/cgroups/manager.js';

const AGENT = [
  'import json, os, socket, sys',
  's = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.bind(sys.argv[1]); s.listen(8)',
  'while True:',
  '    c, _ = s.accept()',
  '    msg, fds, flags, addr = socket.recv_fds(c, 65536, 8)',
  '    for fd in fds: os.close(fd)',
  '    c.close()',
  '    with open(sys.argv[2], "a") as f: f.write(json.dumps({"fds": len(fds), "state": json.loads(msg)}) + "\\n")',
].join('\n');

export interface AgentMessage {
  fds: number;
  state: { ociVersion: string; fds: string[]; pid: number; metadata?: string; state: { id: string; status: string; pid: number; bundle: string } };
}

export interface SeccompAgent {
  socket: string;
  messages(): AgentMessage[];
  stop(): void;
}

/** Start the agent on <dir>/agent.sock; returns once it listens (synchronously, for differential()). */
export function startSeccompAgent(dir: string): SeccompAgent {
  const socket = join(dir, 'agent.sock');
  const out = join(dir, 'agent.out');
  const script = join(dir, 'agent.py');
  writeFileSync(script, AGENT);
  const p: ChildProcess = spawn('python3', [script, socket, out], { stdio: 'ignore' });
  for (let i = 0; i < 500 && !existsSync(socket); i++) sleepMs(10);
  if (!existsSync(socket)) {
    p.kill('SIGKILL');
    throw new Error('the seccomp agent did not start listening');
  }
  return {
    socket,
    messages: () => (existsSync(out) ? readFileSync(out, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as AgentMessage) : []),
    stop: () => p.kill('SIGKILL'),
  };
}
