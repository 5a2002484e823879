// `tsrun create --dry-run`: the plan as an operator reads it.
import { opDescs } from './generated/ops.js';
import type { Plan } from './types.js';

function show(v: unknown, hex = false): string {
  if (typeof v === 'bigint') {
    if (v === (1n << 64n) - 1n) return 'unlimited';
    return hex && v > 9n ? `0x${v.toString(16)}` : String(v);
  }
  if (typeof v === 'string') return JSON.stringify(v);
  if (v instanceof Uint8Array) return `<${v.length} bytes>`;
  if (Array.isArray(v)) return `[${v.map((x) => show(x, hex)).join(', ')}]`;
  return String(v);
}

const HEX_FIELDS = new Set(['flags', 'propagation', 'mask', 'effective', 'permitted', 'inheritable', 'ambient', 'nstype', 'mode', 'type']);

/** @param bytes the encoded size, when the caller encoded it (create --dry-run does: the executor's limit is on it) */
export function explainPlan(plan: Plan, bytes?: number): string {
  const stageName = { pre: 'stage0', parent: 'stage0>', child: 'child' } as const;
  const lines = plan.ops.map((o, i) => {
    const desc = opDescs[o.op];
    const fields = Object.entries(o.args as Record<string, unknown>)
      .map(([k, v]) => `${k}=${HEX_FIELDS.has(k) && typeof v === 'number' ? `0x${v.toString(16)}` : show(v, HEX_FIELDS.has(k))}`)
      .join(' ');
    const from = o.field ? `  <- ${o.field}` : '';
    return `${String(i).padStart(3)}  ${stageName[desc.stage].padEnd(7)} ${o.op.padEnd(15)} ${fields}${from}`;
  });
  const size = bytes === undefined ? '' : `, ${bytes} bytes`;
  return `# tsrun plan: ${plan.ops.length} operations${size}${plan.flags & 1 ? ' (monitor)' : ''}\n${lines.join('\n')}\n`;
}
