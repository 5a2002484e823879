// A tiny interpreter for the eBPF instructions the device filter uses, to
// run the generated program against a table of accesses without a kernel.
// It knows exactly the opcodes it is given and fails loudly on any other,
// so a generator change that emits something new cannot pass unnoticed.
import type { Insn } from '../../../src/cgroups/devices/bpf-program.js';

const MASK64 = (1n << 64n) - 1n;
const MASK32 = (1n << 32n) - 1n;

export interface DeviceCtx {
  /** 1 block, 2 char */
  type: number;
  /** bits: 1 mknod, 2 read, 4 write */
  access: number;
  major: number;
  minor: number;
}

export function runFilter(prog: readonly Insn[], ctx: DeviceCtx, maxSteps = 100_000): number {
  const mem = Buffer.alloc(12);
  mem.writeUInt32LE(((ctx.access << 16) | ctx.type) >>> 0, 0);
  mem.writeUInt32LE(ctx.major >>> 0, 4);
  mem.writeUInt32LE(ctx.minor >>> 0, 8);
  const CTX = 0x1000n; // r1 holds a fake pointer; loads must be relative to it
  const r: bigint[] = new Array(11).fill(0n);
  const init = new Array(11).fill(false);
  r[1] = CTX;
  init[1] = true;
  init[10] = true;
  const get = (i: number) => {
    if (!init[i]) throw new Error(`read of uninitialised r${i}`);
    return r[i]!;
  };
  const set = (i: number, v: bigint) => {
    r[i] = v & MASK64;
    init[i] = true;
  };
  const imm64 = (imm: number) => BigInt.asUintN(64, BigInt(imm)); // sign-extended
  let pc = 0;
  for (let steps = 0; steps < maxSteps; steps++) {
    const p = prog[pc];
    if (!p) throw new Error(`pc ${pc} out of the program`);
    pc++;
    switch (p.code) {
      case 0x61: {
        const off = Number(get(p.src) - CTX) + p.off;
        if (p.src !== 1 || off < 0 || off > 8 || off % 4) throw new Error(`bad ctx load at ${off}`);
        set(p.dst, BigInt(mem.readUInt32LE(off)));
        break;
      }
      case 0xb7: set(p.dst, imm64(p.imm)); break;
      case 0xbf: set(p.dst, get(p.src)); break;
      case 0x54: set(p.dst, (get(p.dst) & imm64(p.imm)) & MASK32); break;
      case 0x57: set(p.dst, get(p.dst) & imm64(p.imm)); break;
      case 0x74: set(p.dst, ((get(p.dst) & MASK32) >> BigInt(p.imm)) & MASK32); break;
      case 0x15: if (get(p.dst) === imm64(p.imm)) pc += p.off; break;
      case 0x55: if (get(p.dst) !== imm64(p.imm)) pc += p.off; break;
      case 0x95: return Number(get(0));
      default:
        throw new Error(`opcode 0x${p.code.toString(16)} not emulated`);
    }
  }
  throw new Error('program did not terminate');
}
