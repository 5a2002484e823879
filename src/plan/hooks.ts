// Hooks the executor runs inside the container's namespaces: createContainer
// (before the pivot) and startContainer (after start, before the execve).
import type { Hook, Spec } from '../spec/types.js';
import { op, type PlanOp } from './types.js';

export function planHooks(config: Spec, kind: 'createContainer' | 'startContainer'): PlanOp[] {
  const hooks: Hook[] = config.hooks?.[kind] ?? [];
  return hooks.map((h, i) =>
    op('hook', { kind, path: h.path, args: h.args ?? [], env: h.env ?? [], timeout: h.timeout ?? 0 }, `/hooks/${kind}/${i}`),
  );
}
