// `exec`: a new process in a running container. The executor joins every
// namespace of the init (user first), the runtime puts the process into the
// container's cgroup before it runs, and the same process-attribute ops as
// create apply. A setup failure exits 255 (runc), so callers can tell it
// from the payload's own status.
import { ownBoundingSet } from './bounding-set.js';
import { RuncText, TsrunError } from '../errors.js';
import { log } from '../log.js';
import type { Process, Spec } from '../spec/types.js';
import type { AppArmorRequest } from '../plan/apparmor.js';
import { userOf } from '../plan/process.js';
import type { ContainerRecord } from '../state/types.js';
import { MsgType } from '../plan/generated/ops.js';
import { goBody } from './create.js';
import { Executor } from './executor.js';
import { exitCodeOf } from './exit.js';
import { removePidFile, writePidFile } from './pidfile.js';
import { forwardSignals, type SignalForwarder } from './forward-signals.js';

export interface ExecFlags {
  process?: string;
  args: string[];
  cwd?: string;
  env: string[];
  tty: boolean;
  user?: string;
  additionalGids: string[];
  caps: string[];
  noNewPrivs: boolean;
  /** `--apparmor`: the profile instead of the container's (not with --process, as runc). */
  apparmor?: string;
}

export interface ExecOptions {
  root: string;
  id: string;
  flags: ExecFlags;
  detach?: boolean;
  pidFile?: string;
  consoleSocket?: string;
  pidfdSocket?: string;
  preserveFds?: number;
  ignorePaused?: boolean;
  rootless?: boolean;
  /** `--cgroup` arguments: existing sub-cgroups of the container to run in (src/lifecycle/exec-cgroup.ts). */
  cgroups?: string[];
}

const SETUP_FAILED = 255;

function setupError(message: string, field?: string, file?: string): TsrunError {
  return new TsrunError(message, { exitCode: SETUP_FAILED, field, file });
}

/** The process to run: a process.json, or the container's process with the flags applied (runc's getProcess). */
/** What a foreground exec passes on to its process (run adds SIGCONT). */
const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH'];

export async function execProcess(config: Spec, f: ExecFlags): Promise<{ proc: Process; file: string }> {
  if (f.process) {
    const { loadProcessFile } = await import('../spec/bundle.js');
    return { proc: loadProcessFile(f.process), file: f.process };
  }
  if (f.args.length === 0) throw setupError('exec args cannot be empty');
  const base = config.process ?? { user: { uid: 0, gid: 0 }, cwd: '/' };
  const proc: Process = JSON.parse(JSON.stringify(base)) as Process;
  proc.args = f.args;
  delete proc.commandLine;
  if (f.cwd) proc.cwd = f.cwd;
  const { invalidEnv } = await import('../spec/semantics.js');
  const bad = f.env.find((e) => !e.includes('='));
  if (bad !== undefined) throw setupError(`--env ${JSON.stringify(bad)}: ${invalidEnv(bad)}`);
  proc.env = [...(proc.env ?? []), ...f.env];
  proc.terminal = f.tty;
  if (f.user) {
    const m = /^(\d+)(?::(\d+))?$/.exec(f.user);
    if (!m) throw setupError(`parsing ${f.user} as uid[:gid]: invalid user`);
    const user = userOf(proc);
    proc.user = { ...user, uid: Number(m[1]), gid: m[2] === undefined ? user.gid : Number(m[2]) };
  }
  if (f.additionalGids.length > 0) proc.user = { ...userOf(proc), additionalGids: f.additionalGids.map(Number) };
  if (f.caps.length > 0) {
    const caps = proc.capabilities ?? {};
    for (const set of ['bounding', 'effective', 'permitted'] as const) caps[set] = [...new Set([...(caps[set] ?? []), ...f.caps])];
    proc.capabilities = caps;
  }
  if (f.noNewPrivs) proc.noNewPrivileges = true;
  if (f.apparmor) proc.apparmorProfile = f.apparmor;
  return { proc, file: 'config.json' };
}

/**
 * The profile an exec'd process takes, as runc picks it: the process's own
 * (process.json, or --apparmor), else the container's.
 */
export function execAppArmor(config: Spec, proc: Process, file: string, f: ExecFlags): AppArmorRequest | undefined {
  if (!f.process && f.apparmor) return { profile: f.apparmor, flag: '--apparmor' };
  if (proc.apparmorProfile) return { profile: proc.apparmorProfile, file, field: file === 'config.json' ? '/process/apparmorProfile' : '/apparmorProfile' };
  const own = config.process?.apparmorProfile;
  return own ? { profile: own, file: 'config.json', field: '/process/apparmorProfile' } : undefined;
}

export async function execInContainer(o: ExecOptions): Promise<number> {
  const { Container } = await import('../state/container.js');
  const container = Container.load(o.root, o.id);
  const record: ContainerRecord = container.record;
  const status = container.status();
  if (status === 'stopped' || status === 'creating') throw setupError('cannot exec in a stopped container');
  if (status === 'paused' && !o.ignorePaused) throw setupError('cannot exec in a paused container (use --ignore-paused to override)');
  void RuncText;
  const config = container.config;
  const { proc, file } = await execProcess(config, o.flags);
  if (proc.terminal && o.detach && !o.consoleSocket) throw setupError('cannot allocate tty if tsrun will detach without setting console socket');
  if (!proc.terminal && o.consoleSocket) throw setupError('cannot use console socket if tsrun will not detach or allocate tty');
  let cgroupPaths = record.cgroupPaths ?? {};
  if (o.cgroups?.length) {
    if (Object.keys(cgroupPaths).length === 0) throw setupError('exec --cgroup: the container has no cgroup');
    cgroupPaths = (await import('./exec-cgroup.js')).execCgroupPaths(cgroupPaths, o.cgroups);
  }
  const { compileExec } = await import('../plan/compile.js');
  // runc applies the container's profile to exec'd processes too
  const seccomp = config.linux?.seccomp
    ? (await import('../sys/seccomp-cache.js')).cachedSeccomp((await import('../state/cache-dir.js')).cacheDir(), config.linux.seccomp)
    : undefined;
  const preserveFds = o.preserveFds ?? 0;
  // pure cgroup v2: the process is born in its cgroup, so a pids.max already
  // reached refuses it (crun does the same); not rootless, whose stage 0 must
  // join the container's user namespace before any other
  const keys = Object.keys(cgroupPaths);
  const cloneIntoCgroup = !o.rootless && keys.length === 1 && keys[0] === 'unified' ? cgroupPaths.unified : undefined;
  const apparmor = execAppArmor(config, proc, file, o.flags);
  let compiled;
  try {
    compiled = compileExec(proc, config, {
      initPid: record.pid, consoleSocket: o.consoleSocket, pidfdSocket: o.pidfdSocket, preserveFds, monitor: !o.detach, proxyTty: !o.detach, rootless: o.rootless, seccomp,
      bounding: ownBoundingSet(), cloneIntoCgroup, apparmor, apparmorEnabled: apparmor ? (await import('./apparmor-host.js')).apparmorEnabled() : false,
    }, file);
  } catch (err) {
    if (err instanceof TsrunError) throw new TsrunError(err.message, { field: err.field, file: err.file, exitCode: SETUP_FAILED });
    throw err;
  }
  for (const w of compiled.warnings) log.warn(w);
  const executor = new Executor(compiled.plan, preserveFds);
  let pid = 0;
  let pidFileWritten: string | undefined;
  let forward: SignalForwarder | undefined;
  try {
    const first = await executor.next((m) => log.debug(m));
    if (first.type === 'error') throw executor.errorOf(first, file);
    if (first.type === 'eof') throw executor.died('before it reported the process pid');
    if (first.type !== 'pid') throw new TsrunError('executor exited before reporting the process pid');
    pid = first.pid;
    if (keys.length > 0 && !cloneIntoCgroup) {
      const { fromPaths } = await import('../cgroups/index.js');
      fromPaths(cgroupPaths).addPid(pid);
    }
    // before GO, as runc: a pid file that cannot be written stops the
    // process before it runs the command
    if (o.pidFile) {
      try {
        pidFileWritten = writePidFile(o.pidFile, pid);
      } catch (err) {
        throw new TsrunError(`exec failed: ${(err as Error).message}`, { errno: (err as TsrunError).errno });
      }
    }
    // hooks see the container; a seccomp listener sees the exec'd process (the pid it gets notifications from)
    const body = goBody({ ociVersion: record.ociVersion, id: record.id, status, pid: record.pid, bundle: record.bundle }, config, pid);
    if (!o.detach) forward = forwardSignals(pid, FORWARDED);
    executor.send(MsgType.go, body);
    const second = await executor.next((m) => log.debug(m));
    if (second.type === 'error') throw executor.errorOf(second, file, 'exec failed: unable to start container process: ');
    if (second.type !== 'ready') throw new TsrunError('exec failed: the process exited during setup');
  } catch (err) {
    forward?.stop();
    if (pidFileWritten) removePidFile(pidFileWritten);
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    executor.close();
    if (err instanceof TsrunError) throw new TsrunError(err.message, { field: err.field, file: err.file, errno: err.errno, exitCode: SETUP_FAILED });
    throw err;
  }
  if (o.detach) {
    executor.close();
    return 0;
  }
  forward!.released();
  try {
    executor.listen();
    const f = await executor.next((m) => log.debug(m));
    if (f.type === 'exit') return exitCodeOf(f.status);
    throw setupError('lost the exec monitor before the process exited');
  } finally {
    forward!.stop();
    executor.close();
  }
}
