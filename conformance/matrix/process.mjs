// Matrix entries for config.md's process object and the root filesystem.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { U64_MAX } from '../lib/bundle.mjs';

/** @typedef {import('./index.mjs').Entry} Entry */

/** Every rlimit, with values this machine can grant (never above our hard limit). */
function allRlimits(host) {
  const want = {
    RLIMIT_AS: [1n << 32n, 1n << 33n], RLIMIT_CORE: [0n, 1n << 20n], RLIMIT_CPU: [3000n, 3600n],
    RLIMIT_DATA: [1n << 31n, 1n << 32n], RLIMIT_FSIZE: [1n << 30n, 1n << 31n], RLIMIT_LOCKS: [100n, 200n],
    RLIMIT_MEMLOCK: [65536n, 131072n], RLIMIT_MSGQUEUE: [8192n, 16384n], RLIMIT_NICE: [0n, 0n],
    RLIMIT_NOFILE: [512n, 1000n], RLIMIT_NPROC: [500n, 1000n], RLIMIT_RSS: [1n << 30n, 1n << 31n],
    RLIMIT_RTPRIO: [0n, 0n], RLIMIT_RTTIME: [100000n, 200000n], RLIMIT_SIGPENDING: [100n, 200n],
    RLIMIT_STACK: [1n << 22n, 1n << 23n],
  };
  return Object.entries(want).map(([type, [soft, hard]]) => {
    const cur = host.limits[type]?.hard;
    const cap = cur === undefined || cur === 'unlimited' ? hard : BigInt(cur);
    const h = hard < cap ? hard : cap;
    const s = soft < h ? soft : h;
    return { type, soft: Number(s), hard: Number(h) };
  });
}

/** @type {Entry[]} */
export const entries = [
  {
    name: 'defaults',
    about: 'the `runc spec` config: every check the base config implies',
    focus: [''],
  },
  {
    name: 'user-groups-umask',
    about: 'process.user uid/gid/additionalGids/umask for a non-root user',
    focus: ['process.user'],
    mutate(c) {
      c.process.user = { uid: 1000, gid: 1001, additionalGids: [10, 20, 3000], umask: 0o027 };
    },
  },
  {
    name: 'user-root-umask',
    about: 'umask 0 for root, a second umask value',
    focus: ['process.user.umask'],
    mutate(c) {
      c.process.user = { uid: 0, gid: 0, umask: 0 };
    },
  },
  {
    name: 'caps-distinct-sets',
    about: 'five different capability sets for uid 0',
    focus: ['process.capabilities'],
    mutate(c) {
      c.process.capabilities = {
        bounding: ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SETGID'],
        effective: ['CAP_CHOWN', 'CAP_KILL'],
        permitted: ['CAP_CHOWN', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SETPCAP'],
        inheritable: ['CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SETUID'],
        ambient: ['CAP_KILL'],
      };
    },
  },
  {
    name: 'caps-nonroot-ambient',
    about: 'ambient capabilities carried across execve by uid 1000',
    focus: ['process.capabilities'],
    mutate(c) {
      const amb = ['CAP_NET_BIND_SERVICE', 'CAP_NET_RAW'];
      c.process.user = { uid: 1000, gid: 1000 };
      c.process.capabilities = { bounding: ['CAP_KILL', ...amb], effective: amb, permitted: amb, inheritable: amb, ambient: amb };
    },
  },
  {
    name: 'caps-all-grantable',
    about: 'every capability this machine can grant, in all five sets',
    focus: ['process.capabilities'],
    mutate(c, ctx) {
      const all = ctx.host.grantableCaps;
      c.process.capabilities = { bounding: all, effective: all, permitted: all, inheritable: all, ambient: all };
    },
  },
  {
    name: 'caps-ungrantable',
    about: 'CAP_SYS_RESOURCE (not in this machine\'s bounding set) and an unknown name: warn, SHOULD NOT fail',
    focus: ['process.capabilities'],
    mutate(c) {
      const caps = ['CAP_CHOWN', 'CAP_KILL', 'CAP_SYS_RESOURCE', 'CAP_NOT_A_CAPABILITY'];
      c.process.capabilities = { bounding: caps, effective: caps, permitted: caps };
    },
  },
  {
    name: 'caps-none',
    about: 'all capability sets empty',
    focus: ['process.capabilities'],
    mutate(c) {
      c.process.capabilities = { bounding: [], effective: [], permitted: [], inheritable: [], ambient: [] };
    },
  },
  {
    name: 'rlimits-all',
    about: 'every RLIMIT_* type, within this machine\'s hard limits',
    focus: ['process.rlimits'],
    mutate(c, ctx) {
      c.process.rlimits = allRlimits(ctx.host);
    },
  },
  {
    name: 'rlimits-unlimited',
    about: 'RLIM_INFINITY (18446744073709551615, beyond a double\'s precision) as soft and hard values, where this machine\'s hard limit is unlimited',
    focus: ['process.rlimits'],
    mutate(c, ctx) {
      const unlimitedHere = (t) => ctx.host.limits[t]?.hard === 'unlimited';
      c.process.rlimits = [
        { type: 'RLIMIT_CPU', soft: 3600, hard: U64_MAX },
        { type: 'RLIMIT_FSIZE', soft: U64_MAX, hard: U64_MAX },
        { type: 'RLIMIT_CORE', soft: 0, hard: U64_MAX },
        { type: 'RLIMIT_STACK', soft: 8388608, hard: U64_MAX },
        { type: 'RLIMIT_NOFILE', soft: 1024, hard: 4096 },
      ].filter((r) => r.hard !== U64_MAX || unlimitedHere(r.type));
    },
  },
  {
    name: 'env-args-cwd',
    about: 'odd environment values, arguments with spaces, a nested cwd',
    focus: ['process.env', 'process.args', 'process.cwd'],
    setup(b) {
      mkdirSync(join(b.rootfs, 'work', 'dir with space'), { recursive: true });
    },
    mutate(c) {
      c.process.env = ['PATH=/bin', 'EMPTY=', 'WITH_EQ=a=b=c', 'SPACES=one two  three', 'UNICODE=h\u00e9llo', 'NEWLINE=line1\nline2\ttab'];
      c.process.args = [...c.process.args, 'arg with spaces', '', '--flag=x', 'multi\nline'];
      c.process.cwd = '/work/dir with space';
    },
  },
  {
    name: 'no-new-privileges-off',
    about: 'noNewPrivileges false',
    focus: ['process.noNewPrivileges'],
    mutate(c) {
      c.process.noNewPrivileges = false;
    },
  },
  {
    name: 'oom-score-adj-raise',
    about: 'oomScoreAdj 500 (raising needs no privilege)',
    focus: ['process.oomScoreAdj'],
    mutate(c) {
      c.process.oomScoreAdj = 500;
    },
  },
  {
    name: 'oom-score-adj-lower',
    about: 'oomScoreAdj -500 (lowering below the runtime\'s own value needs CAP_SYS_RESOURCE)',
    focus: ['process.oomScoreAdj'],
    mutate(c) {
      c.process.oomScoreAdj = -500;
    },
  },
  {
    name: 'terminal',
    about: 'process.terminal with consoleSize, through --console-socket as engines use it (a stand-in receiver takes the pty)',
    tty: 'console-socket',
    focus: ['process.terminal', 'process.consoleSize'],
    mutate(c) {
      c.process.terminal = true;
      c.process.consoleSize = { height: 30, width: 100 };
    },
  },
  {
    name: 'terminal-foreground',
    about: 'process.terminal with a foreground `run` from a terminal (the runtime runs under script(1)); no consoleSize, which a foreground run may take from its own terminal',
    tty: 'foreground',
    focus: ['process.terminal'],
    mutate(c) {
      c.process.terminal = true;
    },
  },
  {
    name: 'root-writable',
    about: 'root.readonly false',
    focus: ['root.readonly'],
    mutate(c) {
      c.root.readonly = false;
    },
  },
  {
    name: 'scheduler',
    about: 'process.scheduler SCHED_BATCH with nice 5',
    focus: ['process.scheduler'],
    mutate(c) {
      c.process.scheduler = { policy: 'SCHED_BATCH', nice: 5, priority: 0 };
    },
  },
  {
    name: 'io-priority',
    about: 'process.ioPriority best-effort level 6',
    focus: ['process.ioPriority'],
    mutate(c) {
      c.process.ioPriority = { class: 'IOPRIO_CLASS_BE', priority: 6 };
    },
  },
];
