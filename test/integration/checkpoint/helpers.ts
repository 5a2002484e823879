// Shared by the checkpoint tests: whether criu works on this host (criu on
// PATH *and* `criu check` passing: criu 3.17 fails it on 6.18 kernels), and
// a counting container whose stdio are pipes, as under an engine: criu dumps
// a pipe to the outside as external and restore hands it new ones, while a
// host file or /dev/null outside the container's mounts cannot be dumped.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
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
  /** Everything the container wrote so far. */
  output(): string;
  /** The numbers it printed, in order. */
  numbers(): number[];
  /** The tsrun command's exit code once it returned (run -d / restore -d return at once). */
  code(): Promise<number | null>;
  stop(): void;
}

/**
 * `tsrun ARGS` with stdin and stdout/stderr as pipes, which the container
 * inherits (bash: stdin from `<(sleep)`, output through `| cat` to us), in a
 * process group of its own that stop() kills. tsrun's exit code comes on fd 3.
 */
export function piped(args: string[]): Piped {
  const cmd = [tsrunBin, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const script = `{ ${cmd} 2>&1; echo "tsrun-exit=$?" >&3; } 3>&2 < <(exec sleep 100000) | cat`;
  const p: ChildProcess = spawn('bash', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  let err = '';
  p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return {
    output: () => out,
    numbers: () => out.split(/\r?\n/).map((l) => l.trim().split(' ')[0]!).filter((w) => /^\d+$/.test(w)).map(Number),
    async code() {
      for (let i = 0; i < 1200; i++) {
        const m = /tsrun-exit=(\d+)/.exec(err);
        if (m) return Number(m[1]);
        await sleepMs(100);
      }
      return null;
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
