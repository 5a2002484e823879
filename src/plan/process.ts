// The process: rlimits (set from outside), scheduling and io priority,
// oom_score_adj, credentials and capabilities in runc's order, the cwd, the
// executable lookup, and the final execve.
import { TsrunError } from '../errors.js';
import type { LinuxCapabilities, Process, Spec, User } from '../spec/types.js';
import { CAPABILITIES, IOPRIO_CLASS, PERSONALITY, RLIMITS, SCHED_FLAG, SCHED_POLICY } from './linux.js';
import { op, type PlanOp } from './types.js';

const where = (file: string, field: string) => ({ field, file });

/** A capability list as a bitmask; unknown names are reported back (runc warns and skips them). */
export function capMask(names: string[] | undefined, unknown: string[] = []): bigint {
  let mask = 0n;
  for (const n of names ?? []) {
    const i = (CAPABILITIES as readonly string[]).indexOf(n.toUpperCase().startsWith('CAP_') ? n.toUpperCase() : `CAP_${n.toUpperCase()}`);
    if (i < 0) unknown.push(n);
    else mask |= 1n << BigInt(i);
  }
  return mask;
}

/** Parse a cpu list like "0-3,7" into a little-endian cpu_set_t bitmask. */
export function cpuMask(list: string, field: string, file: string): Uint8Array {
  const cpus: number[] = [];
  for (const part of list.split(',').map((s) => s.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw new TsrunError(`invalid CPU list ${JSON.stringify(list)}`, where(file, field));
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a || b >= 8192) throw new TsrunError(`invalid CPU range ${JSON.stringify(part)}`, where(file, field));
    for (let c = a; c <= b; c++) cpus.push(c);
  }
  const bytes = new Uint8Array(Math.max(128, Math.ceil((Math.max(-1, ...cpus) + 1) / 64) * 8));
  for (const c of cpus) bytes[c >> 3]! |= 1 << (c & 7);
  return bytes;
}

export interface ProcessPlanOptions {
  /** JSON pointer prefix of the process object: "/process" (config.json) or "" (process.json). */
  base: string;
  file: string;
  rootless?: boolean;
  newUser?: boolean;
  warnings?: string[];
  /** tsrun's own capability bounding set: what a process it starts can hold at most. */
  bounding?: bigint;
}

const RLIM_INFINITY = (1n << 64n) - 1n;

/**
 * A uint64 limit from JSON: "unlimited" (2^64-1) arrives as a double that
 * rounds up to 2^64, which must not wrap around to a small number.
 */
function rlimValue(v: number): bigint {
  if (!Number.isFinite(v) || v >= 2 ** 64 - 1) return RLIM_INFINITY;
  return BigInt(Math.max(0, Math.trunc(v)));
}

/** Ops stage 0 runs on the child from outside. */
export function planRlimits(proc: Process, o: ProcessPlanOptions): PlanOp[] {
  return (proc.rlimits ?? []).map((r, i) => {
    const res = RLIMITS[r.type];
    if (res === undefined) throw new TsrunError(`unknown rlimit type "${r.type}"`, where(o.file, `${o.base}/rlimits/${i}/type`));
    return op('prlimit', { resource: res, soft: rlimValue(r.soft), hard: rlimValue(r.hard) }, `${o.base}/rlimits/${i}`);
  });
}

/** Attributes set before the credentials change (they may need privileges). */
export function planAttributes(proc: Process, config: Spec | undefined, o: ProcessPlanOptions): PlanOp[] {
  const ops: PlanOp[] = [];
  const b = o.base;
  if (proc.oomScoreAdj !== undefined) ops.push(op('oom_score_adj', { value: proc.oomScoreAdj }, `${b}/oomScoreAdj`));
  const pers = config?.linux?.personality;
  if (pers) {
    const persona = PERSONALITY[pers.domain];
    if (persona === undefined) throw new TsrunError(`unknown personality domain "${pers.domain}"`, where('config.json', '/linux/personality/domain'));
    ops.push(op('personality', { persona }, '/linux/personality'));
  }
  if (proc.ioPriority) {
    const cls = IOPRIO_CLASS[proc.ioPriority.class];
    if (cls === undefined) throw new TsrunError(`unknown ioPriority class "${proc.ioPriority.class}"`, where(o.file, `${b}/ioPriority/class`));
    ops.push(op('ioprio', { value: (cls << 13) | proc.ioPriority.priority }, `${b}/ioPriority`));
  }
  if (proc.scheduler) {
    const s = proc.scheduler;
    const policy = SCHED_POLICY[s.policy];
    if (policy === undefined) throw new TsrunError(`unknown scheduler policy "${s.policy}"`, where(o.file, `${b}/scheduler/policy`));
    let flags = 0;
    for (const f of s.flags ?? []) flags |= SCHED_FLAG[f] ?? 0;
    ops.push(op('scheduler', {
      policy, nice: s.nice ?? 0, priority: s.priority ?? 0, flags: BigInt(flags),
      runtime: BigInt(s.runtime ?? 0), deadline: BigInt(s.deadline ?? 0), period: BigInt(s.period ?? 0),
    }, `${b}/scheduler`));
  }
  if (proc.execCPUAffinity?.final) {
    ops.push(op('cpu_affinity', { mask: cpuMask(proc.execCPUAffinity.final, `${b}/execCPUAffinity/final`, o.file) }, `${b}/execCPUAffinity/final`));
  }
  return ops;
}

/**
 * The environment the process gets: one entry per name, where the name first
 * appears, with the value it last had (runc sets each entry in turn, Go's
 * Setenv replacing in place), so `exec -e PATH=...` overrides the config's PATH.
 */
export function processEnv(env: string[] | undefined): string[] {
  const out: string[] = [];
  const at = new Map<string, number>();
  for (const e of env ?? []) {
    const eq = e.indexOf('=');
    const name = eq < 0 ? e : e.slice(0, eq);
    const i = at.get(name);
    if (i === undefined) {
      at.set(name, out.length);
      out.push(e);
    } else out[i] = e;
  }
  return out;
}

/** No user (an exec process.json may leave it out) is root, as under runc. */
export const userOf = (proc: Process): User => proc.user ?? { uid: 0, gid: 0 };

/** Credentials and capabilities, as runc's finalizeNamespace orders them. */
export function planCredentials(proc: Process, o: ProcessPlanOptions): PlanOp[] {
  const ops: PlanOp[] = [];
  const b = o.base;
  const user = userOf(proc);
  // runc's setupUser, before the credentials change: HOME from the user's
  // entry in the container's /etc/passwd (read inside the root, so a symlink
  // there resolves in the container, and exec reads the file as it is now)
  // unless the environment has one; then the stdio handed in (a pty, the
  // engine's fifos) becomes the user's, so it can reopen /dev/stdout.
  if (!processEnv(proc.env).some((e) => e.startsWith('HOME=') && e.length > 5)) ops.push(op('home_env', { uid: user.uid }, `${b}/env`));
  ops.push(op('stdio_owner', { uid: user.uid }, `${b}/user/uid`));
  const caps: LinuxCapabilities | undefined = proc.capabilities;
  const unknown: string[] = [];
  // A capability outside our own bounding set cannot be granted: drop it with
  // a warning (config.md: warn, SHOULD NOT fail), so `docker run --privileged`
  // works on hosts with a reduced bounding set, where runc's capset fails.
  let dropped = 0n;
  const mask = (names: string[] | undefined) => {
    const m = capMask(names, unknown);
    if (o.bounding === undefined) return m;
    dropped |= m & ~o.bounding;
    return m & o.bounding;
  };
  if (caps) ops.push(op('caps_bounding', { mask: mask(caps.bounding) }, `${b}/capabilities/bounding`));
  const gids = user.additionalGids ?? [];
  ops.push(op('user', {
    uid: user.uid, gid: user.gid, gids,
    // setgroups is denied in a user namespace an unprivileged user made
    set_groups: o.rootless && o.newUser && gids.length === 0 ? 0 : 1,
  }, `${b}/user`));
  if (user.umask !== undefined) ops.push(op('umask', { mask: user.umask }, `${b}/user/umask`));
  else ops.push(op('umask', { mask: 0o022 }, undefined));
  if (caps) {
    ops.push(op('caps', {
      effective: mask(caps.effective),
      permitted: mask(caps.permitted),
      inheritable: mask(caps.inheritable),
      ambient: mask(caps.ambient),
    }, `${b}/capabilities`));
  }
  // config.md: an unknown name MUST be logged as a warning, the runtime SHOULD
  // NOT fail (a newer kernel's capability); in runc's words, on the log or stderr
  if (unknown.length > 0) o.warnings?.push(`ignoring unknown or unavailable capabilities: [${[...new Set(unknown)].sort().join(' ')}]`);
  CAPABILITIES.forEach((name, i) => {
    if (dropped & (1n << BigInt(i))) o.warnings?.push(`${b}/capabilities: ${name} is not in tsrun's bounding set: dropped`);
  });
  if (proc.noNewPrivileges) ops.push(op('no_new_privs', {}, `${b}/noNewPrivileges`));
  return ops;
}

/** The end: resolve args[0] (a create-time error when missing), report ready, wait, exec. */
export function planExec(proc: Process, o: ProcessPlanOptions & { preserveFds: number; waitStart: boolean; startHooks: PlanOp[] }): PlanOp[] {
  const args = proc.args ?? [];
  if (args.length === 0) throw new TsrunError('args must not be empty', where(o.file, `${o.base}/args`));
  const env = processEnv(proc.env);
  const pathEnv = env.find((e) => e.startsWith('PATH='))?.slice(5) ?? '';
  const ops: PlanOp[] = [op('lookup_exec', { name: args[0]!, path_env: pathEnv }, `${o.base}/args/0`), op('ready', {}, undefined)];
  if (o.waitStart) ops.push(op('wait_start', {}, undefined));
  ops.push(...o.startHooks);
  ops.push(op('exec', { args, env, preserve_fds: o.preserveFds }, `${o.base}/args`));
  return ops;
}
