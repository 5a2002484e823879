// runc's checkpoint/restore flags read into what the criu request needs, and
// refused the way runc refuses them. Pure: no fs, so unit tests need no criu.
import { isAbsolute, join } from 'node:path';
import { TsrunError } from '../errors.js';

/** CLONE_NEWNET: runc manages no network devices, so criu never restores a network namespace's contents (runc's nsmask). */
export const CLONE_NEWNET = 0x40000000;

export type CgroupsMode = 'DEFAULT' | 'SOFT' | 'FULL' | 'STRICT' | 'IGNORE';

export interface CriuFlags {
  imagePath: string;
  workPath?: string;
  /** Relative to imagePath, as criu takes it. */
  parentPath?: string;
  leaveRunning: boolean;
  tcpEstablished: boolean;
  tcpSkipInFlight: boolean;
  linkRemap: boolean;
  extUnixSk: boolean;
  shellJob: boolean;
  fileLocks: boolean;
  preDump: boolean;
  autoDedup: boolean;
  lazyPages: boolean;
  statusFd?: number;
  pageServer?: { address: string; port: number };
  manageCgroupsMode: CgroupsMode;
  emptyNs: number;
  lsmProfile?: string;
  lsmMountContext?: string;
}

const MODES: Record<string, CgroupsMode> = { '': 'DEFAULT', soft: 'SOFT', full: 'FULL', strict: 'STRICT', ignore: 'IGNORE' };

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** `opts` as the command table parses them (camelCase names); `cwd` for the default image path. */
export function criuFlags(opts: Record<string, unknown>, cwd: string): CriuFlags {
  const imagePath = str(opts.imagePath) ?? join(cwd, 'checkpoint');
  const parentPath = str(opts.parentPath);
  if (parentPath !== undefined && isAbsolute(parentPath)) throw new TsrunError('--parent-path must be relative');
  const mode = MODES[String(opts.manageCgroupsMode ?? '')];
  if (mode === undefined) throw new TsrunError('invalid manage-cgroups-mode value');
  let emptyNs = CLONE_NEWNET;
  const empty = opts.emptyNs === undefined ? [] : Array.isArray(opts.emptyNs) ? opts.emptyNs : [opts.emptyNs];
  for (const ns of empty) {
    if (ns !== 'network') throw new TsrunError(`namespace "${String(ns)}" is not supported`);
    emptyNs |= CLONE_NEWNET;
  }
  let pageServer: CriuFlags['pageServer'];
  const ps = str(opts.pageServer);
  if (ps !== undefined) {
    const m = /^(?:\[([^\]]+)\]|([^:]*)):([^:]*)$/.exec(ps);
    const address = m ? (m[1] ?? m[2] ?? '') : '';
    if (!m || address === '' || m[3] === '') throw new TsrunError('Use --page-server ADDRESS:PORT to specify page server');
    const port = Number(m[3]);
    if (!/^\d+$/.test(m[3]!) || port > 65535) throw new TsrunError('Invalid port number');
    pageServer = { address, port };
  }
  let statusFd: number | undefined;
  if (opts.statusFd !== undefined && opts.statusFd !== '-1') {
    statusFd = Number(opts.statusFd);
    if (!Number.isInteger(statusFd) || statusFd < 0) throw new TsrunError(`invalid --status-fd argument ${String(opts.statusFd)}`);
  }
  const flag = (k: string) => opts[k] === true;
  return {
    imagePath,
    workPath: str(opts.workPath),
    parentPath,
    leaveRunning: flag('leaveRunning'),
    tcpEstablished: flag('tcpEstablished'),
    tcpSkipInFlight: flag('tcpSkipInFlight'),
    linkRemap: flag('linkRemap'),
    extUnixSk: flag('extUnixSk'),
    shellJob: flag('shellJob'),
    fileLocks: flag('fileLocks'),
    preDump: flag('preDump'),
    autoDedup: flag('autoDedup'),
    lazyPages: flag('lazyPages'),
    statusFd,
    pageServer,
    manageCgroupsMode: mode,
    emptyNs,
    lsmProfile: str(opts.lsmProfile),
    lsmMountContext: str(opts.lsmMountContext),
  };
}

/** The criu_opts fields both requests share. */
export function commonOpts(f: CriuFlags, cgMode: (name: string) => number): Record<string, unknown> {
  return {
    log_level: 4,
    manage_cgroups: true,
    manage_cgroups_mode: cgMode(f.manageCgroupsMode),
    notify_scripts: true,
    shell_job: f.shellJob,
    ext_unix_sk: f.extUnixSk,
    tcp_established: f.tcpEstablished,
    file_locks: f.fileLocks,
    empty_ns: f.emptyNs,
    auto_dedup: f.autoDedup,
    lazy_pages: f.lazyPages,
  };
}
