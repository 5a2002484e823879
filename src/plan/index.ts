// The plan compiler's public face. Pure functions only (no fs, koffi, clock).
export { compileCreate, compileExec, type Compiled } from './compile.js';
export type { CreateContext, ExecContext, CgroupBind } from './context.js';
export { encodePlan } from './encode.js';
export { explainPlan } from './explain.js';
export { PLAN_FLAG_MONITOR, PLAN_FLAG_PROXY_TTY, type Plan, type PlanOp } from './types.js';
