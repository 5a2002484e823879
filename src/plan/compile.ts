// Config -> plan. Pure: the same config and context always give the same plan.
// The order is the order a container is born (see native/exec/main.c).
import { TsrunError } from '../errors.js';
import type { Process, Spec } from '../spec/types.js';
import type { CreateContext, ExecContext } from './context.js';
import { placeAppArmor } from './apparmor.js';
import { planHooks } from './hooks.js';
import { CLONE, MOUNT_OPT_HOST_SOURCE, NS_FILE } from './linux.js';
import { planAfterPivot, planRootfs } from './mounts.js';
import { planNamespaces } from './namespaces.js';
import { planAttributes, planCredentials, planExec, planRlimits } from './process.js';
import { opDescs } from './generated/ops.js';
import { EXEC_FIFO } from '../state/generated/fast.js';
import { op, PLAN_FLAG_MONITOR, PLAN_FLAG_PROXY_TTY, type OpName, type Plan, type PlanOp } from './types.js';

export interface Compiled {
  plan: Plan;
  /** Things the runtime should log as warnings (unknown capabilities...). */
  warnings: string[];
}

const cfg = (field: string) => ({ field, file: 'config.json' });

function checkSeccomp(config: Spec, seccomp: CreateContext['seccomp']): void {
  if (config.linux?.seccomp && !seccomp) throw new TsrunError('linux.seccomp: the profile was not compiled to BPF (src/sys/seccomp.ts)', cfg('/linux/seccomp'));
}

/**
 * Where the filter goes: with no_new_privs it is the last thing before the
 * exec lookup (fewest syscalls of ours filtered); without, loading needs
 * CAP_SYS_ADMIN, so it goes before the credentials drop (runc does the same).
 */
function placeSeccomp(ops: PlanOp[], seccomp: CreateContext['seccomp'], nnp: boolean): void {
  if (!seccomp) return;
  const s = op('seccomp', { flags: seccomp.flags, program: seccomp.program, listener: seccomp.listenerPath ? 1 : 0 }, '/linux/seccomp');
  if (seccomp.listenerPath) {
    // connected from the runtime's namespaces, before any join_ns (exec joins
    // the init's mount namespace): the path is a host path, as under runc
    const at = ops.findIndex((o) => o.op === 'join_ns' || o.op === 'clone');
    ops.splice(at, 0, op('seccomp_listener', { path: seccomp.listenerPath }, '/linux/seccomp/listenerPath'));
  }
  const at = nnp ? ops.findIndex((o) => o.op === 'lookup_exec') : ops.findIndex((o) => o.op === 'caps_bounding' || o.op === 'user');
  ops.splice(at < 0 ? ops.length : at, 0, s);
}

/** What the child may do before GO: prepare the rootfs, as runc's init does before its procHooks sync. */
const PREPARE = new Set<OpName>(['become_root', 'unshare', 'session_keyring', 'propagation', 'rootfs', 'mount', 'mount_attr', 'mount_idmap', 'cgroup_v1_binds', 'mknod', 'symlink', 'mkdir']);

/**
 * Where the child waits for GO: after its rootfs preparation (mounts,
 * devices, links), before createContainer hooks and the pivot, as runc's
 * init waits for its parent there. The child prepares while the runtime
 * writes the cgroup limits and the state; prestart and createRuntime hooks
 * (`report`: the child says when it got there) see the mounts made, as
 * under runc. Anything after needs the state GO carries, or the hooks done.
 */
function placeWaitGo(ops: PlanOp[], report: boolean): void {
  let at = ops.findIndex((o) => opDescs[o.op].stage === 'child');
  if (at < 0) at = ops.length;
  while (at < ops.length && PREPARE.has(ops[at]!.op)) at++;
  ops.splice(at, 0, op('wait_go', { report: report ? 1 : 0 }, undefined));
}

export function compileCreate(config: Spec, ctx: CreateContext): Compiled {
  checkSeccomp(config, ctx.seccomp);
  const proc = config.process;
  if (!proc) throw new TsrunError('process is required to create a container', cfg('/process'));
  const warnings: string[] = [];
  const ns = planNamespaces(config, { rootless: ctx.rootless, idMapHelpers: ctx.idMapHelpers });
  // No mount namespace at all: the container shares the runtime's mount
  // table. runc then makes the config's mounts in it (they outlive the
  // container) and chroots; we only chroot, and say what was not mounted.
  const sharedMounts = !ns.newMount && !config.linux?.namespaces?.some((n) => n.type === 'mount');
  if (sharedMounts && config.mounts?.length) {
    warnings.push('no mount namespace: the mounts in config.json are not made (they would change the runtime\'s mount table and outlive the container)');
  }
  if (sharedMounts && config.root?.readonly) {
    throw new TsrunError('a read-only root needs a mount namespace (it would remount the host\'s filesystem)', cfg('/root/readonly'));
  }
  const types = new Set((config.linux?.namespaces ?? []).map((n) => n.type));
  if (config.hostname && !types.has('uts')) throw new TsrunError('unable to set hostname without a private UTS namespace', cfg('/hostname'));
  if (config.domainname && !types.has('uts')) throw new TsrunError('unable to set domainname without a private UTS namespace', cfg('/domainname'));
  const proxy = !!(proc.terminal && !ctx.consoleSocket && ctx.proxyTty && ctx.monitor);
  if (proc.terminal && !ctx.consoleSocket && !proxy) {
    throw new TsrunError('cannot allocate tty if tsrun will detach without setting console socket', cfg('/process/terminal'));
  }
  if (!proc.terminal && ctx.consoleSocket) {
    throw new TsrunError('cannot use console socket if tsrun will not detach or allocate tty', cfg('/process/terminal'));
  }
  const po = { base: '/process', file: 'config.json', rootless: ctx.rootless && !ctx.idMapHelpers?.gid, newUser: ns.newUser, warnings, bounding: ctx.bounding };

  const ops: PlanOp[] = [];
  ops.push(op('exec_fifo', { path: `${ctx.stateDir}/${EXEC_FIFO}` }, undefined));
  if (proc.terminal && ctx.consoleSocket) ops.push(op('console_socket', { path: ctx.consoleSocket }, '/process/terminal'));
  if (ctx.pidfdSocket) ops.push(op('pidfd_socket', { path: ctx.pidfdSocket }, undefined));
  ops.push(...ns.pre);
  ops.push(op('clone', { flags: BigInt(ns.cloneFlags) }, '/linux/namespaces'));
  // from outside, before the child runs anything
  ops.push(...ns.parent);
  ops.push(...planRlimits(proc, po));
  // The runtime makes the cgroup while we clone and says so. Not with a mount
  // namespace joined by path: stage 0 is in it by then, and the host's
  // cgroup.procs paths must be opened before (they are, for a plan without
  // this op); the runtime then makes the cgroup before it sends the plan.
  const joinsMount = ns.pre.some((o) => o.op === 'join_ns' && o.args.nstype === CLONE.mount);
  if (ctx.cgroupAnnounce && joinsMount) {
    // the unit (and so the cgroup.procs files) exists only once the child does, and by then stage 0 is in the joined mount namespace
    throw new TsrunError('--systemd-cgroup cannot place a container that joins a mount namespace by path; use the cgroupfs driver', cfg('/linux/namespaces'));
  }
  if (ctx.cgroupProcs?.length && !joinsMount) ops.push(op('wait_cgroup', { announce: ctx.cgroupAnnounce ? 1 : 0 }, undefined));
  for (const p of ctx.cgroupProcs ?? []) ops.push(op('cgroup_join', { path: p }, '/linux/cgroupsPath'));
  // the child
  ops.push(...ns.child);
  if (!ctx.noNewKeyring) ops.push(op('session_keyring', { name: `_ses.${ctx.id}` }, undefined));
  if (sharedMounts) {
    ops.push(...planHooks(config, 'createContainer', ctx.rootfs), op('chroot', { path: ctx.rootfs }, '/root/path'));
  } else {
    const { beforePivot, pivot } = planRootfs(config, {
      bundle: ctx.bundle, rootfs: ctx.rootfs, newUser: ns.newUser, cgroupBinds: ctx.cgroupBinds, cgroupV2: ctx.cgroupV2,
      hostSources: ns.newUser && ns.newMount && !ctx.rootless,
      noPivot: ctx.noPivot, hostKcore: ctx.hostKcore, cwd: proc.cwd, createContainerHooks: planHooks(config, 'createContainer', ctx.rootfs),
    });
    ops.push(...beforePivot, pivot);
    // stage 0 opens the sources the child binds, once the child's mount namespace exists
    if (beforePivot.some((o) => o.op === 'mount' && o.args.options & MOUNT_OPT_HOST_SOURCE)) {
      ops.splice(ops.findIndex((o) => o.op === 'clone') + ns.parent.length + 1, 0, op('mount_sources', {}, '/mounts'));
    }
  }
  if (proc.terminal) ops.push(op('console', { rows: proc.consoleSize?.height ?? 0, cols: proc.consoleSize?.width ?? 0, bind_console: sharedMounts ? 0 : 1 }, '/process/consoleSize'));
  const after = planAfterPivot(config);
  if (!sharedMounts) ops.push(...after.readonlyMounts);
  ops.push(...after.readonlyRoot);
  if (config.hostname) ops.push(op('hostname', { name: config.hostname }, '/hostname'));
  if (config.domainname) ops.push(op('domainname', { name: config.domainname }, '/domainname'));
  for (const [key, value] of Object.entries(config.linux?.sysctl ?? {})) {
    ops.push(op('sysctl', { key: key.replace(/\./g, '/'), value }, `/linux/sysctl/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`));
  }
  ops.push(...after.paths);
  ops.push(...planAttributes(proc, config, po));
  ops.push(op('chdir', { path: proc.cwd }, '/process/cwd'));
  ops.push(...planCredentials(proc, po));
  ops.push(...planExec(proc, { ...po, preserveFds: ctx.preserveFds ?? 0, waitStart: true, startHooks: planHooks(config, 'startContainer') }));
  placeSeccomp(ops, ctx.seccomp, proc.noNewPrivileges === true);
  placeAppArmor(ops, proc.apparmorProfile ? { profile: proc.apparmorProfile, file: 'config.json', field: '/process/apparmorProfile' } : undefined, ctx.apparmorEnabled === true);
  placeWaitGo(ops, !!(config.hooks?.prestart?.length || config.hooks?.createRuntime?.length));
  return { plan: { flags: (ctx.monitor ? PLAN_FLAG_MONITOR : 0) | (proxy ? PLAN_FLAG_PROXY_TTY : 0), ops }, warnings };
}

/** A process joining a running container (`tsrun exec`). */
export function compileExec(proc: Process, container: Spec, ctx: ExecContext, file = 'process.json'): Compiled {
  const warnings: string[] = [];
  const nsTypes = (container.linux?.namespaces ?? []).map((n) => n.type);
  const newUser = nsTypes.includes('user');
  // a process.json is its own document; flags applied to the config's process point into config.json
  const base = file === 'config.json' ? '/process' : '';
  const po = { base, file, rootless: ctx.rootless, newUser, warnings, bounding: ctx.bounding };
  const ops: PlanOp[] = [];
  const proxy = !!(proc.terminal && !ctx.consoleSocket && ctx.proxyTty && ctx.monitor);
  if (proc.terminal && !proxy) {
    if (!ctx.consoleSocket) throw new TsrunError('cannot allocate tty if tsrun will detach without setting console socket', { field: `${base}/terminal`, file });
    ops.push(op('console_socket', { path: ctx.consoleSocket }, `${base}/terminal`));
  }
  if (ctx.pidfdSocket) ops.push(op('pidfd_socket', { path: ctx.pidfdSocket }, undefined));
  const ordered = [...new Set(nsTypes)].sort((a, b) => (a === 'user' ? -1 : b === 'user' ? 1 : 0));
  // Cloned into its cgroup (cgroup v2), the kernel checks that move with the
  // cloner's credentials and cgroup namespace: stage 0 stays the host's root
  // in both, and the child joins the user and cgroup namespaces itself.
  const late: string[] = ctx.cloneIntoCgroup ? ordered.filter((t) => t === 'user' || t === 'cgroup') : [];
  const nsPath = (t: string) => `/proc/${ctx.initPid}/ns/${NS_FILE[t as keyof typeof NS_FILE]}`;
  for (const t of ordered) {
    if (!late.includes(t)) ops.push(op('join_ns', { nstype: CLONE[t], path: nsPath(t) }, '/linux/namespaces'));
  }
  if (ctx.cloneIntoCgroup) ops.push(op('cgroup_clone', { path: ctx.cloneIntoCgroup }, undefined));
  ops.push(op('clone', { flags: 0n }, undefined));
  ops.push(...planRlimits(proc, po));
  for (const p of ctx.cgroupProcs ?? []) ops.push(op('cgroup_join', { path: p }, undefined));
  for (const t of late) ops.push(op('join_ns_child', { nstype: CLONE[t as keyof typeof CLONE], path: nsPath(t) }, '/linux/namespaces'));
  // nothing to prepare: the process waits for GO (sent once it is in its cgroup) first
  ops.push(op('wait_go', { report: 0 }, undefined));
  if (proc.terminal) ops.push(op('console', { rows: proc.consoleSize?.height ?? 0, cols: proc.consoleSize?.width ?? 0, bind_console: 0 }, `${base}/consoleSize`));
  ops.push(...planAttributes(proc, undefined, po));
  ops.push(op('chdir', { path: proc.cwd }, `${base}/cwd`));
  ops.push(...planCredentials(proc, po));
  ops.push(...planExec(proc, { ...po, preserveFds: ctx.preserveFds ?? 0, waitStart: false, startHooks: [] }));
  checkSeccomp(container, ctx.seccomp);
  placeSeccomp(ops, ctx.seccomp, proc.noNewPrivileges === true);
  placeAppArmor(ops, ctx.apparmor, ctx.apparmorEnabled === true);
  return { plan: { flags: (ctx.monitor ? PLAN_FLAG_MONITOR : 0) | (proxy ? PLAN_FLAG_PROXY_TTY : 0), ops }, warnings };
}
