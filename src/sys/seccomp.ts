// linux.seccomp -> a classic BPF program, compiled by libseccomp through
// koffi in the runtime (crun's way): the executor only installs the bytes.
// Rules follow runc: syscalls libseccomp does not know are skipped, rules
// whose action is the default are skipped, and conditions on the same
// argument index become separate rules (OR), otherwise one rule (AND).
import { fstatSync, readSync, closeSync } from 'node:fs';
import { TsrunError } from '../errors.js';
import type { LinuxSeccomp, LinuxSyscall, SeccompAction } from '../spec/types.js';

declare const require: (id: string) => unknown;

const EPERM = 1;

const ARCH: Record<string, number> = {
  SCMP_ARCH_X86: 0x40000003,
  SCMP_ARCH_X86_64: 0xc000003e,
  SCMP_ARCH_X32: 0x4000003e,
  SCMP_ARCH_ARM: 0x40000028,
  SCMP_ARCH_AARCH64: 0xc00000b7,
  SCMP_ARCH_MIPS: 0x00000008,
  SCMP_ARCH_MIPS64: 0x80000008,
  SCMP_ARCH_MIPS64N32: 0xa0000008,
  SCMP_ARCH_MIPSEL: 0x40000008,
  SCMP_ARCH_MIPSEL64: 0xc0000008,
  SCMP_ARCH_MIPSEL64N32: 0xe0000008,
  SCMP_ARCH_PPC: 0x00000014,
  SCMP_ARCH_PPC64: 0x80000015,
  SCMP_ARCH_PPC64LE: 0xc0000015,
  SCMP_ARCH_S390: 0x00000016,
  SCMP_ARCH_S390X: 0x80000016,
  SCMP_ARCH_PARISC: 0x0000000f,
  SCMP_ARCH_PARISC64: 0x8000000f,
  SCMP_ARCH_RISCV64: 0xc00000f3,
};

const CMP: Record<string, number> = {
  SCMP_CMP_NE: 1, SCMP_CMP_LT: 2, SCMP_CMP_LE: 3, SCMP_CMP_EQ: 4, SCMP_CMP_GE: 5, SCMP_CMP_GT: 6, SCMP_CMP_MASKED_EQ: 7,
};

const FILTER_FLAG: Record<string, number> = {
  SECCOMP_FILTER_FLAG_TSYNC: 1,
  SECCOMP_FILTER_FLAG_LOG: 2,
  SECCOMP_FILTER_FLAG_SPEC_ALLOW: 4,
  SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV: 32,
};

export function actionValue(action: SeccompAction, errnoRet: number | undefined, field: string): number {
  switch (action) {
    case 'SCMP_ACT_KILL':
    case 'SCMP_ACT_KILL_THREAD':
      return 0;
    case 'SCMP_ACT_KILL_PROCESS':
      return 0x80000000;
    case 'SCMP_ACT_TRAP':
      return 0x00030000;
    case 'SCMP_ACT_ERRNO':
      return (0x00050000 | ((errnoRet ?? EPERM) & 0xffff)) >>> 0;
    case 'SCMP_ACT_TRACE':
      return (0x7ff00000 | ((errnoRet ?? EPERM) & 0xffff)) >>> 0;
    case 'SCMP_ACT_LOG':
      return 0x7ffc0000;
    case 'SCMP_ACT_ALLOW':
      return 0x7fff0000;
    case 'SCMP_ACT_NOTIFY':
      return 0x7fc00000;
  }
  throw new TsrunError(`unknown seccomp action "${String(action)}"`, { field, file: 'config.json' });
}

interface Lib {
  init(def: number): unknown;
  archAdd(ctx: unknown, arch: number): number;
  resolve(name: string): number;
  ruleAdd(ctx: unknown, action: number, sys: number, n: number, args: Buffer | null): number;
  attrSet(ctx: unknown, attr: number, value: number): number;
  exportBpf(ctx: unknown, fd: number): number;
  release(ctx: unknown): void;
  memfd(name: string, flags: number): number;
}

let lib: Lib | undefined;

function load(): Lib {
  if (lib) return lib;
  type Fn = (...a: unknown[]) => unknown;
  const koffi = require('koffi') as { load(n: string): { func(decl: string): Fn } };
  let s;
  try {
    s = koffi.load('libseccomp.so.2');
  } catch (err) {
    throw new TsrunError(`linux.seccomp needs libseccomp (apt-get install libseccomp2): ${(err as Error).message}`, { field: '/linux/seccomp', file: 'config.json' });
  }
  const c = koffi.load('libc.so.6');
  const init = s.func('void *seccomp_init(uint32_t def_action)');
  const archAdd = s.func('int seccomp_arch_add(void *ctx, uint32_t arch)');
  const resolve = s.func('int seccomp_syscall_resolve_name(const char *name)');
  const ruleAdd = s.func('int seccomp_rule_add_array(void *ctx, uint32_t action, int syscall, unsigned int cnt, const void *args)');
  const attrSet = s.func('int seccomp_attr_set(void *ctx, int attr, uint32_t value)');
  const exportBpf = s.func('int seccomp_export_bpf(void *ctx, int fd)');
  const release = s.func('void seccomp_release(void *ctx)');
  const memfd = c.func('int memfd_create(const char *name, unsigned int flags)');
  lib = {
    init: (d) => init(d),
    archAdd: (x, a) => archAdd(x, a) as number,
    resolve: (n) => resolve(n) as number,
    ruleAdd: (x, a, sc, n, args) => ruleAdd(x, a, sc, n, args) as number,
    attrSet: (x, a, v) => attrSet(x, a, v) as number,
    exportBpf: (x, fd) => exportBpf(x, fd) as number,
    release: (x) => void release(x),
    memfd: (n, f) => memfd(n, f) as number,
  };
  return lib;
}

/** struct scmp_arg_cmp[]: {u32 arg, u32 op, u64 datum_a, u64 datum_b}. */
function argArray(conds: NonNullable<LinuxSyscall['args']>, field: string): Buffer {
  const b = Buffer.alloc(24 * conds.length);
  conds.forEach((a, i) => {
    const op = CMP[a.op];
    if (op === undefined) throw new TsrunError(`unknown seccomp operator "${a.op}"`, { field: `${field}/args/${i}/op`, file: 'config.json' });
    b.writeUInt32LE(a.index, 24 * i);
    b.writeUInt32LE(op, 24 * i + 4);
    b.writeBigUInt64LE(BigInt.asUintN(64, BigInt(a.value)), 24 * i + 8);
    b.writeBigUInt64LE(BigInt.asUintN(64, BigInt(a.valueTwo ?? 0)), 24 * i + 16);
  });
  return b;
}

export interface SeccompProgram {
  /** struct sock_filter[] */
  program: Uint8Array;
  /** seccomp(2) SECCOMP_FILTER_FLAG_* */
  flags: number;
  /** linux.seccomp.listenerPath: the notify fd goes there with the container process state. */
  listenerPath?: string;
}

export function compileSeccomp(sc: LinuxSeccomp): SeccompProgram {
  const l = load();
  const def = actionValue(sc.defaultAction, sc.defaultErrnoRet, '/linux/seccomp/defaultAction');
  let flags = 0;
  (sc.flags ?? []).forEach((f, i) => {
    const v = FILTER_FLAG[f];
    if (v === undefined) throw new TsrunError(`unknown seccomp flag "${f}"`, { field: `/linux/seccomp/flags/${i}`, file: 'config.json' });
    flags |= v;
  });
  const notifies = sc.defaultAction === 'SCMP_ACT_NOTIFY' || (sc.syscalls ?? []).some((r) => r.action === 'SCMP_ACT_NOTIFY');
  if (notifies && !sc.listenerPath) {
    throw new TsrunError('SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath', { field: '/linux/seccomp/listenerPath', file: 'config.json' });
  }
  const ctx = l.init(def);
  if (!ctx) throw new TsrunError('seccomp_init failed', { field: '/linux/seccomp', file: 'config.json' });
  let fd = -1;
  try {
    // loading is the executor's job; don't let a load elsewhere set no_new_privs behind our back
    l.attrSet(ctx, 3 /* SCMP_FLTATR_CTL_NNP */, 0);
    (sc.architectures ?? []).forEach((a, i) => {
      const token = ARCH[a];
      if (token === undefined) throw new TsrunError(`unknown seccomp architecture "${a}"`, { field: `/linux/seccomp/architectures/${i}`, file: 'config.json' });
      const r = l.archAdd(ctx, token);
      if (r < 0 && r !== -17 /* EEXIST: the native one */) {
        throw new TsrunError(`seccomp: adding architecture ${a}: errno ${-r}`, { field: `/linux/seccomp/architectures/${i}`, file: 'config.json' });
      }
    });
    (sc.syscalls ?? []).forEach((rule, i) => {
      const field = `/linux/seccomp/syscalls/${i}`;
      const action = actionValue(rule.action, rule.errnoRet, `${field}/action`);
      if (action === def) return;
      const args = rule.args ?? [];
      const indexes = args.map((a) => a.index);
      const groups = new Set(indexes).size === indexes.length ? [args] : args.map((a) => [a]);
      for (const name of rule.names) {
        const nr = l.resolve(name);
        if (nr === -1 || nr < -1000000) continue; // unknown to libseccomp on this arch: skipped, as runc does
        for (const g of groups) {
          const r = l.ruleAdd(ctx, action, nr, g.length, g.length ? argArray(g, field) : null);
          if (r < 0) throw new TsrunError(`seccomp: adding a rule for ${name}: errno ${-r}`, { field, file: 'config.json' });
        }
      }
    });
    fd = l.memfd('tsrun-seccomp', 1 /* MFD_CLOEXEC */);
    if (fd < 0) throw new TsrunError('seccomp: memfd_create failed');
    const r = l.exportBpf(ctx, fd);
    if (r < 0) throw new TsrunError(`seccomp: exporting the program: errno ${-r}`, { field: '/linux/seccomp', file: 'config.json' });
    const size = fstatSync(fd).size;
    const program = Buffer.alloc(size);
    let off = 0;
    while (off < size) off += readSync(fd, program, off, size - off, off);
    return { program, flags, listenerPath: sc.listenerPath };
  } finally {
    if (fd >= 0) closeSync(fd);
    l.release(ctx);
  }
}
