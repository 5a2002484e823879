// The fast form of a container, defined once: what `create` decides for the
// later hot commands (state, kill, start, delete), written beside state.json
// by the record's one writer (src/state/container.ts), and carried out by
// bin/tsrun (native/fastpath.c) without starting Node when it is ours,
// current and plain. build/gen-fast.mjs turns this file into
// src/state/generated/fast.ts and native/build/fast.h. Changing anything
// here changes the build id: a launcher of another build ignores the file
// and starts Node.
//
// The encoding is the plan's TLV (src/plan/encode.ts, native/exec/plan.c),
// with its own magic, version and record table: one decoder, bounds-checked
// and fuzzed, reads both.

export const FAST_MAGIC = 0x46535354; // "TSSF" little endian
export const FAST_VERSION = 1;
/** The files of <root>/<id>/: the record, the fast form beside it, the create/start gate. */
export const STATE_FILE = 'state.json';
export const FAST_FILE = 'fast.bin';
export const EXEC_FIFO = 'exec.fifo';
/** A fast form is a few KiB: anything bigger is not ours. */
export const FAST_MAX = 1 << 20;

/** runc's statuses plus 'creating' (src/state/types.ts ContainerStatus). */
export const statuses = ['creating', 'created', 'running', 'paused', 'stopped'];

/**
 * Commands that must go to Node for this container (a bit each): what the
 * launcher cannot do without JavaScript (hooks to run, a systemd unit to stop,
 * for killAll a cgroup record whose directories the form cannot list).
 */
export const nodeOnly = { start: 1, delete: 2, kill: 4, state: 8, killAll: 16 };

/**
 * Linux's generic signal numbers (asm-generic/signal.h), which x86, arm,
 * arm64, powerpc, s390, riscv and loongarch share; `kill` takes the names
 * with or without SIG, in any case. Realtime ones (SIGRTMIN+n) are computed.
 */
export const signals = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGIOT: 6, SIGBUS: 7, SIGFPE: 8, SIGKILL: 9,
  SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15, SIGSTKFLT: 16, SIGCHLD: 17, SIGCONT: 18,
  SIGSTOP: 19, SIGTSTP: 20, SIGTTIN: 21, SIGTTOU: 22, SIGURG: 23, SIGXCPU: 24, SIGXFSZ: 25, SIGVTALRM: 26, SIGPROF: 27,
  SIGWINCH: 28, SIGIO: 29, SIGPOLL: 29, SIGPWR: 30, SIGSYS: 31,
};

/** Records of the fast form (the plan's field types); one `container` record. */
export const records = [
  {
    name: 'container',
    doc: 'one container, as create recorded it',
    fields: [
      ['id', 'str'],
      // which commands must go to Node (nodeOnly bits)
      ['node_only', 'u32'],
      // the init and what proves it is still that process (field 22 of /proc/<pid>/stat)
      ['pid', 'u32'],
      ['pid_start', 'u64'],
      // state.json as it was when this was written: ino, size, mtimeMs and
      // ctimeMs of Node's lstat, four little-endian doubles (the launcher
      // computes them from its fstat as Node does). Any other state.json
      // (rewritten, truncated, chowned, chmodded) sends every command to Node
      ['record_stat', 'bytes'],
      // `state` output, exactly: before_pid + pid (0 once stopped) + before_status + status + after_status
      ['state_before_pid', 'str'],
      ['state_before_status', 'str'],
      ['state_after_status', 'str'],
      // `list`'s table cells other than id, pid, status and owner (the state dir's owner, looked up then)
      ['bundle', 'str'],
      ['created', 'str'],
      // where the freezer says paused (either may be empty)
      ['freezer_v1', 'str'],
      ['freezer_v2', 'str'],
      // delete of a stopped container: these cgroup directories, one rmdir each in this order, then the state dir
      ['cgroup_dirs', 'strs'],
    ],
  },
];
