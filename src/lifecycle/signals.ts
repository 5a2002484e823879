// Signal names and numbers as `kill` accepts them: KILL, SIGKILL, 9.
import { TsrunError } from '../errors.js';
import { signals } from '../state/generated/fast.js';

declare const require: (id: string) => unknown;

/**
 * Linux's generic signal numbers, which x86, arm, arm64, powerpc, s390, riscv
 * and loongarch share: the same names and numbers as Node's
 * os.constants.signals there (a unit test compares them), defined once in
 * src/state/fast.def.mjs, where bin/tsrun's `kill` gets them too. Loading
 * node:os for that table costs ~0.3 ms of `kill`; mips, sparc, alpha and
 * parisc number signals differently, so there the table comes from node:os.
 */
const GENERIC_SIGNALS = signals;
const GENERIC_ARCHES = new Set(['x64', 'ia32', 'arm', 'arm64', 'ppc', 'ppc64', 's390', 's390x', 'riscv64', 'loong64']);

/** Signal name -> number on this machine. */
export function signalTable(): Readonly<Record<string, number>> {
  if (process.platform === 'linux' && GENERIC_ARCHES.has(process.arch)) return GENERIC_SIGNALS;
  return (require('node:os') as typeof import('node:os')).constants.signals as Record<string, number>;
}

/**
 * A number is taken as it is, as runc and crun take it: 0 asks only whether
 * the init is alive, and the kernel refuses what is out of range (EINVAL).
 */
export function parseSignal(text: string): number {
  if (/^[+-]?\d+$/.test(text)) {
    const n = Number(text);
    if (Number.isSafeInteger(n) && n >= -0x80000000 && n <= 0x7fffffff) return n;
  }
  const upper = text.toUpperCase();
  const name = upper.startsWith('SIG') ? upper : `SIG${upper}`;
  const n = signalTable()[name];
  if (n !== undefined) return n;
  const rt = /^SIGRTMIN(?:\+(\d+))?$/.exec(name) ?? /^SIGRTMAX(?:-(\d+))?$/.exec(name);
  if (rt) return name.startsWith('SIGRTMIN') ? 34 + Number(rt[1] ?? 0) : 64 - Number(rt[1] ?? 0);
  throw new TsrunError(`unknown signal "${text}"`);
}
