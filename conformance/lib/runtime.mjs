// Calling a runc-compatible runtime: private --root, a per-step timeout, output
// captured through files (a container that keeps a pipe open cannot hang us).
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';

/**
 * crun 1.8 refuses this machine's hybrid layout (a cgroup2 mount with only
 * hugetlb beside the v1 hierarchies). It runs in its own mount namespace with
 * /sys/fs/cgroup/unified lazily unmounted. Propagation stays "unchanged":
 * host mounts are private already, and our shared test mount must stay shared.
 */
export function wrapperFor(path) {
  if (basename(path) === 'crun') {
    return ['unshare', '-m', '--propagation', 'unchanged', 'sh', '-c',
      'umount -l /sys/fs/cgroup/unified 2>/dev/null; exec "$0" "$@"', path];
  }
  return [path];
}

/** @typedef {{code: number|null, signal: string|null, timedOut: boolean, stdout: string, stderr: string}} StepResult */

export class Runtime {
  /**
   * @param {{name: string, path: string, stateRoot: string, scratch: string, timeoutMs?: number}} o
   */
  constructor(o) {
    this.name = o.name;
    this.path = o.path;
    this.argv0 = wrapperFor(o.path);
    this.stateRoot = o.stateRoot;
    this.scratch = o.scratch;
    this.timeoutMs = o.timeoutMs ?? 20_000;
    this.created = new Set();
    this.seq = 0;
    mkdirSync(this.stateRoot, { recursive: true });
    mkdirSync(this.scratch, { recursive: true });
  }

  /**
   * @param {string[]} args subcommand and its arguments
   * @param {{timeoutMs?: number, env?: NodeJS.ProcessEnv}} [opts]
   * @returns {StepResult}
   */
  call(args, opts = {}) {
    if (opts.pty) return this.callInPty(args, opts);
    const n = ++this.seq;
    const outPath = join(this.scratch, `${n}.out`);
    const errPath = join(this.scratch, `${n}.err`);
    const out = openSync(outPath, 'w');
    const err = openSync(errPath, 'w');
    let res;
    try {
      res = spawnSync(this.argv0[0], [...this.argv0.slice(1), '--root', this.stateRoot, ...args], {
        stdio: ['ignore', out, err],
        timeout: opts.timeoutMs ?? this.timeoutMs,
        killSignal: 'SIGKILL',
        env: opts.env ?? process.env,
      });
    } finally {
      closeSync(out);
      closeSync(err);
    }
    const stdout = readFileSync(outPath, 'utf8');
    const stderr = readFileSync(errPath, 'utf8');
    rmSync(outPath, { force: true });
    rmSync(errPath, { force: true });
    const timedOut = res.error?.code === 'ETIMEDOUT' || (res.signal === 'SIGKILL' && res.status === null && !!res.error);
    return { code: res.status, signal: res.signal, timedOut, stdout, stderr: res.error && !timedOut ? String(res.error) : stderr };
  }

  /**
   * The same call with a controlling terminal: under script(1), whose pty
   * becomes the runtime's stdin/stdout (a foreground `run` with
   * process.terminal proxies its own terminal, as from an interactive shell).
   */
  callInPty(args, opts) {
    const q = (s) => `'${s.replace(/'/g, `'\\''`)}'`;
    const cmd = [...this.argv0, '--root', this.stateRoot, ...args].map(q).join(' ');
    const r = spawnSync('script', ['-qefc', cmd, '/dev/null'], { encoding: 'utf8', timeout: opts.timeoutMs ?? this.timeoutMs, killSignal: 'SIGKILL', stdio: ['pipe', 'pipe', 'pipe'], input: '' });
    const timedOut = r.error?.code === 'ETIMEDOUT';
    return { code: r.status, signal: r.signal, timedOut, stdout: String(r.stdout ?? '').replace(/\r\n/g, '\n'), stderr: String(r.stderr ?? '') };
  }

  /** `create`, remembering the id so cleanup can force-delete it. */
  create(id, bundle, extra = []) {
    this.created.add(id);
    return this.call(['create', '--bundle', bundle, ...extra, id]);
  }

  /** Foreground `run`: the container's stdout and stderr come back in the result. */
  run(id, bundle, extra = [], opts = {}) {
    this.created.add(id);
    return this.call(['run', '--bundle', bundle, ...extra, id], opts);
  }

  /** @returns {any|null} the parsed `state` JSON, or null when the call fails */
  state(id) {
    const r = this.call(['state', id]);
    if (r.code !== 0) return null;
    try {
      return JSON.parse(r.stdout);
    } catch {
      return null;
    }
  }

  /** Force-delete everything this run created; never throws. */
  cleanup() {
    for (const id of this.created) {
      try {
        this.call(['delete', '--force', id], { timeoutMs: 10_000 });
      } catch {
        /* best effort: the cgroup sweep and state dir removal follow */
      }
    }
    this.created.clear();
  }
}
