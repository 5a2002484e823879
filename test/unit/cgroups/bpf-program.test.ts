import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileDeviceFilter, encodeProgram, DEV_BLOCK, DEV_CHAR } from '../../../src/cgroups/devices/bpf-program.js';
import { type DeviceRule, decide, defaultDeviceRules, normalizeRules } from '../../../src/cgroups/devices/rules.js';
import { runFilter } from './bpf-emulator.js';

const R = 2, W = 4, M = 1;
const rule = (allow: boolean, type: 'a' | 'c' | 'b', major: number, minor: number, access: string): DeviceRule => ({ allow, type, major, minor, access });

function allowed(rules: DeviceRule[], type: 'c' | 'b', major: number, minor: number, access: number): boolean {
  const got = runFilter(compileDeviceFilter(rules), { type: type === 'b' ? DEV_BLOCK : DEV_CHAR, major, minor, access });
  return got === 1;
}

const dockerRules = [
  ...normalizeRules([
    { allow: false, access: 'rwm' },
    { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
    { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
    { allow: true, type: 'c', major: 136, access: 'rwm' },
    { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' },
  ]),
  ...defaultDeviceRules,
];

const table: Array<[name: string, rules: DeviceRule[], type: 'c' | 'b', major: number, minor: number, access: number, want: boolean]> = [
  ['empty list denies everything', [], 'c', 1, 3, R, false],
  ['allow all', [rule(true, 'a', -1, -1, 'rwm')], 'b', 8, 0, R | W, true],
  ['deny all then allow /dev/null rw: read+write null', [rule(false, 'a', -1, -1, 'rwm'), rule(true, 'c', 1, 3, 'rw')], 'c', 1, 3, R | W, true],
  ['... but not mknod of it', [rule(false, 'a', -1, -1, 'rwm'), rule(true, 'c', 1, 3, 'rw')], 'c', 1, 3, M, false],
  ['... and not /dev/zero', [rule(false, 'a', -1, -1, 'rwm'), rule(true, 'c', 1, 3, 'rw')], 'c', 1, 5, R, false],
  ['... and not a block device 1:3', [rule(false, 'a', -1, -1, 'rwm'), rule(true, 'c', 1, 3, 'rw')], 'b', 1, 3, R, false],
  ['wildcard minor: pts', [rule(true, 'c', 136, -1, 'rwm')], 'c', 136, 42, R | W, true],
  ['wildcard major+minor mknod', [rule(true, 'c', -1, -1, 'm')], 'c', 200, 7, M, true],
  ['wildcard mknod does not grant read', [rule(true, 'c', -1, -1, 'm')], 'c', 200, 7, R, false],
  ['later deny wins', [rule(true, 'c', 1, 3, 'rwm'), rule(false, 'c', 1, 3, 'w')], 'c', 1, 3, W, false],
  ['later deny of w leaves r', [rule(true, 'c', 1, 3, 'rwm'), rule(false, 'c', 1, 3, 'w')], 'c', 1, 3, R, true],
  ['later deny of w blocks rw', [rule(true, 'c', 1, 3, 'rwm'), rule(false, 'c', 1, 3, 'w')], 'c', 1, 3, R | W, false],
  ['later allow wins over earlier deny', [rule(false, 'c', 1, 3, 'rwm'), rule(true, 'c', 1, 3, 'r')], 'c', 1, 3, R, true],
  ['bits from two allow rules combine', [rule(true, 'c', 1, 3, 'r'), rule(true, 'c', 1, -1, 'w')], 'c', 1, 3, R | W, true],
  ['a deny between two allows splits them', [rule(true, 'c', 1, 3, 'r'), rule(false, 'c', -1, -1, 'r'), rule(true, 'c', 1, 3, 'w')], 'c', 1, 3, R | W, false],
  ['type a with specific numbers matches both types', [rule(true, 'a', 8, 0, 'r')], 'b', 8, 0, R, true],
  ['docker: /dev/null rw', dockerRules, 'c', 1, 3, R | W, true],
  ['docker: /dev/zero r', dockerRules, 'c', 1, 5, R, true],
  ['docker: pts 136:3', dockerRules, 'c', 136, 3, R | W, true],
  ['docker: denied 10:229 (fuse)', dockerRules, 'c', 10, 229, R, false],
  ['docker: sda denied', dockerRules, 'b', 8, 0, R, false],
  ['docker: mknod of sda allowed (default b *:* m)', dockerRules, 'b', 8, 0, M, true],
  ['docker: tun allowed by the defaults', dockerRules, 'c', 10, 200, R | W, true],
  ['docker: /dev/mem denied', dockerRules, 'c', 1, 1, R, false],
  ['large minor compared exactly', [rule(true, 'c', 4095, 1048575, 'r')], 'c', 4095, 1048575, R, true],
  ['large minor differs', [rule(true, 'c', 4095, 1048575, 'r')], 'c', 4095, 1048574, R, false],
];

for (const [name, rules, type, major, minor, access, want] of table) {
  test(`device filter (linux.resources.devices): ${name}`, () => {
    assert.equal(allowed(rules, type, major, minor, access), want, 'emulated program');
    assert.equal(decide(rules, type, major, minor, access), want, 'reference decision');
  });
}

test('device filter agrees with the reference on random rule lists', () => {
  let seed = 12345;
  const rnd = (n: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % n;
  };
  const types = ['a', 'c', 'b'] as const;
  const accs = ['r', 'w', 'm', 'rw', 'rm', 'wm', 'rwm'];
  for (let iter = 0; iter < 300; iter++) {
    const rules: DeviceRule[] = [];
    for (let i = rnd(7); i > 0; i--) {
      rules.push(rule(rnd(2) === 0, types[rnd(3)]!, rnd(3) === 0 ? -1 : rnd(3), rnd(3) === 0 ? -1 : rnd(3), accs[rnd(7)]!));
    }
    const prog = compileDeviceFilter(rules);
    for (let q = 0; q < 20; q++) {
      const type = rnd(2) === 0 ? 'c' : 'b';
      const major = rnd(3), minor = rnd(3), access = 1 + rnd(7);
      const got = runFilter(prog, { type: type === 'b' ? DEV_BLOCK : DEV_CHAR, major, minor, access }) === 1;
      assert.equal(got, decide(rules, type, major, minor, access), JSON.stringify({ rules, type, major, minor, access }));
    }
  }
});

test('rules before an unconditional "a *:* rwm" are not compiled', () => {
  const long = compileDeviceFilter([rule(true, 'c', 1, 3, 'r'), rule(true, 'c', 1, 5, 'r'), rule(false, 'a', -1, -1, 'rwm'), rule(true, 'c', 1, 9, 'r')]);
  const short = compileDeviceFilter([rule(false, 'a', -1, -1, 'rwm'), rule(true, 'c', 1, 9, 'r')]);
  assert.equal(long.length, short.length);
});

test('encoded program: 8 bytes per instruction, registers packed dst low / src high', () => {
  const prog = compileDeviceFilter([rule(true, 'c', 1, 3, 'rw')]);
  const buf = encodeProgram(prog);
  assert.equal(buf.length, prog.length * 8);
  // First instruction: r2 = *(u32 *)(r1 + 0)
  assert.deepEqual([...buf.subarray(0, 8)], [0x61, 0x12, 0, 0, 0, 0, 0, 0]);
  // Last: exit
  assert.equal(buf[buf.length - 8], 0x95);
});

test('normalizeRules: defaults and errors point at the rule', () => {
  assert.deepEqual(normalizeRules([{ allow: true, access: 'mwr' }]), [{ allow: true, type: 'a', major: -1, minor: -1, access: 'rwm' }]);
  assert.throws(() => normalizeRules([{ allow: true, access: 'rwm' }, { allow: true, type: 'x', access: 'r' }]), (e: Error & { field?: string }) => e.field === '/linux/resources/devices/1/type');
  assert.throws(() => normalizeRules([{ allow: true, access: '' }]), (e: Error & { field?: string }) => e.field === '/linux/resources/devices/0/access');
  assert.throws(() => normalizeRules([{ allow: true, access: 'rx' }]), /only r, w and m/);
});

test('encoded program on a big-endian host: dst in the high nibble, big-endian off/imm', () => {
  const prog = compileDeviceFilter([rule(true, 'c', 1, 3, 'rw')]);
  const be = encodeProgram(prog, false);
  assert.deepEqual([...be.subarray(0, 8)], [0x61, 0x21, 0, 0, 0, 0, 0, 0]);
  // r3 &= 0xffff (third instruction): imm big-endian
  assert.deepEqual([...be.subarray(16, 24)], [0x54, 0x30, 0, 0, 0, 0, 0xff, 0xff]);
});
