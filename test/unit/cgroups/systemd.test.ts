// The systemd driver's pure parts: cgroupsPath -> unit and cgroup path,
// linux.resources -> unit properties (as runc maps them), device rules ->
// DevicePolicy/DeviceAllow, org.systemd.property.* annotations (GVariant
// text), and the D-Bus value encoding. No bus, no root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expandSlice, parseSystemdPath, systemdUnit, unitCgroup, unitName } from '../../../src/cgroups/systemd/unit.js';
import { INFINITY, baseProperties, needsVersion, rangeToMask, resourceProperties, startOnlyProperties } from '../../../src/cgroups/systemd/properties.js';
import { deviceAllowList } from '../../../src/cgroups/systemd/devices.js';
import { annotationProperties, parseGVariant } from '../../../src/cgroups/systemd/annotations.js';
import { containerDeviceRules, normalizeRules } from '../../../src/cgroups/devices/rules.js';
import { basicBytes, splitSignature, variant } from '../../../src/sys/sd-bus.js';
import { sharesToWeight } from '../../../src/cgroups/convert.js';

const field = (re: RegExp, f = '/linux/cgroupsPath') => (e: Error & { field?: string }) => re.test(e.message) && e.field === f;
const props = (list: ReadonlyArray<readonly [string, { sig: string; value: unknown }]>) => Object.fromEntries(list.map(([n, v]) => [n, v.value]));

test('cgroupsPath "slice:prefix:name": a scope prefix-name.scope in the slice; "" is :runc:<id>; a name ending in .slice is the slice itself', () => {
  const p = parseSystemdPath('system.slice:docker:abc', 'id');
  assert.deepEqual(p, { slice: 'system.slice', prefix: 'docker', name: 'abc' });
  assert.equal(unitName(p), 'docker-abc.scope');
  assert.deepEqual(parseSystemdPath(undefined, 'c1'), { slice: '', prefix: 'runc', name: 'c1' });
  assert.deepEqual(systemdUnit(parseSystemdPath('', 'c1'), false), { name: 'runc-c1.scope', slice: 'system.slice', bus: 'system' });
  assert.deepEqual(systemdUnit(parseSystemdPath(':p:n', 'x'), true), { name: 'p-n.scope', slice: 'user.slice', bus: 'user' }, 'rootless: user.slice of the user manager');
  assert.equal(unitName(parseSystemdPath('kubepods.slice:cri:kubepods-pod1.slice', 'x')), 'kubepods-pod1.slice');
});

test('a cgroupsPath not in the form, a bad slice or an empty name is an error naming /linux/cgroupsPath', () => {
  assert.throws(() => parseSystemdPath('/a/b', 'id'), field(/expected cgroupsPath to be of format "slice:prefix:name" for systemd cgroups, got "\/a\/b" instead/));
  assert.throws(() => parseSystemdPath('a:b:c:d', 'id'), field(/slice:prefix:name/));
  assert.throws(() => parseSystemdPath('system:docker:x', 'id'), field(/"system" is not a systemd slice name/));
  assert.throws(() => parseSystemdPath('a/b.slice:docker:x', 'id'), field(/not a systemd slice name/));
  assert.throws(() => parseSystemdPath('a--b.slice:docker:x', 'id'), field(/not a systemd slice name/));
  assert.throws(() => parseSystemdPath('system.slice:docker:', 'id'), field(/name part .* must not be empty/));
  assert.throws(() => parseSystemdPath('system.slice:dock er:x', 'id'), field(/not a valid systemd unit name/));
});

test('expandSlice: nested slices by their dashes, -.slice is the root', () => {
  assert.equal(expandSlice('system.slice'), '/system.slice');
  assert.equal(expandSlice('a-b-c.slice'), '/a.slice/a-b.slice/a-b-c.slice');
  assert.equal(expandSlice('-.slice'), '/');
  for (const bad of ['.slice', 'a', '-a.slice', 'a-.slice', 'a/b.slice']) assert.throws(() => expandSlice(bad), field(/not a systemd slice name/), bad);
});

test('unitCgroup: a scope below its slice, a slice where its name puts it, under the user manager\'s own cgroup rootless', () => {
  assert.equal(unitCgroup(systemdUnit(parseSystemdPath('a-b.slice:d:x', 'i'), false)), '/a.slice/a-b.slice/d-x.scope');
  assert.equal(unitCgroup(systemdUnit(parseSystemdPath('-.slice:d:x', 'i'), false)), '/d-x.scope');
  assert.equal(unitCgroup(systemdUnit(parseSystemdPath('kubepods.slice:c:kubepods-pod1.slice', 'i'), false)), '/kubepods.slice/kubepods-pod1.slice');
  assert.equal(
    unitCgroup(systemdUnit(parseSystemdPath('', 'c1'), true), '/user.slice/user-1000.slice/user@1000.service'),
    '/user.slice/user-1000.slice/user@1000.service/user.slice/runc-c1.scope',
  );
});

test('base properties: Slice, Delegate, PIDs=[init], accounting on, DefaultDependencies=no; a slice unit gets Wants= and no pid', () => {
  const scope = props(baseProperties({ description: 'd', slice: 'system.slice', sliceUnit: false, pid: 42, v2: true }));
  assert.deepEqual(scope, {
    Description: 'd', Slice: 'system.slice', Delegate: true, PIDs: [42], MemoryAccounting: true, CPUAccounting: true, IOAccounting: true, TasksAccounting: true, DefaultDependencies: false,
  });
  const slice = props(baseProperties({ description: 'd', slice: 'kubepods.slice', sliceUnit: true, v2: false }));
  assert.deepEqual(slice.Wants, ['kubepods.slice']);
  assert.ok(!('PIDs' in slice) && !('Delegate' in slice) && slice.BlockIOAccounting === true);
});

test('v2 resources -> MemoryMax/MemoryLow/MemorySwapMax, CPUWeight from shares (runc\'s conversion), quota per second, TasksMax, AllowedCPUs, IOWeight and device limits', () => {
  const { properties, resources } = resourceProperties({
    memory: { limit: 1 << 30, reservation: 1 << 29, swap: (1 << 30) + (1 << 28) },
    cpu: { shares: 512, quota: 50000, period: 100000, cpus: '0-2,8', mems: '0' },
    pids: { limit: 100 },
    blockIO: { weight: 500, throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1048576 }], weightDevice: [{ major: 8, minor: 16, weight: 100 }] },
  }, { v2: true, version: 252 });
  const p = props(properties);
  assert.equal(p.MemoryMax, 1n << 30n);
  assert.equal(p.MemoryLow, 1n << 29n);
  assert.equal(p.MemorySwapMax, 1n << 28n, 'memory+swap minus memory');
  assert.equal(p.CPUWeight, BigInt(sharesToWeight(512)));
  assert.equal(p.CPUQuotaPeriodUSec, 100000n);
  assert.equal(p.CPUQuotaPerSecUSec, 500000n);
  assert.equal(p.TasksMax, 100n);
  assert.deepEqual([...(p.AllowedCPUs as Buffer)], [0b0000_0111, 0b0000_0001]);
  assert.deepEqual([...(p.AllowedMemoryNodes as Buffer)], [1]);
  assert.equal(p.IOWeight, BigInt(1 + Math.floor(((500 - 10) * 9999) / 990)));
  assert.deepEqual(p.IOReadBandwidthMax, [['/dev/block/8:0', 1048576n]]);
  assert.deepEqual(p.IODeviceWeight, [['/dev/block/8:16', BigInt(1 + Math.floor(((100 - 10) * 9999) / 990))]]);
  assert.equal(resources.cpu?.quota, 50000, 'a whole percent: the files get the quota as given');
});

test('a quota that is not a whole percent of a CPU is rounded up to the next 10 ms per second, in the property and in the files', () => {
  const { properties, resources } = resourceProperties({ cpu: { quota: 12345, period: 100000 } }, { v2: true, version: 252 });
  assert.equal(props(properties).CPUQuotaPerSecUSec, 130000n);
  assert.equal(resources.cpu?.quota, 13000);
  assert.equal(props(resourceProperties({ cpu: { quota: -1, period: 50000 } }, { v2: true, version: 252 }).properties).CPUQuotaPerSecUSec, INFINITY);
  assert.ok(!('CPUQuotaPeriodUSec' in props(resourceProperties({ cpu: { period: 50000 } }, { v2: true, version: 241 }).properties)), 'before systemd 242');
});

test('unlimited is systemd\'s infinity; TasksMax=0 is 1 (systemd refuses 0); AllowedCPUs only from systemd 244', () => {
  const p = props(resourceProperties({ memory: { limit: -1 }, pids: { limit: -1 }, cpu: { cpus: '1' } }, { v2: true, version: 243 }).properties);
  assert.equal(p.MemoryMax, INFINITY);
  assert.equal(p.TasksMax, INFINITY);
  assert.ok(!('AllowedCPUs' in p));
  assert.equal(props(resourceProperties({ pids: { limit: 0 } }, { v2: true, version: 252 }).properties).TasksMax, 1n);
});

test('v1 resources -> MemoryLimit, CPUShares, BlockIOWeight (runc\'s v1 table); no v2-only properties', () => {
  const p = props(resourceProperties({ memory: { limit: 1 << 20, swap: 2 << 20 }, cpu: { shares: 2048 }, blockIO: { weight: 300 } }, { v2: false, version: 252 }).properties);
  assert.deepEqual(p, { MemoryLimit: 1n << 20n, CPUShares: 2048n, BlockIOWeight: 300n });
});

test('unified keys with a property: memory.high/min/max, pids.max, cpu.max, cpu.weight, cpuset.*; others left to the files; oom.group only at start', () => {
  const p = props(resourceProperties({ unified: { 'memory.high': '1000', 'memory.min': 'max', 'pids.max': '0', 'cpu.max': '20000 100000', 'cpu.weight': '50', 'io.latency': 'x' } }, { v2: true, version: 252 }).properties);
  assert.deepEqual(p, { MemoryHigh: 1000n, MemoryMin: INFINITY, TasksMax: 1n, CPUQuotaPeriodUSec: 100000n, CPUQuotaPerSecUSec: 200000n, CPUWeight: 50n });
  assert.throws(() => resourceProperties({ unified: { 'memory.high': 'lots' } }, { v2: true, version: 252 }), field(/memory\.high/, '/linux/resources/unified/memory.high'));
  assert.deepEqual(props(startOnlyProperties({ unified: { 'memory.oom.group': '1' } }, 253)), { OOMPolicy: 'kill' });
  assert.deepEqual(startOnlyProperties({ unified: { 'memory.oom.group': '1' } }, 252), []);
  assert.equal(needsVersion({ memory: { limit: 1 } }), false, 'no round trip for the version unless a property depends on it');
  assert.equal(needsVersion({ cpu: { cpus: '0' } }), true);
});

test('rangeToMask: CPU n is bit n%8 of byte n/8; a bad list names the field', () => {
  assert.deepEqual([...rangeToMask('0', 'f')], [1]);
  assert.deepEqual([...rangeToMask('9, 1-2', 'f')], [0b110, 0b10]);
  assert.throws(() => rangeToMask('3-1', '/linux/resources/cpu/cpus'), field(/invalid range/, '/linux/resources/cpu/cpus'));
  assert.throws(() => rangeToMask('', '/f'), field(/empty/, '/f'));
});

test('devices: strict policy with the allowed devices as DeviceAllow paths; allow-all is the auto policy; a deny systemd cannot say is left to our filter', () => {
  const dflt = deviceAllowList(containerDeviceRules([{ allow: false, access: 'rwm' }, { allow: true, type: 'c', major: 10, minor: 229, access: 'rw' }]));
  assert.equal(dflt.policy, 'strict');
  const allow = Object.fromEntries(dflt.allow);
  assert.equal(allow['/dev/char/10:229'], 'rw');
  assert.equal(allow['/dev/char/1:3'], 'rwm');
  assert.equal(allow['char-136'], 'rwm', '/dev/pts: a major');
  assert.equal(allow['char-*'], 'm', 'mknod of any char device');
  assert.deepEqual(deviceAllowList(normalizeRules([{ allow: true, access: 'rwm' }])), { policy: 'auto', allow: [] });
  assert.deepEqual(deviceAllowList(normalizeRules([{ allow: true, access: 'rwm' }, { allow: false, type: 'c', major: 1, minor: 3, access: 'rwm' }])), { policy: 'auto', allow: [] });
  const partial = deviceAllowList(normalizeRules([{ allow: false, access: 'rwm' }, { allow: true, type: 'b', major: 8, access: 'r' }, { allow: false, type: 'b', major: 8, minor: 0, access: 'r' }]));
  assert.deepEqual(partial, { policy: 'strict', allow: [['block-8', 'r']] }, 'systemd allows at least what the rules do');
  const { properties } = resourceProperties({ deviceRules: normalizeRules([{ allow: true, access: 'rwm' }]) }, { v2: true, version: 252 });
  assert.deepEqual(properties.map(([n]) => n), ['DeviceAllow', 'DevicePolicy'], 'an empty DeviceAllow= first clears an earlier list');
  assert.deepEqual(resourceProperties({ deviceRules: [] }, { v2: true, version: 252, devices: false }).properties, [], 'update leaves devices alone');
});

test('org.systemd.property.* annotations: GVariant text values, NAME-Sec sent as NAME-USec in microseconds, bad ones name the annotation', () => {
  const p = annotationProperties({
    'org.systemd.property.CollectMode': "'inactive-or-failed'",
    'org.systemd.property.TimeoutStopSec': 'uint64 123',
    'org.systemd.property.RuntimeMaxUSec': '@t 5',
    'org.systemd.property.IgnoreSIGPIPE': 'false',
    'org.systemd.property.Environment': "['A=1', 'B=2']",
    'other.annotation': 'ignored',
  });
  assert.deepEqual(p.map(([n, v]) => [n, v.sig, v.value]), [
    ['CollectMode', 's', 'inactive-or-failed'],
    ['TimeoutStopUSec', 't', 123000000n],
    ['RuntimeMaxUSec', 't', 5n],
    ['IgnoreSIGPIPE', 'b', false],
    ['Environment', 'as', ['A=1', 'B=2']],
  ]);
  assert.throws(() => annotationProperties({ 'org.systemd.property.X': 'uint64 -1' }), field(/value parse error/, '/annotations/org.systemd.property.X'));
  assert.throws(() => annotationProperties({ 'org.systemd.property.': '1' }), field(/not a systemd property name/, '/annotations/org.systemd.property.'));
  assert.throws(() => annotationProperties({ 'org.systemd.property.TimeoutSec': "'x'" }), field(/not a number/, '/annotations/org.systemd.property.TimeoutSec'));
});

test('parseGVariant: numbers default to int32, doubles, strings with escapes, typed empty arrays, tuples', () => {
  assert.deepEqual(parseGVariant('42'), variant('i', 42));
  assert.deepEqual(parseGVariant('1.5'), variant('d', 1.5));
  assert.deepEqual(parseGVariant('"it\\"s"'), variant('s', 'it"s'));
  assert.deepEqual(parseGVariant('@as []'), variant('as', []));
  assert.deepEqual(parseGVariant("[('/dev/null', 'rw')]"), variant('a(ss)', [['/dev/null', 'rw']]));
  assert.deepEqual(parseGVariant('uint32 7'), variant('u', 7));
  assert.throws(() => parseGVariant('[]'), /empty array without a type/);
  assert.throws(() => parseGVariant("[1, 'a']"), /a s value where i is wanted/);
  assert.throws(() => parseGVariant('1 2'), /text after the value/);
});

test('D-Bus encoding: signatures split into complete types; basic values in host byte order', () => {
  assert.deepEqual(splitSignature('ssa(sv)a(sa(sv))'), ['s', 's', 'a(sv)', 'a(sa(sv))']);
  assert.throws(() => splitSignature('a(s'), /not closed/);
  assert.deepEqual(basicBytes('s', 'ab'), Buffer.from('ab\0'));
  assert.equal(basicBytes('t', INFINITY).length, 8);
  assert.deepEqual(basicBytes('t', -1), Buffer.from(new BigUint64Array([INFINITY]).buffer));
  assert.deepEqual(basicBytes('b', true), Buffer.from(new Int32Array([1]).buffer));
  assert.deepEqual(basicBytes('u', 42), Buffer.from(new Uint32Array([42]).buffer));
  assert.throws(() => basicBytes('u', 'x'), /needs a number/);
});
