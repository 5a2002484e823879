// The command line, declared once. The fast parser (argv.ts) reads it on every
// call; commander (program.ts) is built from it only for --help and for usage
// errors, because loading commander costs ~4.5 ms of a ~20 ms budget.
// Flags follow runc 1.1/1.2 (urfave/cli) plus what callers send that runc
// ignores (CLI-CONTRACT.md B.1/B.2).
import { defaultRoot } from './rootless.js';

export interface OptSpec {
  /** commander syntax: "-b, --bundle <path>", "--force", "--env <kv>" */
  flags: string;
  desc: string;
  default?: string | boolean;
  /** May be given several times; collected into an array. */
  repeat?: boolean;
  /** Accepted for compatibility, not shown in help. */
  hidden?: boolean;
}

export interface CmdSpec {
  name: string;
  summary: string;
  /** commander syntax: "<container-id>", "[signal]", "[command...]" */
  args: readonly string[];
  options: readonly OptSpec[];
  /**
   * Options end at the container id: what follows is the payload's (runc's
   * SkipArgReorder, set on exec and ps). Other commands take their flags
   * after the id too, as urfave/cli reorders them (argv.ts).
   */
  payloadAfterId?: boolean;
}

const globalTable = [
  { flags: '--root <dir>', desc: 'root directory for storage of container state', default: defaultRoot() },
  { flags: '--log <file>', desc: 'set the log file to write tsrun logs to (default is stderr)' },
  { flags: '--log-format <format>', desc: 'set the log format (text or json)', default: 'text' },
  { flags: '--debug', desc: 'enable debug logging' },
  { flags: '--systemd-cgroup', desc: 'enable systemd cgroup support, expects cgroupsPath to be of form "slice:prefix:name"' },
  { flags: '--rootless <value>', desc: 'ignore cgroup permission errors (true, false, or auto)', default: 'auto' },
  { flags: '--criu <path>', desc: 'path to the criu binary for checkpoint and restore (default: criu on PATH)', hidden: true },
  { flags: '--cgroup-manager <manager>', desc: "crun's cgroup manager flag (accepted, ignored)", hidden: true },
  { flags: '--log-level <level>', desc: "crun's log level flag (accepted, ignored)", hidden: true },
] as const satisfies readonly OptSpec[];
export const globalOptions: readonly OptSpec[] = globalTable;

const pidFile = { flags: '--pid-file <path>', desc: 'specify the file to write the process id to' } as const;
const consoleSocket = {
  flags: '--console-socket <path>',
  desc: 'path to an AF_UNIX socket which will receive a file descriptor referencing the master end of the console',
} as const;
const pidfdSocket = { flags: '--pidfd-socket <path>', desc: 'path to an AF_UNIX socket which will receive the pidfd of the init process' } as const;
const preserveFds = { flags: '--preserve-fds <n>', desc: 'pass N additional file descriptors to the container (stdio + $LISTEN_FDS + N in total)', default: '0' } as const;
const bundle = { flags: '-b, --bundle <dir>', desc: 'path to the root of the bundle directory', default: '.' } as const;
const noPivot = { flags: '--no-pivot', desc: 'do not use pivot root to jail process inside rootfs' } as const;
const noNewKeyring = { flags: '--no-new-keyring', desc: 'do not create a new session keyring for the container' } as const;
const id = '<container-id>' as const;

const commandTable = [
  {
    name: 'create',
    summary: 'create a container',
    args: [id],
    options: [
      bundle, consoleSocket, pidfdSocket, pidFile, noPivot, noNewKeyring, preserveFds,
      { flags: '-d, --detach', desc: 'go-runc sends it; create always detaches', hidden: true },
      { flags: '--dry-run', desc: 'print the plan of operations instead of creating the container' },
    ],
  },
  { name: 'start', summary: 'executes the user defined process in a created container', args: [id], options: [] },
  {
    name: 'run',
    summary: 'create and run a container',
    args: [id],
    options: [
      bundle, consoleSocket, pidfdSocket,
      { flags: '-d, --detach', desc: 'detach from the container\'s process' },
      { flags: '--keep', desc: 'do not delete the container after it exits' },
      pidFile,
      { flags: '--no-subreaper', desc: 'disable the use of the subreaper used to reap reparented processes' },
      noPivot, noNewKeyring, preserveFds,
    ],
  },
  { name: 'state', summary: 'output the state of a container', args: [id], options: [] },
  {
    name: 'kill',
    summary: 'kill sends the specified signal (default: SIGTERM) to the container\'s init process',
    args: [id, '[signal]'],
    options: [{ flags: '-a, --all', desc: 'send the specified signal to all processes inside the container' }],
  },
  {
    name: 'delete',
    summary: 'delete any resources held by the container often used with detached container',
    args: [id],
    options: [{ flags: '-f, --force', desc: 'forcibly deletes the container if it is still running (uses SIGKILL)' }],
  },
  {
    name: 'list',
    summary: 'lists containers started by tsrun with the given root',
    args: [],
    options: [
      { flags: '-f, --format <format>', desc: 'select one of: table or json', default: 'table' },
      { flags: '-q, --quiet', desc: 'display only container IDs' },
    ],
  },
  {
    name: 'ps',
    summary: 'ps displays the processes running inside a container',
    args: [id, '[ps-options...]'],
    payloadAfterId: true,
    options: [{ flags: '-f, --format <format>', desc: 'select one of: table or json', default: 'table' }],
  },
  {
    name: 'exec',
    summary: 'execute new process inside the container',
    args: [id, '[command...]'],
    payloadAfterId: true,
    options: [
      consoleSocket, pidfdSocket,
      { flags: '--cwd <path>', desc: 'current working directory in the container' },
      { flags: '-e, --env <kv>', desc: 'set environment variables', repeat: true },
      { flags: '-t, --tty', desc: 'allocate a pseudo-TTY' },
      { flags: '-u, --user <uid[:gid]>', desc: 'UID (format: <uid>[:<gid>])' },
      { flags: '-g, --additional-gids <gid>', desc: 'additional gids', repeat: true },
      { flags: '-p, --process <path>', desc: 'path to the process.json' },
      { flags: '-d, --detach', desc: 'detach from the container\'s process' },
      pidFile,
      { flags: '--process-label <label>', desc: 'set the asm process label for the process commonly used with selinux' },
      { flags: '--apparmor <profile>', desc: 'set the apparmor profile for the process' },
      { flags: '--no-new-privs', desc: 'set the no new privileges value for the process' },
      { flags: '-c, --cap <cap>', desc: 'add a capability to the bounding set for the process', repeat: true },
      preserveFds,
      { flags: '--cgroup <path>', desc: 'run the process in an (existing) sub-cgroup(s)', repeat: true },
      { flags: '--ignore-paused', desc: 'allow exec in a paused container' },
    ],
  },
  { name: 'pause', summary: 'pause suspends all processes inside the container', args: [id], options: [] },
  { name: 'resume', summary: 'resumes all processes that have been previously paused', args: [id], options: [] },
  {
    name: 'events',
    summary: 'display container events such as OOM notifications, cpu, memory, and IO usage statistics',
    args: [id],
    options: [
      { flags: '--interval <duration>', desc: 'set the stats collection interval', default: '5s' },
      { flags: '--stats', desc: 'display the container\'s stats then exit' },
    ],
  },
  {
    name: 'update',
    summary: 'update container resource constraints',
    args: [id],
    options: [
      { flags: '-r, --resources <file>', desc: 'path to the file containing the resources to update or \'-\' to read from the standard input' },
      { flags: '--blkio-weight <n>', desc: 'specifies per cgroup weight, range is from 10 to 1000' },
      { flags: '--cpu-period <n>', desc: 'CPU CFS period to be used for hardcapping (in usecs)' },
      { flags: '--cpu-quota <n>', desc: 'CPU CFS hardcap limit (in usecs)' },
      { flags: '--cpu-burst <n>', desc: 'CPU CFS burst (in usecs)' },
      { flags: '--cpu-share <n>', desc: 'CPU shares (relative weight vs. other containers)' },
      { flags: '--cpu-rt-period <n>', desc: 'CPU realtime period to be used for hardcapping (in usecs)' },
      { flags: '--cpu-rt-runtime <n>', desc: 'CPU realtime hardcap limit (in usecs)' },
      { flags: '--cpuset-cpus <list>', desc: 'CPU(s) to use' },
      { flags: '--cpuset-mems <list>', desc: 'memory node(s) to use' },
      { flags: '--cpu-idle <n>', desc: 'set cgroup SCHED_IDLE or not, 0: default behavior, 1: SCHED_IDLE' },
      { flags: '--kernel-memory <bytes>', desc: 'kernel memory limit (ignored, as in runc)', hidden: true },
      { flags: '--kernel-memory-tcp <bytes>', desc: 'kernel memory limit for tcp buffer (ignored, as in runc)', hidden: true },
      { flags: '--memory <bytes>', desc: 'memory limit (in bytes)' },
      { flags: '--memory-reservation <bytes>', desc: 'memory reservation or soft_limit (in bytes)' },
      { flags: '--memory-swap <bytes>', desc: 'total memory usage (memory + swap); set \'-1\' to enable unlimited swap' },
      { flags: '--pids-limit <n>', desc: 'maximum number of pids allowed in the container' },
      { flags: '--l3-cache-schema <schema>', desc: 'the string of Intel RDT/CAT L3 cache schema' },
      { flags: '--mem-bw-schema <schema>', desc: 'the string of Intel RDT/MBA memory bandwidth schema' },
    ],
  },
  {
    name: 'spec',
    summary: 'create a new specification file',
    args: [],
    options: [
      bundle,
      { flags: '--rootless', desc: 'generate a configuration for a rootless container' },
    ],
  },
  { name: 'features', summary: 'show the enabled features', args: [], options: [] },
  {
    name: 'checkpoint',
    summary: 'checkpoint a running container',
    args: [id],
    options: [
      { flags: '--image-path <path>', desc: 'path for saving criu image files' },
      { flags: '--work-path <path>', desc: 'path for saving work files and logs' },
      { flags: '--parent-path <path>', desc: 'path for previous criu image files in pre-dump' },
      { flags: '--leave-running', desc: 'leave the process running after checkpointing' },
      { flags: '--tcp-established', desc: 'allow open tcp connections' },
      { flags: '--tcp-skip-in-flight', desc: 'skip in-flight tcp connections' },
      { flags: '--link-remap', desc: 'allow one to link unlinked files back when possible' },
      { flags: '--ext-unix-sk', desc: 'allow external unix sockets' },
      { flags: '--shell-job', desc: 'allow shell jobs' },
      { flags: '--lazy-pages', desc: 'use userfaultfd to lazily restore memory pages' },
      { flags: '--status-fd <fd>', desc: 'criu writes \\0 to this FD once lazy-pages is ready' },
      { flags: '--page-server <address>', desc: 'ADDRESS:PORT of the page server' },
      { flags: '--file-locks', desc: 'handle file locks, for safety' },
      { flags: '--pre-dump', desc: 'dump container\'s memory information only, leave the container running after this' },
      { flags: '--manage-cgroups-mode <mode>', desc: 'cgroups mode: soft|full|strict|ignore' },
      { flags: '--empty-ns <ns>', desc: 'create a namespace, but don\'t restore its properties', repeat: true },
      { flags: '--auto-dedup', desc: 'enable auto deduplication of memory images' },
    ],
  },
  {
    name: 'restore',
    summary: 'restore a container from a previous checkpoint',
    args: [id],
    options: [
      consoleSocket,
      { flags: '--image-path <path>', desc: 'path to criu image files for restoring' },
      { flags: '--work-path <path>', desc: 'path for saving work files and logs' },
      { flags: '--tcp-established', desc: 'allow open tcp connections' },
      { flags: '--ext-unix-sk', desc: 'allow external unix sockets' },
      { flags: '--shell-job', desc: 'allow shell jobs' },
      { flags: '--file-locks', desc: 'handle file locks, for safety' },
      { flags: '--manage-cgroups-mode <mode>', desc: 'cgroups mode: soft|full|strict|ignore' },
      bundle,
      { flags: '-d, --detach', desc: 'detach from the container\'s process' },
      pidFile,
      { flags: '--no-subreaper', desc: 'disable the use of the subreaper used to reap reparented processes' },
      noPivot,
      { flags: '--empty-ns <ns>', desc: 'create a namespace, but don\'t restore its properties', repeat: true },
      { flags: '--auto-dedup', desc: 'enable auto deduplication of memory images' },
      { flags: '--lazy-pages', desc: 'use userfaultfd to lazily restore memory pages' },
      { flags: '--lsm-profile <profile>', desc: 'restore the container with this LSM profile' },
      { flags: '--lsm-mount-context <context>', desc: 'restore the container with this LSM mount context' },
    ],
  },
] as const satisfies readonly CmdSpec[];
export const commands: readonly CmdSpec[] = commandTable;

export function findCommand(name: string): CmdSpec | undefined {
  return commands.find((c) => c.name === name);
}

// The options of each command as a type, from the table itself: `--pid-file <path>`
// is `pidFile: string | undefined`, `--force` is `force: boolean`, a repeated flag a
// list; a flag with a default is never undefined. What argv.ts puts in `opts`.
type LongName<F extends string> = F extends `${string}--${infer L} <${string}>` ? L : F extends `${string}--${infer L}` ? L : never;
type Camel<S extends string> = S extends `${infer H}-${infer T}` ? `${H}${Capitalize<Camel<T>>}` : S;
type ValueOf<O extends OptSpec> = O extends { repeat: true }
  ? string[]
  : O['flags'] extends `${string}<${string}>`
    ? O extends { default: string } ? string : string | undefined
    : boolean;
type OptionsOfList<L extends readonly OptSpec[]> = { [O in L[number] as Camel<LongName<O['flags']>>]: ValueOf<O> };

export type CommandName = (typeof commandTable)[number]['name'];
export type CommandOptions<N extends CommandName> = OptionsOfList<Extract<(typeof commandTable)[number], { name: N }>['options']>;
export type GlobalOptionValues = OptionsOfList<typeof globalTable>;
