// A plan: what the executor will do, in order, each op with the config field
// that produced it, so an executor failure can name that field.
import type { OpFields, OpName } from './generated/ops.js';

export type { OpName, OpFields } from './generated/ops.js';

export type PlanOp = { [N in OpName]: { op: N; args: OpFields[N]; field?: string } }[OpName];

export interface Plan {
  /** PLAN_FLAG_* */
  flags: number;
  ops: PlanOp[];
}

/** Stage 0 stays, waits for the child and reports its exit status (foreground run/exec). */
export const PLAN_FLAG_MONITOR = 1;
/** With MONITOR and a terminal but no console socket: stage 0 copies the pty to and from its stdio. */
export const PLAN_FLAG_PROXY_TTY = 2;

export function op<N extends OpName>(name: N, args: OpFields[N], field?: string): PlanOp {
  return { op: name, args, field } as PlanOp;
}
