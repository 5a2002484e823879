// The plan's operations, defined once. build/gen-ops.mjs turns this file into
// the TypeScript encoder (src/plan/generated/ops.ts) and the C header the
// executor reads plans with (native/build/ops.h). Changing anything here
// changes the build id, so a stale executor refuses a newer plan.
//
// Field types: u32, i32, u64, i64 (little endian), str (UTF-8, NUL-free),
// strs (list of str), u32s (list of u32), bytes.
//
// `stage` says who carries the op out:
//   pre    stage 0 in the runtime's namespaces, before the clone
//   parent stage 0 after the clone, acting on the child from outside
//   child  the container process (the init, or the exec'd process)

export const PLAN_MAGIC = 0x50525354; // "TSRP" little endian
export const PROTOCOL_VERSION = 1;

export const ops = [
  // ---- stage 0, before the clone
  { name: 'exec_fifo', stage: 'pre', doc: 'make the exec fifo and hold its read end', fields: [['path', 'str']] },
  { name: 'console_socket', stage: 'pre', doc: 'connect to the console socket the pty master goes to', fields: [['path', 'str']] },
  { name: 'seccomp_listener', stage: 'pre', doc: 'connect to linux.seccomp.listenerPath, which receives the seccomp notify fd', fields: [['path', 'str']] },
  { name: 'pidfd_socket', stage: 'pre', doc: 'connect to the socket that receives a pidfd of the child', fields: [['path', 'str']] },
  { name: 'join_ns', stage: 'pre', doc: 'setns into a namespace file', fields: [['nstype', 'u32'], ['path', 'str']] },
  { name: 'time_offsets', stage: 'pre', doc: 'unshare a time namespace for the child and write its clock offsets', fields: [['offsets', 'str']] },
  { name: 'clone', stage: 'pre', doc: 'clone the child with these namespace flags', fields: [['flags', 'u64']] },
  // ---- stage 0, after the clone
  { name: 'id_map', stage: 'parent', doc: 'write /proc/<child>/{setgroups,uid_map,gid_map}', fields: [['uid_map', 'str'], ['gid_map', 'str'], ['setgroups', 'str']] },
  { name: 'prlimit', stage: 'parent', doc: 'set a resource limit of the child', fields: [['resource', 'u32'], ['soft', 'u64'], ['hard', 'u64']] },
  { name: 'cgroup_join', stage: 'parent', doc: 'write the child pid into a cgroup.procs file', fields: [['path', 'str']] },
  // ---- the child
  { name: 'become_root', stage: 'child', doc: 'become uid/gid 0 of a new user namespace', fields: [] },
  { name: 'unshare', stage: 'child', doc: 'unshare namespaces that must start where the runtime placed the child (cgroup)', fields: [['flags', 'u32']] },
  { name: 'session_keyring', stage: 'child', doc: 'join a new session keyring', fields: [['name', 'str']] },
  { name: 'propagation', stage: 'child', doc: 'set mount propagation of a host path', fields: [['target', 'str'], ['flags', 'u32']] },
  { name: 'rootfs', stage: 'child', doc: 'bind the rootfs onto itself; later paths resolve inside it', fields: [['path', 'str']] },
  {
    name: 'mount', stage: 'child', doc: 'mount source onto target resolved inside the root, creating the mountpoint',
    fields: [['source', 'str'], ['target', 'str'], ['fstype', 'str'], ['flags', 'u32'], ['data', 'str'], ['propagation', 'u32'], ['mkdir', 'u32'], ['options', 'u32']],
  },
  { name: 'cgroup_v1_binds', stage: 'child', doc: 'mount a tmpfs on target and bind each host cgroup directory listed into it', fields: [['target', 'str'], ['flags', 'u32'], ['sources', 'strs'], ['names', 'strs']] },
  { name: 'mknod', stage: 'child', doc: 'make a device node inside the root (bind the host one where mknod is refused)', fields: [['path', 'str'], ['type', 'u32'], ['major', 'u32'], ['minor', 'u32'], ['mode', 'u32'], ['uid', 'u32'], ['gid', 'u32'], ['bind_fallback', 'u32']] },
  { name: 'symlink', stage: 'child', doc: 'make a symlink inside the root', fields: [['target', 'str'], ['path', 'str']] },
  { name: 'mkdir', stage: 'child', doc: 'make a directory (and its parents) inside the root', fields: [['path', 'str'], ['mode', 'u32']] },
  {
    name: 'hook', stage: 'child', doc: 'run a hook with the state on stdin, with umask and in dir ("": where the executor is) (process_env: env is the process environment, which takes HOME as the process does)',
    fields: [['kind', 'str'], ['path', 'str'], ['args', 'strs'], ['env', 'strs'], ['timeout', 'u32'], ['process_env', 'u32'], ['umask', 'u32'], ['dir', 'str']],
  },
  { name: 'pivot_root', stage: 'child', doc: 'make the root the process root (pivot_root; or, no_pivot, hide the host\'s procfs and sysfs mounts, then MS_MOVE + chroot)', fields: [['no_pivot', 'u32'], ['propagation', 'u32']] },
  { name: 'console', stage: 'child', doc: 'allocate a pty, send its master to the console socket, make the peer stdio (and /dev/console)', fields: [['rows', 'u32'], ['cols', 'u32'], ['bind_console', 'u32']] },
  { name: 'remount_ro', stage: 'child', doc: 'remount a path read-only, keeping its other flags', fields: [['path', 'str']] },
  { name: 'mask_path', stage: 'child', doc: 'hide a path: /dev/null over a file, a read-only tmpfs over a directory', fields: [['path', 'str']] },
  { name: 'readonly_path', stage: 'child', doc: 'bind a path onto itself read-only', fields: [['path', 'str']] },
  { name: 'hostname', stage: 'child', doc: 'sethostname', fields: [['name', 'str']] },
  { name: 'domainname', stage: 'child', doc: 'setdomainname', fields: [['name', 'str']] },
  { name: 'sysctl', stage: 'child', doc: 'write a value under /proc/sys through a private procfs', fields: [['key', 'str'], ['value', 'str']] },
  { name: 'oom_score_adj', stage: 'child', doc: 'write /proc/self/oom_score_adj', fields: [['value', 'i32']] },
  { name: 'personality', stage: 'child', doc: 'personality(2)', fields: [['persona', 'u32']] },
  { name: 'ioprio', stage: 'child', doc: 'ioprio_set on the process', fields: [['value', 'u32']] },
  { name: 'scheduler', stage: 'child', doc: 'sched_setattr on the process', fields: [['policy', 'u32'], ['nice', 'i32'], ['priority', 'u32'], ['flags', 'u64'], ['runtime', 'u64'], ['deadline', 'u64'], ['period', 'u64']] },
  { name: 'cpu_affinity', stage: 'child', doc: 'sched_setaffinity with a cpu bitmask', fields: [['mask', 'bytes']] },
  { name: 'umask', stage: 'child', doc: 'umask', fields: [['mask', 'u32']] },
  { name: 'caps_bounding', stage: 'child', doc: 'drop every capability not in the mask from the bounding set', fields: [['mask', 'u64']] },
  { name: 'user', stage: 'child', doc: 'setgroups, setresgid, setresuid, keeping capabilities', fields: [['uid', 'u32'], ['gid', 'u32'], ['gids', 'u32s'], ['set_groups', 'u32']] },
  { name: 'caps', stage: 'child', doc: 'capset effective/permitted/inheritable and raise ambient', fields: [['effective', 'u64'], ['permitted', 'u64'], ['inheritable', 'u64'], ['ambient', 'u64']] },
  { name: 'no_new_privs', stage: 'child', doc: 'PR_SET_NO_NEW_PRIVS', fields: [] },
  { name: 'seccomp', stage: 'child', doc: 'install a seccomp BPF program (with listener: send the notify fd and the container process state)', fields: [['flags', 'u32'], ['program', 'bytes'], ['listener', 'u32']] },
  { name: 'chdir', stage: 'child', doc: 'chdir and verify the cwd is inside the root', fields: [['path', 'str']] },
  { name: 'lookup_exec', stage: 'child', doc: 'resolve args[0] in the container like exec.LookPath', fields: [['name', 'str'], ['path_env', 'str']] },
  { name: 'ready', stage: 'child', doc: 'tell the runtime setup is done and close the sync socket', fields: [] },
  { name: 'wait_start', stage: 'child', doc: 'block on the exec fifo until `start` writes a byte', fields: [] },
  { name: 'exec', stage: 'child', doc: 'reset signals, close fds >= 3 + preserved, execve', fields: [['args', 'strs'], ['env', 'strs'], ['preserve_fds', 'u32']] },
  // ---- appended (codes above never change)
  { name: 'mount_attr', stage: 'child', doc: 'mount_setattr(AT_RECURSIVE) on a mount inside the root: the r* options (rro, rnosuid, ...)', fields: [['target', 'str'], ['attr_set', 'u32'], ['attr_clr', 'u32']] },
  {
    name: 'mount_idmap', stage: 'child', doc: 'move an idmapped clone of source (made by stage 0 before the clone: open_tree + MOUNT_ATTR_IDMAP) onto target inside the root',
    fields: [['source', 'str'], ['target', 'str'], ['recursive', 'u32'], ['uid_map', 'str'], ['gid_map', 'str'], ['flags', 'u32'], ['mkdir', 'u32']],
  },
  { name: 'chroot', stage: 'child', doc: 'no mount namespace: chroot into the rootfs, leaving the shared mount table untouched', fields: [['path', 'str']] },
  { name: 'wait_cgroup', stage: 'parent', doc: 'wait for the runtime\'s CGROUP (it makes the cgroup directories while we clone), then open the cgroup.procs files; with announce, send CLONED first (systemd\'s driver starts the unit with the pid)', fields: [['announce', 'u32']] },
  { name: 'wait_go', stage: 'child', doc: 'wait for the runtime\'s GO (its state JSON is what the hooks and a seccomp listener get); with report, say PREPARED first', fields: [['report', 'u32']] },
  { name: 'home_env', stage: 'child', doc: 'read the home of uid from /etc/passwd inside the root ("/" when none) as HOME of the exec and of hooks given the process environment', fields: [['uid', 'u32']] },
  { name: 'stdio_owner', stage: 'child', doc: 'fchown stdin, stdout and stderr to uid, each keeping its gid, unless already owned or /dev/null', fields: [['uid', 'u32']] },
  { name: 'mount_sources', stage: 'parent', doc: 'open the source of every mount op flagged host_source (O_PATH, in the child\'s mount namespace, with our credentials) and pass the fds to the child, in op order', fields: [] },
  { name: 'id_map_helper', stage: 'parent', doc: 'run a setuid id-map helper (newuidmap, newgidmap) as `path <child pid> args...`, its output the error if it fails', fields: [['path', 'str'], ['args', 'strs']] },
  { name: 'apparmor', stage: 'child', doc: 'the AppArmor profile of the next execve: write "exec <profile>" to this thread\'s attr/apparmor/exec (attr/exec before Linux 5.8) through a procfs handle opened before the container could touch /proc', fields: [['profile', 'str']] },
  { name: 'cgroup_clone', stage: 'pre', doc: 'clone the child into this cgroup v2 directory (opened with the host files; clone3 CLONE_INTO_CGROUP, so a pids.max already reached refuses it; where the kernel has no clone3, the pid is written to its cgroup.procs)', fields: [['path', 'str']] },
  { name: 'join_ns_child', stage: 'child', doc: 'setns, first thing in the child, into a namespace file opened with the host files (after a cgroup_clone: the kernel checks that move with the credentials and cgroup namespace of the one cloning)', fields: [['nstype', 'u32'], ['path', 'str']] },
];

// Messages between the runtime and the executor on the sync socket.
// Each frame: u32 length of the body, u16 type, u16 zero, body.
export const messages = [
  { name: 'plan', code: 1, doc: 'runtime -> stage 0: the plan' },
  { name: 'pid', code: 2, doc: 'stage 0 -> runtime: u32 child pid (host), u32 stage-0 pid' },
  { name: 'go', code: 3, doc: 'runtime -> child: state JSON for the hooks [NUL, container process state JSON for a seccomp listener]; continue' },
  { name: 'ready', code: 4, doc: 'child -> runtime: set up, waiting to start (create) or about to exec (exec)' },
  { name: 'error', code: 5, doc: 'any -> runtime: u32 stage, i32 op index, i32 errno, message' },
  { name: 'exit', code: 6, doc: 'stage 0 (monitor) -> runtime: i32 wait status of the child' },
  { name: 'warning', code: 7, doc: 'any -> runtime: a warning line for the log' },
  { name: 'cgroup', code: 9, doc: 'runtime -> stage 0: the cgroup directories exist (wait_cgroup)' },
  { name: 'cloned', code: 10, doc: 'stage 0 -> runtime: u32 child pid, before waiting for CGROUP (wait_cgroup with announce)' },
  { name: 'prepared', code: 8, doc: 'child -> runtime: the rootfs is prepared, waiting for GO (sent when wait_go asks: the runtime runs prestart hooks now)' },
];
