// One conformance run against one runtime: the matrix through the checker,
// then the lifecycle checks from outside, with cleanup that always happens.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SPEC_VERSION, Workspace, baseConfig, precreateDestinations, writeBundle } from './bundle.mjs';
import { removeCgroupParent } from './cgroups.mjs';
import { expectationsFor } from './expect.mjs';
import { gatherHost } from './host.mjs';
import { runLifecycle } from './lifecycle.mjs';
import { withoutPointer } from './pointer.mjs';
import { Runtime, underTimeout } from './runtime.mjs';
import { parseTap } from './tap.mjs';
import { waitFor } from './wait.mjs';
import { matrix } from '../matrix/index.mjs';

export const CONFORMANCE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Build the checker when its source is newer than the binary. */
export function buildChecker() {
  const stale = ([bin, src]) => {
    const b = join(CONFORMANCE_DIR, 'out', bin);
    return !existsSync(b) || statSync(b).mtimeMs < statSync(join(CONFORMANCE_DIR, 'checker', src)).mtimeMs;
  };
  if ([['conformance-checker', 'checker.c'], ['seccomp-listener', 'listener.c']].some(stale)) {
    execFileSync('make', ['-s', '-C', join(CONFORMANCE_DIR, 'checker')], { stdio: 'inherit' });
  }
  return join(CONFORMANCE_DIR, 'out', 'conformance-checker');
}

/** The stand-in seccomp agent (built with the checker). */
export const listenerBinary = () => join(CONFORMANCE_DIR, 'out', 'seccomp-listener');

/**
 * The gist of a runtime's error output: logrus-style lines (runc, tsrun) give
 * their msg="..." text, others their lines; warnings only when nothing else.
 */
export function errorText(out) {
  const lines = out.trim().split('\n').filter(Boolean);
  const msgs = lines.map((l) => {
    const m = /level=(\w+) msg="((?:[^"\\]|\\.)*)"/.exec(l);
    return m ? { level: m[1], text: m[2].replace(/\\"/g, '"') } : { level: 'error', text: l.replace(/\x1b\[[0-9;]*m/g, '') };
  });
  const errors = msgs.filter((m) => m.level !== 'warning' && m.level !== 'info' && m.level !== 'debug');
  return (errors.length ? errors : msgs).slice(-2).map((m) => m.text).join(' | ').slice(0, 300);
}

/**
 * process.terminal the way engines do it: create with --console-socket, a
 * stand-in receiver takes the pty master and records what the container
 * prints, start, wait for the process to end. The result looks like `run`'s.
 * @param {Runtime} rt
 */
function runWithConsoleSocket(rt, id, dir) {
  const sock = join(dir, 'console.sock');
  const out = join(dir, 'console.out');
  const agent = spawn(listenerBinary(), ['--console', sock, out], { stdio: 'ignore' });
  try {
    waitFor(() => existsSync(sock), 3000);
    const cr = rt.create(id, dir, ['--console-socket', sock]);
    if (cr.code !== 0) return cr;
    const st = rt.call(['start', id]);
    if (st.code !== 0) return st;
    waitFor(() => rt.state(id)?.status === 'stopped', rt.timeoutMs);
    // the receiver ends when the container's side of the terminal closes
    const gone = () => !existsSync(`/proc/${agent.pid}`) || /\) Z /.test(readFileSync(`/proc/${agent.pid}/stat`, 'utf8'));
    waitFor(gone, 3000);
    const text = existsSync(out) ? readFileSync(out, 'utf8').replace(/\r\n/g, '\n') : '';
    return { code: 0, signal: null, timedOut: false, stdout: text, stderr: '' };
  } finally {
    agent.kill('SIGKILL');
  }
}

/** @param {{test: (n: string) => boolean}|string} f @param {string} name */
const focusMatch = (f, name) => (typeof f === 'string' ? name.startsWith(f) : f.test(name));

export function runtimeVersion(path) {
  const { argv, guardMs } = underTimeout([path, '--version'], 10_000);
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: guardMs });
  return (r.stdout ?? '').split('\n')[0].trim() || `unknown (${r.error ?? `exit ${r.status}`})`;
}

/**
 * @typedef {{bundle: string, name: string, ok: boolean, detail: string}} Result
 * @param {{runtime: string, name?: string, only?: string[], dropField?: string, lifecycle?: boolean, ociVersion?: string,
 *          timeoutMs?: number, log?: (s: string) => void}} o
 * @returns {Promise<{runtime: {name: string, path: string, version: string}, results: Result[], leftovers: string[]}>}
 */
export async function runSuite(o) {
  const log = o.log ?? (() => {});
  const checker = buildChecker();
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((p) => existsSync(p));
  if (!busybox) throw new Error('busybox not found');
  const host = gatherHost();
  const name = o.name ?? o.runtime.split('/').pop();
  const ws = new Workspace(checker, busybox);
  const rt = new Runtime({ name, path: o.runtime, stateRoot: join(ws.dir, 'state'), scratch: join(ws.dir, 'scratch'), timeoutMs: o.timeoutMs });
  const cgParent = `/tsrun-conformance-${process.pid}`;
  const cleanups = [];
  const tag = name.replace(/[^a-z0-9]/gi, '');
  const ctxBase = {
    host,
    ws,
    onCleanup: (fn) => cleanups.push(fn),
    id: (what) => `conf-${tag}-${process.pid}-${what}`,
    cgroupsPath: (what) => `${cgParent}/${tag}-${what}`,
    ociVersion: o.ociVersion,
    listener: listenerBinary(),
  };
  /** @type {Result[]} */
  const results = [];
  const leftovers = [];
  const onSignal = () => {
    finish();
    process.exit(130);
  };
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    rt.cleanup();
    for (const fn of cleanups.reverse()) {
      try {
        fn();
      } catch {
        /* keep going */
      }
    }
    ws.destroy();
    leftovers.push(...removeCgroupParent(cgParent));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    const entries = matrix.filter((e) => !o.only || o.only.includes(e.name));
    if (o.only) {
      const unknown = o.only.filter((n) => n !== 'lifecycle' && !matrix.some((e) => e.name === n));
      if (unknown.length) throw new Error(`no such bundle: ${unknown.join(', ')}`);
    }
    for (const e of entries) {
      const bundle = ws.newBundle(e.name);
      const ctx = { ...ctxBase, bundle, state: {} };
      const id = ctx.id(e.name);
      let checks = [];
      try {
        e.setup?.(bundle);
        await e.prepare?.(ctx);
        const config = baseConfig(ctx.cgroupsPath(e.name), o.ociVersion);
        e.mutate?.(config, ctx);
        // what the config implies, narrowed to the bundle's subject, plus its own probes
        checks = [
          ...expectationsFor(config, host).filter((c) => e.focus.some((f) => focusMatch(f, c.name))),
          ...(e.extra?.(config, ctx) ?? []),
        ];
        // names stay the same from run to run: no temp dirs, no pids
        for (const c of checks) c.name = c.name.split(ws.dir).join('<work>').replace(/\/proc\/\d+\//g, '/proc/<pid>/');
        precreateDestinations(bundle.rootfs, config);
        const seen = o.dropField ? withoutPointer(config, o.dropField) : config;
        writeBundle(bundle, seen, checks);
      } catch (err) {
        results.push({ bundle: e.name, name: 'bundle preparation', ok: false, detail: String(err?.message ?? err) });
        continue;
      }
      const r = e.tty === 'console-socket' ? runWithConsoleSocket(rt, id, bundle.dir) : rt.run(id, bundle.dir, [], { pty: e.tty === 'foreground' });
      rt.call(['delete', '--force', id], { timeoutMs: Math.min(10_000, rt.timeoutMs) });
      rt.created.delete(id);
      const tap = parseTap(r.stdout);
      const why = `runtime ${r.timedOut ? 'timed out' : `exit ${r.code}${r.signal ? ` (${r.signal})` : ''}`}: ${errorText(r.stderr || r.stdout)}`;
      checks.forEach((c, i) => {
        const t = tap.results.get(i + 1);
        results.push({ bundle: e.name, name: c.name, ok: !!t?.ok, detail: t ? t.detail : `no result (${why})` });
      });
      log(`${e.name}: ${checks.filter((_, i) => tap.results.get(i + 1)?.ok).length}/${checks.length}${tap.plan === null ? ` (${why})` : ''}`);
    }
    if (o.lifecycle !== false && !o.dropField && (!o.only || o.only.includes('lifecycle'))) {
      for (const out of runLifecycle(ctxBase, rt)) results.push({ bundle: 'lifecycle', ...out });
      const lc = results.filter((r) => r.bundle === 'lifecycle');
      log(`lifecycle: ${lc.filter((r) => r.ok).length}/${lc.length}`);
    }
  } finally {
    finish();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  return { runtime: { name, path: o.runtime, version: runtimeVersion(o.runtime), ociVersion: o.ociVersion ?? SPEC_VERSION }, results, leftovers };
}
