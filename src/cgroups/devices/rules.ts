// Device access rules (linux.resources.devices) in one normalised form that
// both writers use: the v1 devices.allow/deny lists and the v2 eBPF program.
//
// Semantics (the same on v1 and v2): start from "deny everything", apply the
// rules in order, and for each access bit (r, w, m) the last rule that matches
// the device and names that bit decides. This is what the v1 kernel list does
// after a leading "a" deny, and what runc's v2 program reproduces.
import type { LinuxDeviceCgroup } from '../../spec/types.js';
import { TsrunError } from '../../errors.js';

export type DeviceType = 'a' | 'c' | 'b';

export interface DeviceRule {
  allow: boolean;
  type: DeviceType;
  /** -1 = any */
  major: number;
  /** -1 = any */
  minor: number;
  /** Some of "rwm", in that order. */
  access: string;
}

const ACCESS_MKNOD = 1;
const ACCESS_READ = 2;
const ACCESS_WRITE = 4;

export function accessBits(access: string): number {
  let bits = 0;
  if (access.includes('m')) bits |= ACCESS_MKNOD;
  if (access.includes('r')) bits |= ACCESS_READ;
  if (access.includes('w')) bits |= ACCESS_WRITE;
  return bits;
}

export function accessText(bits: number): string {
  return (bits & ACCESS_READ ? 'r' : '') + (bits & ACCESS_WRITE ? 'w' : '') + (bits & ACCESS_MKNOD ? 'm' : '');
}

/** Validate and normalise the config's rules; errors point at /linux/resources/devices/<i>. */
export function normalizeRules(rules: LinuxDeviceCgroup[] | undefined, base = '/linux/resources/devices'): DeviceRule[] {
  return (rules ?? []).map((r, i) => {
    const type = r.type ?? 'a';
    if (type !== 'a' && type !== 'c' && type !== 'b') {
      throw new TsrunError(`invalid cgroup device type ${JSON.stringify(type)}`, { field: `${base}/${i}/type` });
    }
    const access = r.access ?? '';
    if (access === '') throw new TsrunError(`device access at ${i} field cannot be empty`, { field: `${base}/${i}/access` });
    if (!/^[rwm]+$/.test(access)) {
      throw new TsrunError(`invalid device access ${JSON.stringify(access)}: only r, w and m are allowed`, {
        field: `${base}/${i}/access`,
      });
    }
    const num = (v: number | undefined, what: string): number => {
      if (v === undefined || v === -1) return -1;
      if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
        throw new TsrunError(`invalid device ${what} ${v}`, { field: `${base}/${i}/${what}` });
      }
      return v;
    };
    return {
      allow: r.allow === true,
      type,
      major: num(r.major, 'major'),
      minor: num(r.minor, 'minor'),
      access: accessText(accessBits(access)),
    };
  });
}

/**
 * The device rules every container gets after its own (runc's
 * AllowedDevices): mknod of anything, the standard character devices,
 * /dev/pts/*, /dev/ptmx, and /dev/net/tun (kept for compatibility).
 */
export const defaultDeviceRules: readonly DeviceRule[] = [
  { allow: true, type: 'c', major: -1, minor: -1, access: 'm' },
  { allow: true, type: 'b', major: -1, minor: -1, access: 'm' },
  { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' }, // null
  { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' }, // random
  { allow: true, type: 'c', major: 1, minor: 7, access: 'rwm' }, // full
  { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' }, // tty
  { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' }, // zero
  { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' }, // urandom
  { allow: true, type: 'c', major: 136, minor: -1, access: 'rwm' }, // pts
  { allow: true, type: 'c', major: 5, minor: 2, access: 'rwm' }, // ptmx
  { allow: true, type: 'c', major: 10, minor: 200, access: 'rwm' }, // net/tun
];

/**
 * The full rule list for a container, in runc's order: the config's
 * linux.resources.devices, then the defaults. The nodes in linux.devices get
 * no rule of their own: as with runc, only what resources.devices (or the
 * defaults) allow is usable.
 */
export function containerDeviceRules(resources: LinuxDeviceCgroup[] | undefined): DeviceRule[] {
  return [...normalizeRules(resources), ...defaultDeviceRules];
}

function ruleMatches(r: DeviceRule, type: 'c' | 'b', major: number, minor: number): boolean {
  return (r.type === 'a' || r.type === type) && (r.major === -1 || r.major === major) && (r.minor === -1 || r.minor === minor);
}

/** The reference decision: is `access` (bits) on this device allowed by the rules? */
export function decide(rules: readonly DeviceRule[], type: 'c' | 'b', major: number, minor: number, access: number): boolean {
  let pending = access;
  for (let i = rules.length - 1; i >= 0 && pending !== 0; i--) {
    const r = rules[i]!;
    if (!ruleMatches(r, type, major, minor)) continue;
    const bits = accessBits(r.access);
    if (!r.allow && (pending & bits) !== 0) return false;
    if (r.allow) pending &= ~bits;
  }
  return pending === 0;
}
