// Hooks the executor runs inside the container's namespaces: createContainer
// (before the pivot) and startContainer (after start, before the execve).
import type { Hook, Spec } from '../spec/types.js';
import { processEnv } from './process.js';
import { op, type PlanOp } from './types.js';

/**
 * A hook without `env` gets the environment of the container's process, as
 * under runc, whose init has set it up before it runs these hooks
 * (startContainer's also gets the process's HOME); `env: []` is empty.
 * createContainer runs in the rootfs (runc's init chdirs there first) with
 * umask 0022 (runc's init has not set the process's yet); startContainer
 * where the process will be, with its umask, as the executor is by then.
 */
export function planHooks(config: Spec, kind: 'createContainer' | 'startContainer', rootfs = ''): PlanOp[] {
  const hooks: Hook[] = config.hooks?.[kind] ?? [];
  const umask = kind === 'createContainer' ? 0o022 : config.process?.user?.umask ?? 0o022;
  const dir = kind === 'createContainer' ? rootfs : '';
  return hooks.map((h, i) => op('hook', {
    kind, path: h.path, args: h.args ?? [], env: h.env ?? processEnv(config.process?.env), timeout: h.timeout ?? 0, process_env: h.env ? 0 : 1, umask, dir,
  }, `/hooks/${kind}/${i}`));
}
