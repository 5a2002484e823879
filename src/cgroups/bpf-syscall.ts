// bpf(2) through koffi, only what the cgroup v2 device filter needs:
// BPF_PROG_LOAD (type CGROUP_DEVICE), BPF_PROG_QUERY / GET_FD_BY_ID to find
// the programs already attached, BPF_PROG_ATTACH with BPF_F_ALLOW_MULTI and
// BPF_PROG_DETACH to swap them. Loaded lazily: koffi costs start-up time and
// only create/update on cgroup v2 come here.
// (Kept beside the cgroup code rather than in src/sys/, which another
// engineer owns; it can move there unchanged.)
import { closeSync, constants, openSync } from 'node:fs';
import { TsrunError } from '../errors.js';

const BPF_PROG_LOAD = 5;
const BPF_PROG_ATTACH = 8;
const BPF_PROG_DETACH = 9;
const BPF_PROG_GET_FD_BY_ID = 13;
const BPF_PROG_QUERY = 16;
const BPF_PROG_TYPE_CGROUP_DEVICE = 15;
const BPF_CGROUP_DEVICE = 6;
const BPF_F_ALLOW_MULTI = 2;

const SYS_bpf: Record<string, number> = { x64: 321, arm64: 280, arm: 386, ia32: 357, ppc64: 361, s390x: 351, riscv64: 280 };

interface Koffi {
  address(value: unknown): bigint;
  load(name: string): { func(decl: string): (...args: unknown[]) => number | bigint };
  errno(): number;
  os: { errno: Record<string, number> };
}

let bpfCall: ((cmd: number, attr: Buffer) => number) | undefined;
let koffiMod: Koffi | undefined;

function errnoName(code: number): string {
  const names = koffiMod?.os.errno ?? {};
  return Object.keys(names).find((k) => names[k] === code) ?? `errno ${code}`;
}

function koffi(): Koffi {
  if (!koffiMod) {
    const nr = SYS_bpf[process.arch];
    if (nr === undefined) throw new TsrunError(`bpf(2) syscall number unknown on ${process.arch}`);
    koffiMod = require('koffi') as Koffi;
    const libc = koffiMod.load('libc.so.6');
    // syscall(2) is variadic; a fixed prototype of longs passes the same registers.
    const sys = libc.func('long syscall(long nr, long cmd, void *attr, unsigned long size)');
    bpfCall = (c, a) => Number(sys(nr, c, a, a.length));
  }
  return koffiMod;
}

function bpf(cmd: number, attr: Buffer): number {
  koffi();
  return bpfCall!(cmd, attr);
}

/** bpf_attr holds user pointers as u64; Buffer memory does not move, so its address is stable. */
function addressOf(buf: Buffer): bigint {
  return BigInt(koffi().address(buf));
}

function fail(what: string, log?: Buffer): never {
  const code = koffiMod!.errno();
  const name = errnoName(code);
  const detail = log ? log.toString('utf8').replace(/\0.*$/s, '').trim() : '';
  throw new TsrunError(`${what}: ${name}${detail ? `: ${detail}` : ''}`, { errno: name, field: '/linux/resources/devices' });
}

/** Load a BPF_PROG_TYPE_CGROUP_DEVICE program; returns its fd. */
export function loadDeviceProgram(insns: Buffer): number {
  const license = Buffer.from('Apache\0');
  const logBuf = Buffer.alloc(64 * 1024);
  const name = Buffer.from('tsrun_dev\0');
  const attr = Buffer.alloc(72);
  attr.writeUInt32LE(BPF_PROG_TYPE_CGROUP_DEVICE, 0);
  attr.writeUInt32LE(insns.length / 8, 4);
  attr.writeBigUInt64LE(addressOf(insns), 8);
  attr.writeBigUInt64LE(addressOf(license), 16);
  attr.writeUInt32LE(1, 24); // log_level
  attr.writeUInt32LE(logBuf.length, 28);
  attr.writeBigUInt64LE(addressOf(logBuf), 32);
  name.copy(attr, 48);
  const fd = bpf(BPF_PROG_LOAD, attr);
  if (fd < 0) fail('loading the device cgroup eBPF program', logBuf);
  return fd;
}

/** Ids of the device programs attached to the cgroup at dirFd. */
function attachedDevicePrograms(dirFd: number): number[] {
  const ids = Buffer.alloc(64 * 4);
  const attr = Buffer.alloc(40);
  attr.writeUInt32LE(dirFd, 0);
  attr.writeUInt32LE(BPF_CGROUP_DEVICE, 4);
  attr.writeBigUInt64LE(addressOf(ids), 16);
  attr.writeUInt32LE(64, 24);
  if (bpf(BPF_PROG_QUERY, attr) < 0) return [];
  const count = attr.readUInt32LE(24);
  return Array.from({ length: Math.min(count, 64) }, (_, i) => ids.readUInt32LE(i * 4));
}

function progFdById(id: number): number {
  const attr = Buffer.alloc(16);
  attr.writeUInt32LE(id, 0);
  return bpf(BPF_PROG_GET_FD_BY_ID, attr);
}

/**
 * Attach the program to the cgroup directory, then detach every device
 * program that was there before: the new filter is in force before the old
 * ones go, so there is no moment without one.
 */
export function replaceDeviceProgram(cgroupDir: string, progFd: number): void {
  let dirFd = -1;
  try {
    dirFd = openSync(cgroupDir, constants.O_RDONLY | constants.O_DIRECTORY);
    const before = attachedDevicePrograms(dirFd);
    const attr = Buffer.alloc(20);
    attr.writeUInt32LE(dirFd, 0);
    attr.writeUInt32LE(progFd, 4);
    attr.writeUInt32LE(BPF_CGROUP_DEVICE, 8);
    attr.writeUInt32LE(BPF_F_ALLOW_MULTI, 12);
    if (bpf(BPF_PROG_ATTACH, attr) < 0) fail(`attaching the device filter to ${cgroupDir}`);
    for (const id of before) {
      const old = progFdById(id);
      if (old < 0) continue;
      const d = Buffer.alloc(20);
      d.writeUInt32LE(dirFd, 0);
      d.writeUInt32LE(old, 4);
      d.writeUInt32LE(BPF_CGROUP_DEVICE, 8);
      bpf(BPF_PROG_DETACH, d);
      closeSync(old);
    }
  } finally {
    if (dirFd >= 0) closeSync(dirFd);
  }
}

/** How many device programs are attached to the cgroup (for tests and diagnostics). */
export function countDevicePrograms(cgroupDir: string): number {
  const dirFd = openSync(cgroupDir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    return attachedDevicePrograms(dirFd).length;
  } finally {
    closeSync(dirFd);
  }
}

export function closeFd(fd: number): void {
  closeSync(fd);
}
