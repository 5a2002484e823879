// `create`: validate and compile, claim the state dir, make the cgroup's
// directories and device rules, hand the executor the plan (it clones the
// init into its namespaces and cgroup, and the init prepares its rootfs,
// while we write the other limits), record the state, run prestart and
// createRuntime hooks, let the init finish its setup, and return with the
// init blocked on the exec fifo. Any failure undoes it all.
import { existsSync } from 'node:fs';
import { ownBoundingSet } from './bounding-set.js';
import { TsrunError } from '../errors.js';
import { log } from '../log.js';
import type { CgroupManager } from '../cgroups/index.js';
import type { CgroupBind, Plan } from '../plan/index.js';
import type { Spec } from '../spec/types.js';
import type { ContainerRecord } from '../state/index.js';
import { MsgType } from '../plan/generated/ops.js';
import { encodePlan } from '../plan/encode.js';
import { Executor } from './executor.js';
import { Container, type HookState, hookState } from '../state/container.js';
import { removePidFile, writePidFile } from './pidfile.js';

declare const require: (id: string) => unknown;

export interface CreateOptions {
  root: string;
  id: string;
  bundle: string;
  pidFile?: string;
  consoleSocket?: string;
  pidfdSocket?: string;
  noPivot?: boolean;
  noNewKeyring?: boolean;
  preserveFds?: number;
  systemdCgroup?: boolean;
  rootless?: boolean;
  /** Keep the executor's stage 0 to report the exit (foreground run). */
  monitor?: boolean;
  /** Foreground with a terminal and no console socket: stage 0 proxies the pty. */
  proxyTty?: boolean;
  dryRun?: boolean;
}

export interface Created {
  id: string;
  dir: string;
  pid: number;
  record: ContainerRecord;
  executor: Executor;
  config: Spec;
  cgroup: CgroupManager;
}

export { hookState };

/**
 * The GO message: the state for in-container hooks and, with a seccomp
 * listener, the container process state the listener receives (config-linux.md).
 * The listener hears from the init while the container is still being
 * created (`listenerStatus` "creating", as runc sends), the hooks after.
 */
export function goBody(state: HookState, config: Spec, processPid = state.pid, listenerStatus = state.status): Buffer {
  const parts = [JSON.stringify(state)];
  const sc = config.linux?.seccomp;
  if (sc?.listenerPath) {
    const processState: Record<string, unknown> = { ociVersion: state.ociVersion, fds: ['seccompFd'], pid: processPid, state: { ...state, status: listenerStatus } };
    if (sc.listenerMetadata !== undefined) processState.metadata = sc.listenerMetadata;
    parts.push(JSON.stringify(processState));
  }
  return Buffer.from(parts.join('\0'));
}

function cgroupBinds(config: Spec, cg: CgroupManager): CgroupBind[] | undefined {
  if (!(config.mounts ?? []).some((m) => m.type === 'cgroup')) return undefined;
  if (cg.kind === 'v2') return undefined;
  return Object.entries(cg.paths())
    .filter(([k]) => k !== '' && k !== 'unified')
    .map(([k, source]) => ({ name: k.replace(/^name=/, ''), source }));
}

/** How many fds systemd socket activation passed to this process (LISTEN_PID must be ours). */
function listenFds(): number {
  const n = Number(process.env.LISTEN_FDS);
  if (!process.env.LISTEN_FDS || !Number.isInteger(n) || n <= 0) return 0;
  return Number(process.env.LISTEN_PID) === process.pid ? n : 0;
}

/**
 * After the pid frame the init holds the other end (a create's stage 0 has
 * exited): its end without an error frame means it died, killed or crashed.
 */
function initDied(pid: number, when: string): TsrunError {
  const { processEnd } = require('./executor-death.js') as typeof import('./executor-death.js');
  const end = processEnd(pid);
  return new TsrunError(`the container init (pid ${pid}) died without a report ${when}${end ? ` (${end})` : ''}`);
}

// process.hrtime, not performance: touching `performance` loads perf_hooks (~1 ms)
const t0 = process.hrtime.bigint();
const lap = (what: string) => log.debug(`create: ${what} at ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(1)} ms`);

export async function createContainer(o: CreateOptions): Promise<Created | { plan: Plan; text: string }> {
  lap('start');
  const { loadBundle } = await import('../spec/bundle.js');
  const { config, bundle, rootfs } = loadBundle(o.bundle, { forCreate: true, systemdCgroup: o.systemdCgroup });
  const state = await import('../state/index.js');
  state.validateId(o.id);
  const { compileCreate, explainPlan } = await import('../plan/index.js');
  // socket activation (runc): fds 3.. handed to us by systemd go on to the
  // container before the --preserve-fds ones, announced to it as LISTEN_FDS
  const listen = listenFds();
  const preserveFds = listen + (o.preserveFds ?? 0);
  const runConfig: Spec = listen > 0 && config.process
    ? { ...config, process: { ...config.process, env: [...(config.process.env ?? []), `LISTEN_FDS=${listen}`, 'LISTEN_PID=1'] } }
    : config;
  const seccomp = config.linux?.seccomp
    ? (await import('../sys/seccomp-cache.js')).cachedSeccomp((await import('../state/cache-dir.js')).cacheDir(), config.linux.seccomp)
    : undefined;
  // a caller without root maps more than its own ids through newuidmap/newgidmap
  const idMaps = (process.geteuid?.() ?? 0) !== 0 ? await import('./id-map-helpers.js') : undefined;
  const ctxBase = {
    id: o.id, bundle, rootfs, consoleSocket: o.consoleSocket, pidfdSocket: o.pidfdSocket,
    noPivot: o.noPivot, noNewKeyring: o.noNewKeyring, preserveFds, monitor: o.monitor, proxyTty: o.proxyTty, rootless: o.rootless, seccomp,
    idMapHelpers: idMaps?.idMapHelpers(config, idMaps.thisMapCaller()),
    bounding: ownBoundingSet(),
    hostKcore: existsSync('/proc/kcore'),
    apparmorEnabled: config.process?.apparmorProfile ? (await import('./apparmor-host.js')).apparmorEnabled() : false,
  };
  const { openCgroup, containerDeviceRules } = await import('../cgroups/index.js');
  // Only paths so far: the plan names the cgroup.procs files the executor
  // puts the init into. Compiled before touching --root or the cgroup tree:
  // a config the compiler refuses leaves no trace.
  const cg = openCgroup({
    id: o.id, cgroupsPath: config.linux?.cgroupsPath, systemd: o.systemdCgroup, rootless: o.rootless, annotations: config.annotations,
  });
  const { plan, warnings } = compileCreate(runConfig, {
    ...ctxBase, stateDir: state.containerDir(o.root, o.id), cgroupBinds: cgroupBinds(config, cg), cgroupV2: cg.kind === 'v2', cgroupProcs: cg.procsFiles(),
    cgroupAnnounce: cg.needsPid,
  });
  for (const w of warnings) log.warn(w);
  // the build's code cache is taken after a dry run (build/code-cache.mjs): it goes as far as a create can without side effects
  if (o.dryRun) return { plan, text: explainPlan(plan, encodePlan(plan).length) };
  lap('validated and compiled');
  // runc 1.1 warns (and goes on) when the cgroup it is given already holds
  // processes: they would share the container's limits, freezer and kill --all
  const strangers = cg.pids().length;
  if (strangers > 0) log.warn(`container's cgroup is not empty: ${strangers} process(es) found`);
  const { claimId } = await import('./claim-id.js');
  const claim = claimId(o.root, o.id);
  const dir = claim.dir;
  let cgroupMade = false;
  let pidFileWritten: string | undefined;
  let executor: Executor | undefined;
  // the plan has the executor clone while we make the cgroup, and wait until we say it exists
  const cloneFirst = plan.ops.some((op) => op.op === 'wait_cgroup');
  let executorWaits = false;
  let pid = 0;
  try {
    // linux.devices are made, not allowed: the device cgroup grants only what
    // linux.resources.devices lists (runc does the same; a denied node stays denied).
    const resources = { ...config.linux?.resources, deviceRules: containerDeviceRules(config.linux?.resources?.devices) };
    state.writeCgroupPaths(dir, cg.paths(), cg.unit);
    if (cloneFirst) {
      executor = new Executor(plan, preserveFds);
      executorWaits = true;
    }
    if (cg.needsPid) {
      // systemd's scope starts with the init in it: stage 0 says its pid and waits
      const cloned = await executor!.next((m) => log.debug(m));
      if (cloned.type === 'error') throw executor!.errorOf(cloned);
      if (cloned.type === 'eof') throw executor!.died('before it announced the container init');
      if (cloned.type !== 'cloned') throw new TsrunError('executor did not announce the container init');
      cgroupMade = true;
      cg.start!(cloned.pid, resources);
      lap('systemd unit started');
    }
    const made = cg.prepare(resources);
    cgroupMade = true;
    // The executor opens the cgroup.procs files and puts the init in its
    // cgroup while we write the limits; the init makes its mounts and device
    // nodes meanwhile and waits for GO before its hooks and pivot. GO goes
    // only after the limits are in place: runc too sets them while its init
    // waits there, after it joined and prepared.
    if (executor) executor.send(MsgType.cgroup);
    else executor = new Executor(plan, preserveFds);
    executorWaits = false;
    cg.apply(resources, made);
    lap('cgroup made, plan sent');
    // The executor's notes (an ambient capability it could not raise...) are runc's warnings, which runc logs;
    // without --log they would land in the container's stderr, so they are debug output here.
    const onWarning = (m: string) => log.debug(m);

    const first = await executor.next(onWarning);
    if (first.type === 'error') throw executor.errorOf(first);
    if (first.type === 'eof') throw executor.died('before it reported the container pid (cloning the init into its namespaces and cgroup)');
    if (first.type !== 'pid') throw new TsrunError('executor exited before reporting the container pid');
    pid = first.pid;
    lap('executor reported the pid, in its cgroup');
    const hooksFirst = !!(config.hooks?.prestart?.length || config.hooks?.createRuntime?.length);
    // runtime.md: `creating` is lifecycle step 2 only; `created` is after it,
    // before the program runs: what prestart, createRuntime, createContainer
    // (steps 3-5) and startContainer (step 7, from the same go body) see.
    const seen = hookState({ ociVersion: config.ociVersion, id: o.id, pid, bundle, annotations: config.annotations ?? {} }, 'created');
    // (an init that failed to prepare its rootfs is gone: its error is the next frame)
    const go = () => executor!.send(MsgType.go, goBody(seen, config, pid, 'creating'));
    // the record and, beside it, the fast form of the later hot commands (bin/tsrun)
    const { record } = Container.started(o.root, {
      id: o.id, pid, bundle, rootfs, config, cgroupPaths: cg.paths(), cgroupUnit: cg.unit, systemdCgroup: o.systemdCgroup === true,
    });
    // GO only once the record is there: past GO the init finishes its setup
    // and then watches nothing but the exec fifo, so a create killed before
    // its record would leave it waiting there with no container to start or
    // delete (before GO it dies with our socket). bench/TRIED.md row 66.
    if (!hooksFirst) go();
    if (hooksFirst) {
      // as under runc, they run once the init has made its mounts (it says so: wait_go's report)
      const prepared = await executor.next(onWarning);
      if (prepared.type === 'error') throw executor.errorOf(prepared);
      if (prepared.type === 'eof') throw initDied(pid, 'while it prepared its rootfs');
      if (prepared.type !== 'prepared') throw new TsrunError('container init exited during setup');
      // hooks.js loads node:child_process (~4 ms): only for a config with hooks
      const { runHooks } = await import('./hooks.js');
      runHooks('prestart', config.hooks?.prestart, seen);
      runHooks('createRuntime', config.hooks?.createRuntime, seen);
      go();
    }
    // while the init still sets itself up; taken back if it fails
    if (o.pidFile) pidFileWritten = writePidFile(o.pidFile, pid);
    lap('state written, hooks run');

    const second = await executor.next(onWarning);
    if (second.type === 'error') throw executor.errorOf(second);
    if (second.type === 'eof') throw initDied(pid, 'while it finished its setup');
    if (second.type !== 'ready') throw new TsrunError('container init exited during setup');
    lap('init ready');
    claim.release();
    return { id: o.id, dir, pid, record, executor, config, cgroup: cg };
  } catch (err) {
    // Every step is tried whatever the one before it threw: the state dir
    // goes last and always, so the id can be created again at once.
    const undo = async (what: string, step: () => unknown): Promise<void> => {
      try {
        await step();
      } catch (e) {
        log.debug(`cleanup: ${what}: ${String(e)}`);
      }
    };
    if (pidFileWritten) await undo('pid file', () => removePidFile(pidFileWritten!));
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    // still waiting for the cgroup: it kills the clone itself; we wait until it has
    if (executorWaits) await undo('executor', () => executor!.abort());
    await undo('executor', () => executor?.close());
    if (cgroupMade) {
      await undo('cgroup', () => {
        if (pid > 0) cg.killAll(9);
        cg.destroy();
      });
    }
    try {
      state.removeContainerDir(o.root, o.id);
    } catch (e) {
      log.warn(`cleanup: ${(e as Error).message}`);
    }
    claim.release();
    throw err;
  }
}


