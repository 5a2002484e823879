// The cgroup v2 device filter: the rule list compiled to a
// BPF_PROG_TYPE_CGROUP_DEVICE program. Pure: rules in, instructions out; the
// syscalls that load and attach it are in ../bpf-syscall.ts.
//
// The kernel calls the program with struct bpf_cgroup_dev_ctx:
//   u32 access_type  (low 16 bits: device type, 1 = block, 2 = char;
//                     high 16 bits: access, 1 = mknod, 2 = read, 4 = write)
//   u32 major, u32 minor
// and allows the access when it returns 1.
//
// Register use:
//   r2 = access bits still to be granted   r3 = device type
//   r4 = major   r5 = minor   r6 = scratch
// The rules are tested from the last to the first (the last matching rule
// decides, per access bit): an allow rule clears the bits it grants and the
// program returns 1 once none remain; a deny rule that names a pending bit
// returns 0; falling off the end denies.
import { type DeviceRule, accessBits } from './rules.js';

export interface Insn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

// Opcode bytes (linux/bpf_common.h, linux/bpf.h).
export const Op = {
  LDXW: 0x61, // dst = *(u32 *)(src + off)
  MOV64_K: 0xb7,
  MOV64_X: 0xbf,
  AND32_K: 0x54,
  AND64_K: 0x57,
  RSH32_K: 0x74,
  JEQ_K: 0x15,
  JNE_K: 0x55,
  EXIT: 0x95,
} as const;

export const DEV_BLOCK = 1;
export const DEV_CHAR = 2;

const ins = (code: number, dst: number, src: number, off: number, imm: number): Insn => ({ code, dst, src, off, imm });

function ruleBlock(r: DeviceRule): Insn[] {
  const checks: Array<[reg: number, value: number]> = [];
  if (r.type !== 'a') checks.push([3, r.type === 'b' ? DEV_BLOCK : DEV_CHAR]);
  if (r.major !== -1) checks.push([4, r.major]);
  if (r.minor !== -1) checks.push([5, r.minor]);
  const bits = accessBits(r.access);
  const body: Insn[] = r.allow
    ? [
        ins(Op.AND64_K, 2, 0, 0, ~bits & 0xffff),
        ins(Op.JNE_K, 2, 0, 2, 0),
        ins(Op.MOV64_K, 0, 0, 0, 1),
        ins(Op.EXIT, 0, 0, 0, 0),
      ]
    : [
        ins(Op.MOV64_X, 6, 2, 0, 0),
        ins(Op.AND32_K, 6, 0, 0, bits),
        ins(Op.JEQ_K, 6, 0, 2, 0),
        ins(Op.MOV64_K, 0, 0, 0, 0),
        ins(Op.EXIT, 0, 0, 0, 0),
      ];
  // Each check jumps over the rest of this block when the device differs.
  const out: Insn[] = [];
  checks.forEach(([reg, value], i) => {
    const rest = checks.length - i - 1 + body.length;
    // Immediates are signed 32-bit; majors/minors fit (12 and 20 bits in the kernel).
    out.push(ins(Op.JNE_K, reg, 0, rest, value | 0));
  });
  return [...out, ...body];
}

function unconditional(r: DeviceRule): boolean {
  return r.type === 'a' && r.major === -1 && r.minor === -1 && accessBits(r.access) === 7;
}

export function compileDeviceFilter(rules: readonly DeviceRule[]): Insn[] {
  const prog: Insn[] = [
    ins(Op.LDXW, 2, 1, 0, 0), // r2 = ctx->access_type
    ins(Op.MOV64_X, 3, 2, 0, 0),
    ins(Op.AND32_K, 3, 0, 0, 0xffff), // r3 = type
    ins(Op.RSH32_K, 2, 0, 0, 16), // r2 = access
    ins(Op.LDXW, 4, 1, 4, 0), // r4 = major
    ins(Op.LDXW, 5, 1, 8, 0), // r5 = minor
  ];
  for (let i = rules.length - 1; i >= 0; i--) {
    const r = rules[i]!;
    prog.push(...ruleBlock(r));
    // Rules before an unconditional "a *:* rwm" can never decide anything.
    if (unconditional(r)) break;
  }
  prog.push(ins(Op.MOV64_K, 0, 0, 0, 0), ins(Op.EXIT, 0, 0, 0, 0));
  return prog;
}

/**
 * struct bpf_insn[] in host byte order. The register byte is two 4-bit
 * bitfields, dst first: the low nibble on little-endian hosts, the high one
 * on big-endian ones (s390x).
 */
// the host's byte order without node:os, which every create would load for it
export function encodeProgram(prog: readonly Insn[], littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1): Buffer {
  const buf = Buffer.alloc(prog.length * 8);
  prog.forEach((p, i) => {
    const o = i * 8;
    buf.writeUInt8(p.code, o);
    if (littleEndian) {
      buf.writeUInt8(((p.src & 0xf) << 4) | (p.dst & 0xf), o + 1);
      buf.writeInt16LE(p.off, o + 2);
      buf.writeInt32LE(p.imm | 0, o + 4);
    } else {
      buf.writeUInt8(((p.dst & 0xf) << 4) | (p.src & 0xf), o + 1);
      buf.writeInt16BE(p.off, o + 2);
      buf.writeInt32BE(p.imm | 0, o + 4);
    }
  });
  return buf;
}
