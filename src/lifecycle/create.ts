// `create`: validate, claim the state dir, make the cgroup, start the
// executor with the plan, place the init in its cgroup, run prestart and
// createRuntime hooks, record the state, let the init finish its setup, and
// return with the init blocked on the exec fifo. Any failure undoes it all.
import { closeSync, openSync, readFileSync, write } from 'node:fs';
import { ownBoundingSet } from './bounding-set.js';
import { TsrunError } from '../errors.js';
import { log } from '../log.js';
import type { CgroupManager } from '../cgroups/index.js';
import type { CgroupBind, Plan } from '../plan/index.js';
import type { Spec } from '../spec/types.js';
import type { ContainerRecord } from '../state/index.js';
import { MsgType } from '../plan/generated/ops.js';
import { Executor } from './executor.js';
import { runHooks, type HookState } from './hooks.js';
import { writePidFile } from './pidfile.js';

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

export function hookState(record: Pick<ContainerRecord, 'ociVersion' | 'id' | 'pid' | 'bundle' | 'annotations'>, status: string): HookState {
  const s: HookState = { ociVersion: record.ociVersion, id: record.id, status, pid: record.pid, bundle: record.bundle };
  if (record.annotations && Object.keys(record.annotations).length > 0) s.annotations = record.annotations;
  return s;
}

/**
 * The GO message: the state for in-container hooks and, with a seccomp
 * listener, the container process state the listener receives (config-linux.md).
 */
export function goBody(state: HookState, config: Spec, processPid = state.pid): Buffer {
  const parts = [JSON.stringify(state)];
  const sc = config.linux?.seccomp;
  if (sc?.listenerPath) {
    const processState: Record<string, unknown> = { ociVersion: state.ociVersion, fds: ['seccompFd'], pid: processPid, state };
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
 * Warm the kernel's cgroup migration lock. The first write to any
 * cgroup.procs waits out an RCU grace period (~8-15 ms on this kind of
 * host); writes within ~15 ms after one finishes are ~0.1 ms. So while the
 * executor is spawned, a libuv thread moves this process into the cgroup it
 * is already in (a no-op; `r+` never creates a file) and the init's join
 * after it is fast. Best effort: any failure only loses the head start.
 */
function warmCgroupJoin(): void {
  let fd: number;
  try {
    const lines = readFileSync('/proc/self/cgroup', 'utf8').split('\n');
    const line = lines.find((l) => /^\d+:(pids|freezer):\//.test(l)) ?? lines.find((l) => l.startsWith('0::/'));
    if (!line) return;
    const [, ctrl, path] = line.split(':', 3) as [string, string, string];
    // opened here, written on a libuv thread: fs.writeFile would only
    // schedule its write from the event loop, after create's synchronous work
    const file = ctrl ? `/sys/fs/cgroup/${ctrl}${path}/cgroup.procs` : `/sys/fs/cgroup${path}/cgroup.procs`;
    // only where we already are (another cgroup namespace or mount view may name a different one)
    if (!readFileSync(file, 'utf8').split('\n').includes(String(process.pid))) return;
    fd = openSync(file, 'r+');
  } catch {
    return;
  }
  write(fd, String(process.pid), () => closeSync(fd));
}

const t0 = performance.now();
const lap = (what: string) => log.debug(`create: ${what} at ${(performance.now() - t0).toFixed(1)} ms`);

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
  const seccomp = config.linux?.seccomp ? (await import('../sys/seccomp.js')).compileSeccomp(config.linux.seccomp) : undefined;
  const ctxBase = {
    id: o.id, bundle, rootfs, consoleSocket: o.consoleSocket, pidfdSocket: o.pidfdSocket,
    noPivot: o.noPivot, noNewKeyring: o.noNewKeyring, preserveFds, monitor: o.monitor, proxyTty: o.proxyTty, rootless: o.rootless, seccomp,
    bounding: ownBoundingSet(),
  };
  if (o.dryRun) {
    const { plan, warnings } = compileCreate(runConfig, { ...ctxBase, stateDir: state.containerDir(o.root, o.id) });
    for (const w of warnings) log.warn(w);
    return { plan, text: explainPlan(plan) };
  }
  // Compile once before touching --root: a config the compiler refuses leaves no trace.
  compileCreate(runConfig, { ...ctxBase, stateDir: state.containerDir(o.root, o.id) });

  lap('validated and compiled');
  const { openCgroup, containerDeviceRules } = await import('../cgroups/index.js');
  const dir = state.createContainerDir(o.root, o.id);
  let cg: CgroupManager | undefined;
  let executor: Executor | undefined;
  let pid = 0;
  try {
    cg = openCgroup({ id: o.id, cgroupsPath: config.linux?.cgroupsPath, systemd: o.systemdCgroup });
    // linux.devices are made, not allowed: the device cgroup grants only what
    // linux.resources.devices lists (runc does the same; a denied node stays denied).
    cg.create({ ...config.linux?.resources, deviceRules: containerDeviceRules(config.linux?.resources?.devices) });
    const { plan, warnings } = compileCreate(runConfig, { ...ctxBase, stateDir: dir, cgroupBinds: cgroupBinds(config, cg) });
    for (const w of warnings) log.warn(w);
    lap('cgroup created');
    if (!o.rootless) warmCgroupJoin();
    executor = new Executor(plan, preserveFds);
    // The executor's notes (an ambient capability it could not raise...) are runc's warnings, which runc logs;
    // without --log they would land in the container's stderr, so they are debug output here.
    const onWarning = (m: string) => log.debug(m);

    const first = await executor.next(onWarning);
    if (first.type === 'error') throw executor.errorOf(first);
    if (first.type !== 'pid') throw new TsrunError('executor exited before reporting the container pid');
    pid = first.pid;
    lap('executor reported the pid');
    cg.addPid(pid);
    lap('pid in the cgroup');
    const record: ContainerRecord = {
      ociVersion: config.ociVersion,
      id: o.id,
      pid,
      pidStartTime: state.processStartTime(pid) ?? 0,
      bundle,
      rootfs,
      created: state.nowRfc3339Nano(),
      annotations: config.annotations ?? {},
      owner: process.getuid?.() ?? 0,
      config: config as unknown as ContainerRecord['config'],
      cgroupPaths: cg.paths(),
    };
    // State first: a create killed from here on leaves a container `delete --force` can clean.
    state.writeRecord(dir, record);
    // runtime.md: `creating` is lifecycle step 2 only; `created` is after it,
    // before the program runs: what prestart, createRuntime, createContainer
    // (steps 3-5) and startContainer (step 7, from the same go body) see.
    runHooks('prestart', config.hooks?.prestart, hookState(record, 'created'));
    runHooks('createRuntime', config.hooks?.createRuntime, hookState(record, 'created'));
    lap('state written, hooks run');
    executor.send(MsgType.go, goBody(hookState(record, 'created'), config));

    const second = await executor.next(onWarning);
    if (second.type === 'error') throw executor.errorOf(second);
    if (second.type !== 'ready') throw new TsrunError('container init exited during setup');
    lap('init ready');
    if (o.pidFile) writePidFile(o.pidFile, pid);
    return { id: o.id, dir, pid, record, executor, config, cgroup: cg };
  } catch (err) {
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }
    executor?.close();
    if (cg) {
      try {
        if (pid > 0) cg.killAll(9);
        cg.destroy();
      } catch (e) {
        log.debug(`cleanup: cgroup: ${String(e)}`);
      }
    }
    state.removeContainerDir(o.root, o.id);
    throw err;
  }
}


