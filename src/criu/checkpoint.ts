// `checkpoint`: criu dumps the container's process tree into --image-path.
// Without --leave-running (or --pre-dump) criu kills the tree after the
// dump, and the container is then deleted as `delete` would (poststop
// hooks, cgroup, state dir), as runc does.
import { closeSync, fstatSync, openSync, readlinkSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { TsrunError } from '../errors.js';
import { log } from '../log.js';
import type { Spec } from '../spec/types.js';
import { containerDir } from '../state/paths.js';
import { containerStatus } from '../state/status.js';
import { readRecord } from '../state/store.js';
import { withContainerLock } from '../state/lock.js';
import { Dir, makeDirs } from '../state/safe-fs.js';
import { DESCRIPTORS, criuNsName, dumpExtMounts, externalNamespaces, nsKey } from './external.js';
import { type CriuFlags, commonOpts } from './options.js';
import { loadRpc } from './rpc.js';
import { swrk } from './swrk.js';

export interface CheckpointOptions {
  root: string;
  id: string;
  flags: CriuFlags;
  criu?: string;
}

function openDir(path: string, what: string): number {
  try {
    makeDirs(path, 0o700);
    return openSync(path, 'r');
  } catch (err) {
    throw new TsrunError(`${what} ${path}: ${(err as Error).message}`, { errno: (err as NodeJS.ErrnoException).code });
  }
}

/** The init's fds 0-2 as /proc names them ("pipe:[123]", "/dev/null"), for restore to give it new pipes. */
function stdioNames(pid: number): string[] {
  return [0, 1, 2].map((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      return '';
    }
  });
}

export async function checkpointContainer(o: CheckpointOptions): Promise<void> {
  const { flags: f } = o;
  await withContainerLock(o.root, o.id, async () => {
    const record = readRecord(o.root, o.id);
    const status = containerStatus(record, containerDir(o.root, o.id));
    if (status === 'created' || status === 'stopped' || status === 'creating') {
      throw new TsrunError(`Container cannot be checkpointed in ${status} state`);
    }
    const rpc = loadRpc();
    log.debug(`checkpoint: container read, criu's rpc.proto parsed at ${(performance.now() / 1000).toFixed(2)} s of the process`);
    const config = record.config as unknown as Spec;
    const imageFd = openDir(f.imagePath, '--image-path');
    let workFd: number | undefined;
    try {
      if (f.parentPath) {
        const parent = join(f.imagePath, f.parentPath);
        let ok = false;
        try {
          ok = statSync(parent).isDirectory();
        } catch {
          /* below */
        }
        if (!ok) throw new TsrunError(`invalid --parent-path: ${parent} is not a directory`);
      }
      if (f.workPath) workFd = openDir(f.workPath, '--work-path');
      if (f.statusFd !== undefined) {
        try {
          fstatSync(f.statusFd);
        } catch (err) {
          throw new TsrunError(`invalid --status-fd argument ${f.statusFd}: ${(err as Error).message}`);
        }
      }
      const opts: Record<string, unknown> = {
        ...commonOpts(f, (m) => rpc.cgMode(m)),
        images_dir_fd: imageFd,
        log_file: 'dump.log',
        root: record.rootfs,
        pid: record.pid,
        leave_running: f.leaveRunning,
        tcp_skip_in_flight: f.tcpSkipInFlight,
        link_remap: f.linkRemap,
        // the master of the terminal is outside (at the console socket's end): criu must not look for it in the tree
        orphan_pts_master: true,
      };
      if (workFd !== undefined) opts.work_dir_fd = workFd;
      // a paused container stays frozen through the dump: criu freezes by the cgroup's freezer
      const freezer = record.cgroupPaths.freezer ?? record.cgroupPaths.unified;
      if (freezer) opts.freeze_cgroup = freezer;
      const external: string[] = [];
      for (const ns of externalNamespaces(config)) {
        external.push(`${criuNsName(ns.type)}[${statSync(ns.path).ino}]:${nsKey(ns.type)}`);
      }
      if (external.length) opts.external = external;
      if (f.pageServer) opts.ps = { address: f.pageServer.address, port: f.pageServer.port };
      if (f.parentPath) {
        opts.parent_img = f.parentPath;
        opts.track_mem = true;
      }
      if (f.preDump) opts.track_mem = true;
      if (!f.preDump) {
        // masked files are /dev/null bound over the path: criu must be told where that comes from
        const isFile = (p: string) => {
          try {
            return !statSync(`/proc/${record.pid}/root/${p}`).isDirectory();
          } catch {
            return false;
          }
        };
        const ext = dumpExtMounts(config, isFile);
        if (ext.length) opts.ext_mnt = ext;
        const images = Dir.open(f.imagePath, { follow: true });
        try {
          images.replace(DESCRIPTORS, JSON.stringify(stdioNames(record.pid)), 0o600);
        } finally {
          images.close();
        }
      }
      await swrk(rpc, { type: rpc.reqType(f.preDump ? 'PRE_DUMP' : 'DUMP'), opts }, {
        criu: o.criu,
        stdio: 'ignore',
        logDir: f.workPath ?? f.imagePath,
        logFile: 'dump.log',
        notify: (n) => {
          for (const fd of n.fds) closeSync(fd);
          // network-lock/-unlock: tsrun configures no network devices (the
          // config has none to detach, as under runc with an OCI bundle), so
          // there is nothing to lock; status-ready: lazy pages are served
          if (n.script === 'status-ready' && f.statusFd !== undefined) {
            try {
              writeSync(f.statusFd, Buffer.from([0]));
              closeSync(f.statusFd);
            } catch (err) {
              log.warn(`can't write \\0 to status fd: ${(err as Error).message}`);
            }
          }
        },
      });
    } finally {
      closeSync(imageFd);
      if (workFd !== undefined) closeSync(workFd);
    }
    log.debug(`checkpoint: criu done at ${(performance.now() / 1000).toFixed(2)} s of the process`);
    if (!f.leaveRunning && !f.preDump) {
      // criu killed the tree; what is left (a zombie init, the cgroup) goes as under delete
      const { killContainer, destroyContainer } = await import('../lifecycle/destroy.js');
      try {
        await killContainer(record);
        await destroyContainer(o.root, record);
      } catch (err) {
        log.warn(`checkpoint: removing the container: ${(err as Error).message}`);
      }
      log.debug(`checkpoint: container removed at ${(performance.now() / 1000).toFixed(2)} s of the process`);
    }
  });
}
