// Shared by the checkpoint tests: whether criu works on this host (criu on
// PATH *and* `criu check` passing: criu 3.17 fails it on 6.18 kernels), and
// a counting container whose stdio are pipes, as under an engine: criu dumps
// a pipe to the outside as external and restore hands it new ones, while a
// host file or /dev/null outside the container's mounts cannot be dumped.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findOnPath, requires } from '../../helpers/requires.js';
import { tsrunBin } from '../../helpers/tsrun.js';

let probed: string | false | undefined;
/** The skip reason where checkpoint cannot work here, else false. */
export function criuSkip(): string | false {
  if (probed !== undefined) return probed;
  probed = requires('root', { binary: 'criu' });
  if (!probed) {
    const r = spawnSync(findOnPath('criu')!, ['check'], { encoding: 'utf8', timeout: 60_000 });
    const text = `${r.stdout ?? ''}${r.stderr ?? ''}`;
    if (r.status !== 0 || /Error/.test(text)) {
      const why = text.split('\n').find((l) => l.includes('Error')) ?? `exit status ${r.status}`;
      probed = `\`criu check\` fails on this kernel (${readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()}): ${why.replace(/^\([\d.]+\) /, '')}`;
    }
  }
  return probed;
}

/** `sh -c` body: count up every 0.1 s, one number a line (and what `extra` prints after it). */
export function counting(extra = ''): string[] {
  return ['sh', '-c', `i=0; while true; do echo $i${extra}; i=$((i+1)); sleep 0.1; done`];
}

export interface Piped {
  /** Everything the container wrote so far (read from the file its pipe drains into: always current). */
  output(): string;
  /** The numbers it printed, in order. */
  numbers(): number[];
  /** The tsrun command's exit code once it returned (run -d / restore -d return at once). */
  code(): Promise<number | null>;
  /** Until the output stops growing for `ms` (the container died and its pipe is drained). */
  settled(ms?: number): Promise<void>;
  stop(): void;
}

let seq = 0;
/**
 * `tsrun ARGS` with stdin and stdout/stderr as pipes, which the container
 * inherits (bash: stdin from `<(sleep)`, output through `| cat` into a file
 * in `dir`), in a process group of its own that stop() kills.
 */
export function piped(dir: string, args: string[]): Piped {
  const out = join(dir, `out-${process.pid}-${++seq}`);
  const status = `${out}.status`;
  const cmd = [tsrunBin, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const script = `{ ${cmd} 2>&1; echo $? > '${status}'; } < <(exec sleep 100000) | cat >> '${out}'`;
  const p: ChildProcess = spawn('bash', ['-c', script], { stdio: 'ignore', detached: true });
  const read = (f: string) => {
    try {
      return readFileSync(f, 'utf8');
    } catch {
      return '';
    }
  };
  const numbers = () => read(out).split(/\r?\n/).map((l) => l.trim().split(' ')[0]!).filter((w) => /^\d+$/.test(w)).map(Number);
  return {
    output: () => read(out),
    numbers,
    async code() {
      for (let i = 0; i < 1200; i++) {
        const s = read(status).trim();
        if (s !== '') return Number(s);
        await sleepMs(100);
      }
      return null;
    },
    async settled(ms = 1000) {
      let size = -1;
      while (read(out).length !== size) {
        size = read(out).length;
        await sleepMs(ms);
      }
    },
    stop() {
      try {
        process.kill(-p.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    },
  };
}

export function sleepMs(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Wait until `check` holds (polling), or fail with `what`. */
export async function until(what: string, check: () => boolean, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleepMs(100);
  }
}

/** n, n+1, n+2, ...: the numbers go on by one, with no restart. */
export function consecutive(ns: number[]): boolean {
  return ns.every((n, i) => i === 0 || n === ns[i - 1]! + 1);
}

export { join };

// A console-socket receiver that takes any number of terminals (a restore
// sends a new master) and streams what each carries into one file as it
// comes, with a line "name=<data> fds=<n>" per connection. Python: Node
// cannot receive SCM_RIGHTS.
const RECEIVER = [
  'import os, socket, sys, threading',
  's = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.bind(sys.argv[1]); s.listen(4)',
  'out = open(sys.argv[2], "ab", buffering=0)',
  'def pump(fd):',
  '    while True:',
  '        try: d = os.read(fd, 4096)',
  '        except OSError: break',
  '        if not d: break',
  '        out.write(d)',
  'while True:',
  '    c, _ = s.accept()',
  '    msg, fds, flags, addr = socket.recv_fds(c, 4096, 4)',
  '    c.close()',
  '    out.write(("\\nname=%s fds=%d\\n" % (msg.decode(), len(fds))).encode())',
  '    threading.Thread(target=pump, args=(fds[0],), daemon=True).start()',
].join('\n');

export interface Consoles {
  socket: string;
  output(): string;
  stop(): void;
}

export async function consoleReceiver(dir: string): Promise<Consoles> {
  const socket = join(dir, `console-${++seq}.sock`);
  const out = `${socket}.out`;
  const script = join(dir, 'recv-consoles.py');
  writeFileSync(script, RECEIVER);
  const p = spawn('python3', [script, socket, out], { stdio: 'ignore' });
  await until('the console receiver to listen', () => existsSync(socket), 30_000);
  return {
    socket,
    output: () => (existsSync(out) ? readFileSync(out, 'utf8') : ''),
    stop: () => p.kill('SIGKILL'),
  };
}
