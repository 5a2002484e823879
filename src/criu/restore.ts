// `restore`: criu recreates a checkpointed process tree as a new container
// of the bundle's config. As runc: the cgroup is made from the config and
// criu is moved into it first (so the tree lands there, cg_root), the rootfs
// is bind-mounted where criu pivots into it, external mounts and namespaces
// are mapped back to the host, the init's old stdio pipes become ours. criu
// reports back while it works: setup-namespaces (prestart and createRuntime
// hooks run then, with the restored pid), post-restore (the record is
// written: the container is `running`), orphan-pts-master (a terminal's
// master goes to --console-socket). Foreground, tsrun waits for the init and
// deletes the container when it exits; --detach returns at once.
import { closeSync, lstatSync, openSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { TsrunError } from '../errors.js';
import { log } from '../log.js';
import type { Spec } from '../spec/types.js';
import type { ContainerRecord } from '../state/types.js';
import { Dir, errnoOf, makeDirs } from '../state/safe-fs.js';
import { Container } from '../state/container.js';
import type { HookState } from '../lifecycle/hooks.js';
import { DESCRIPTORS, externalNamespaces, inheritStdio, nsKey, restoreExtMounts } from './external.js';
import { MS_BIND, MS_REC, mount, sendFdToSocket, umount, waitpidNoHang } from './libc.js';
import type { CriuFlags } from './options.js';
import { commonOpts } from './options.js';
import { loadRpc } from './rpc.js';
import { swrk } from './swrk.js';

export interface RestoreOptions {
  root: string;
  id: string;
  bundle: string;
  flags: CriuFlags;
  criu?: string;
  pidFile?: string;
  consoleSocket?: string;
  detach: boolean;
  systemdCgroup?: boolean;
  rootless?: boolean;
}

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH', 'SIGCONT'];

/** Namespaces criu joins by path at restore (criu's names); network and pid go as external. */
const JOINABLE: Record<string, string> = { ipc: 'ipc', uts: 'uts' };

/**
 * Mount points of the bind mounts the image expects, made in the rootfs if
 * missing (a fresh rootfs for a new container); never through a symlink,
 * and not under a tmpfs of the config, whose content criu brings back.
 */
function makeMountpoints(config: Spec, rootfs: string, bundle: string): void {
  const tmpfs = (config.mounts ?? []).filter((m) => m.type === 'tmpfs').map((m) => posix.normalize(m.destination));
  for (const m of config.mounts ?? []) {
    const isBind = m.type === 'bind' || (m.options ?? []).some((o) => o === 'bind' || o === 'rbind');
    if (!isBind || !m.source) continue;
    const dest = posix.normalize(`/${m.destination}`);
    if (tmpfs.some((t) => dest.startsWith(`${t}/`))) continue;
    let fileSource = false;
    try {
      fileSource = !lstatSync(posix.isAbsolute(m.source) ? m.source : join(bundle, m.source)).isDirectory();
    } catch {
      /* criu will say */
    }
    // each level through its own fd: a link in the rootfs is never followed
    const parts = dest.split('/').filter(Boolean);
    let dir = Dir.open(rootfs, { follow: true });
    try {
      for (let i = 0; i < parts.length; i++) {
        const name = parts[i]!;
        const last = i === parts.length - 1;
        try {
          if (last && fileSource) dir.create(name, '', 0o644);
          else dir.mkdir(name, 0o755);
        } catch (err) {
          if (errnoOf(err) !== 'EEXIST') throw err;
        }
        if (last) break;
        let next: Dir;
        try {
          next = dir.sub(name);
        } catch (err) {
          log.warn(`restore: not making the mount point ${dest}: ${parts.slice(0, i + 1).join('/')} is not a directory (${errnoOf(err) ?? String(err)})`);
          break;
        }
        dir.close();
        dir = next;
      }
    } finally {
      dir.close();
    }
  }
}

/** The mount point criu restored through: rmdir only, so a rootfs still bound there is never emptied. */
function removeCriuRoot(stateDir: string): void {
  const d = Dir.open(stateDir);
  try {
    d.rmdir('criu-root');
  } finally {
    d.close();
  }
}

/** Each controller's path of `pid` from /proc (v2: the "" controller), as criu's cg_root takes them. */
function cgroupRoots(pid: number): Array<{ ctrl?: string; path: string }> {
  return readFileSync(`/proc/${pid}/cgroup`, 'utf8').split('\n').filter(Boolean).map((line) => {
    const [, ctrl = '', path = '/'] = /^\d+:([^:]*):(.*)$/.exec(line) ?? [];
    return ctrl ? { ctrl, path } : { path };
  });
}

export async function restoreContainer(o: RestoreOptions): Promise<number> {
  const f = o.flags;
  const { loadBundle } = await import('../spec/bundle.js');
  const { config, bundle, rootfs } = loadBundle(o.bundle, { forCreate: true, systemdCgroup: o.systemdCgroup });
  const state = await import('../state/index.js');
  state.validateId(o.id);
  const terminal = config.process?.terminal === true;
  if (terminal && o.detach && !o.consoleSocket) throw new TsrunError('cannot allocate tty if tsrun will detach without setting console socket');
  if (!terminal && o.consoleSocket) throw new TsrunError('cannot use console socket if tsrun will not detach or allocate tty');
  if (terminal && !o.detach) throw new TsrunError('restore of a container with a terminal needs --detach and --console-socket (tsrun does not proxy a restored terminal)');
  for (const ns of config.linux?.namespaces ?? []) {
    if (ns.path && ns.type !== 'network' && ns.type !== 'pid' && !JOINABLE[ns.type]) {
      throw new TsrunError(`restore cannot join the ${ns.type} namespace ${ns.path}`, { file: 'config.json', field: '/linux/namespaces' });
    }
  }
  const rpc = loadRpc();
  log.debug(`restore: bundle loaded, criu's rpc.proto parsed at ${(performance.now() / 1000).toFixed(2)} s of the process`);
  let descriptors: unknown;
  try {
    descriptors = JSON.parse(readFileSync(join(f.imagePath, DESCRIPTORS), 'utf8'));
  } catch (err) {
    throw new TsrunError(`--image-path ${f.imagePath}: not a checkpoint (${DESCRIPTORS}: ${(err as Error).message})`);
  }
  const imageFd = openSync(f.imagePath, 'r');
  let workFd: number | undefined;
  const nsFds: number[] = [];
  const { openCgroup, containerDeviceRules } = await import('../cgroups/index.js');
  const cg = openCgroup({ id: o.id, cgroupsPath: config.linux?.cgroupsPath, systemd: o.systemdCgroup, rootless: o.rootless, annotations: config.annotations });
  const dir = state.createContainerDir(o.root, o.id);
  const criuRoot = join(dir, 'criu-root');
  let mounted = false;
  let cgroupMade = false;
  let pid = 0;
  let record: ContainerRecord | undefined;
  try {
    if (f.workPath) {
      makeDirs(f.workPath, 0o700);
      workFd = openSync(f.workPath, 'r');
    }
    state.writeCgroupPaths(dir, cg.paths(), cg.unit);
    const resources = { ...config.linux?.resources, deviceRules: containerDeviceRules(config.linux?.resources?.devices) };
    const makeCgroup = () => {
      const made = cg.prepare(resources);
      cgroupMade = true;
      cg.apply(resources, made);
    };
    // a systemd scope starts with a process in it: criu's, in started() below
    if (!cg.needsPid) makeCgroup();
    makeMountpoints(config, rootfs, bundle);
    // criu pivots into the root it is given, which must be a mount point
    const stateDir = Dir.open(dir);
    try {
      stateDir.mkdir('criu-root', 0o755);
    } finally {
      stateDir.close();
    }
    mount(rootfs, criuRoot, MS_BIND | MS_REC);
    mounted = true;
    const opts: Record<string, unknown> = {
      ...commonOpts(f, (m) => rpc.cgMode(m)),
      images_dir_fd: imageFd,
      log_file: 'restore.log',
      evasive_devices: true,
      rst_sibling: true,
      root: criuRoot,
      orphan_pts_master: true,
    };
    if (workFd !== undefined) opts.work_dir_fd = workFd;
    if (f.lsmProfile) opts.lsm_profile = f.lsmProfile;
    if (f.lsmMountContext) opts.lsm_mount_context = f.lsmMountContext;
    const inherit: Array<{ key: string; fd: number }> = inheritStdio(descriptors);
    for (const ns of externalNamespaces(config)) {
      try {
        nsFds.push(openSync(ns.path, 'r'));
      } catch (err) {
        throw new TsrunError(`Requested ${ns.type} namespace ${ns.path} does not exist: ${(err as Error).message}`, { file: 'config.json', field: '/linux/namespaces' });
      }
      // criu's fds: 0-2 stdio, 3 its socket, then ours in order
      inherit.push({ key: nsKey(ns.type), fd: 3 + nsFds.length });
    }
    if (inherit.length) opts.inherit_fd = inherit;
    const joins = (config.linux?.namespaces ?? []).filter((ns) => ns.path && JOINABLE[ns.type]).map((ns) => ({ ns: JOINABLE[ns.type]!, ns_file: ns.path! }));
    if (joins.length) opts.join_ns = joins;
    const ext = restoreExtMounts(config, bundle);
    if (ext.length) opts.ext_mnt = ext;

    // hooks.js loads node:child_process: only for a config with hooks to run
    const hooks = config.hooks?.prestart?.length || config.hooks?.createRuntime?.length ? await import('../lifecycle/hooks.js') : undefined;
    const resp = await swrk(rpc, { type: rpc.reqType('RESTORE'), opts }, {
      criu: o.criu,
      stdio: 'inherit',
      extraFds: nsFds,
      logDir: f.workPath ?? f.imagePath,
      logFile: 'restore.log',
      started: (criuPid) => {
        // the tree criu makes is born in criu's cgroup: the container's
        if (cg.needsPid) {
          cgroupMade = true;
          cg.start!(criuPid, resources);
          makeCgroup();
        } else cg.addPid(criuPid);
        opts.cg_root = cgroupRoots(criuPid);
      },
      notify: (n) => {
        try {
          if (n.script === 'setup-namespaces' && hooks) {
            // runc runs them here: the namespaces exist, the tree is not yet running
            const seen: HookState = { ociVersion: config.ociVersion, id: o.id, status: 'created', pid: n.pid, bundle };
            if (Object.keys(config.annotations ?? {}).length) seen.annotations = config.annotations;
            hooks.runHooks('prestart', config.hooks?.prestart, seen);
            hooks.runHooks('createRuntime', config.hooks?.createRuntime, seen);
          } else if (n.script === 'post-restore') {
            pid = n.pid;
            // the record, and beside it the fast form of the hot later commands, as create saves them
            record = Container.started(o.root, {
              id: o.id, pid, bundle, rootfs, config, cgroupPaths: cg.paths(), cgroupUnit: cg.unit, systemdCgroup: o.systemdCgroup === true,
            }).record;
          } else if (n.script === 'orphan-pts-master' && o.consoleSocket && n.fds[0] !== undefined) {
            sendFdToSocket(o.consoleSocket, n.fds[0], 'orphan-pts-master');
          }
          // network-lock/-unlock: no network devices are configured by tsrun to detach or attach (the network namespace is empty_ns, as under runc)
        } finally {
          for (const fd of n.fds) closeSync(fd);
        }
      },
    });
    // the cg_root above is set before the request is encoded: started() runs first
    const restored = (resp.restore as { pid?: number } | undefined)?.pid ?? pid;
    if (!record || restored !== pid) throw new TsrunError(`criu restored pid ${restored} without a post-restore notification`);
    if (o.pidFile) (await import('../lifecycle/pidfile.js')).writePidFile(o.pidFile, pid);
    log.debug(`restore: restored pid ${pid} at ${(performance.now() / 1000).toFixed(2)} s of the process`);
  } catch (err) {
    const undo = (what: string, step: () => unknown) => {
      try {
        step();
      } catch (e) {
        log.debug(`cleanup: ${what}: ${String(e)}`);
      }
    };
    if (pid > 0) undo('kill', () => process.kill(pid, 'SIGKILL'));
    if (cgroupMade) {
      undo('cgroup', () => {
        cg.killAll(9);
        cg.destroy();
      });
    }
    if (mounted) {
      undo('unmount', () => {
        umount(criuRoot);
        mounted = false;
      });
    }
    // the state dir goes only once nothing is mounted in it: its removal would descend into the rootfs
    if (!mounted) {
      undo('criu-root', () => removeCriuRoot(dir));
      undo('state dir', () => state.removeContainerDir(o.root, o.id));
    } else log.warn(`restore: ${criuRoot} is still mounted; the state dir stays`);
    throw err;
  } finally {
    closeSync(imageFd);
    if (workFd !== undefined) closeSync(workFd);
    for (const fd of nsFds) closeSync(fd);
  }
  try {
    umount(criuRoot);
    removeCriuRoot(dir);
  } catch (err) {
    log.warn(`restore: ${(err as Error).message}`);
  }
  if (o.detach) return 0;
  return waitForeground(o.root, record!);
}

/** Foreground: forward signals to the restored init, wait for it, delete the container (runc's restore without --detach). */
async function waitForeground(root: string, record: ContainerRecord): Promise<number> {
  const { forwardSignals } = await import('../lifecycle/forward-signals.js');
  const { exitCodeOf } = await import('../lifecycle/exit.js');
  const forward = forwardSignals(record.pid, FORWARDED);
  forward.released();
  let status: number | undefined;
  try {
    while ((status = waitpidNoHang(record.pid)) === undefined) await new Promise((r) => setTimeout(r, 50));
  } finally {
    forward.stop();
  }
  const { destroyContainer, killContainer } = await import('../lifecycle/destroy.js');
  await killContainer(record);
  await destroyContainer(root, record);
  return exitCodeOf(status);
}

