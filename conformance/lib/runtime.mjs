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

/**
 * Run argv under timeout(1): it puts the runtime in a process group of its own
 * and SIGKILLs the whole group at the limit, so a wrapper's children (a
 * hanging shell script, unshare, script) do not outlive the step. Containers
 * that left the group are removed by `delete --force` afterwards.
 * @returns {{argv: string[], guardMs: number}}
 */
export function underTimeout(argv, ms) {
  const secs = Math.max(1, Math.ceil(ms / 1000));
  return { argv: ['timeout', '-s', 'KILL', String(secs), ...argv], guardMs: secs * 1000 + 5000 };
}

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
    const limit = opts.timeoutMs ?? this.timeoutMs;
    const { argv, guardMs } = underTimeout([...this.argv0, '--root', this.stateRoot, ...args], limit);
    let res;
    const t0 = Date.now();
    try {
      res = spawnSync(argv[0], argv.slice(1), {
        stdio: ['ignore', out, err],
        timeout: guardMs,
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
    // timeout(1) SIGKILLs its whole group, itself included
    const timedOut = res.error?.code === 'ETIMEDOUT' || ((res.status === 137 || res.signal === 'SIGKILL') && Date.now() - t0 >= limit - 100);
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
    const limit = opts.timeoutMs ?? this.timeoutMs;
    const { argv, guardMs } = underTimeout(['script', '-qefc', cmd, '/dev/null'], limit);
    const t0 = Date.now();
    const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: guardMs, killSignal: 'SIGKILL', stdio: ['pipe', 'pipe', 'pipe'], input: '' });
    const timedOut = r.error?.code === 'ETIMEDOUT' || ((r.status === 137 || r.signal === 'SIGKILL') && Date.now() - t0 >= limit - 100);
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
        this.call(['delete', '--force', id], { timeoutMs: Math.min(10_000, this.timeoutMs) });
      } catch {
        /* best effort: the cgroup sweep and state dir removal follow */
      }
    }
    this.created.clear();
  }
}
