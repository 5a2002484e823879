// Hooks the executor runs inside the container's namespaces: createContainer
// (before the pivot) and startContainer (after start, before the execve).
import type { Hook, Spec } from '../spec/types.js';
import { processEnv } from './process.js';
import { op, type PlanOp } from './types.js';

/**
 * A hook without `env` gets the environment of the container's process, as
 * under runc, whose init has set it up before it runs these hooks
 * (startContainer's also gets the process's HOME); `env: []` is empty.
 */
export function planHooks(config: Spec, kind: 'createContainer' | 'startContainer'): PlanOp[] {
  const hooks: Hook[] = config.hooks?.[kind] ?? [];
  return hooks.map((h, i) => op('hook', {
    kind, path: h.path, args: h.args ?? [], env: h.env ?? processEnv(config.process?.env), timeout: h.timeout ?? 0, process_env: h.env ? 0 : 1,
  }, `/hooks/${kind}/${i}`));
}
