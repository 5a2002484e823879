import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeUpdate, ramInBytes, resourcesFromFlags } from '../../../src/cgroups/update.js';
import { filterPsOutput } from '../../../src/cgroups/ps-output.js';
import { oomEvent, parseGoDuration, statsEvent } from '../../../src/cgroups/events.js';
import { emptyStats } from '../../../src/cgroups/stats.js';
import { withRollback } from '../../../src/cgroups/fsio.js';
import { openCgroup } from '../../../src/cgroups/index.js';
import { join } from 'node:path';
import { controllerFiles, fakeHost, fillV1, v1Mountinfo } from './fake-host.js';

test('update flags: go-units sizes, -1, and runc\'s parse errors', () => {
  assert.equal(ramInBytes('512m'), 512 * 1024 * 1024);
  assert.equal(ramInBytes('1g'), 1024 ** 3);
  assert.equal(ramInBytes('1.5k'), 1536);
  assert.equal(ramInBytes('100'), 100);
  assert.equal(ramInBytes('64MiB'), 64 * 1024 * 1024);
  const r = resourcesFromFlags({ memory: '128m', memorySwap: '-1', cpuQuota: '-1', cpuShare: '512', pidsLimit: '0', cpusetCpus: '0-1', blkioWeight: '0' });
  assert.equal(r.memory?.limit, 128 << 20);
  assert.equal(r.memory?.swap, -1);
  assert.equal(r.cpu?.quota, -1);
  assert.equal(r.cpu?.shares, 512);
  assert.equal(r.pids?.limit, 0);
  assert.equal(r.cpu?.cpus, '0-1');
  assert.equal(r.blockIO?.weight, undefined, 'blkio-weight 0 means unset');
  assert.throws(() => resourcesFromFlags({ cpuShare: '-5' }), /invalid value for cpu-share/);
  assert.throws(() => resourcesFromFlags({ memory: 'lots' }), /invalid value for memory/);
});

test('update merge: only the given fields change; devices never; lists upserted by device', () => {
  const prev = {
    devices: [{ allow: false, access: 'rwm' }],
    memory: { limit: 32 << 20, swap: 64 << 20 },
    cpu: { shares: 1024, quota: 50000, period: 100000, cpus: '0' },
    pids: { limit: 100 },
    blockIO: { throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 1 }, { major: 8, minor: 16, rate: 2 }] },
  };
  const next = mergeUpdate(prev, { memory: { limit: 64 << 20 }, blockIO: { throttleReadBpsDevice: [{ major: 8, minor: 0, rate: 9 }] } });
  assert.equal(next.devices, undefined);
  assert.equal(next.memory?.limit, 64 << 20);
  assert.equal(next.memory?.swap, 64 << 20, 'swap kept');
  assert.equal(next.cpu?.shares, 1024);
  assert.deepEqual(next.blockIO?.throttleReadBpsDevice, [{ major: 8, minor: 16, rate: 2 }, { major: 8, minor: 0, rate: 9 }]);
  assert.deepEqual(next.pids, {}, 'pids untouched unless given (runc)');
  // period and quota: one alone keeps the other
  assert.deepEqual([mergeUpdate(prev, { cpu: { quota: 20000 } }).cpu?.quota, mergeUpdate(prev, { cpu: { quota: 20000 } }).cpu?.period], [20000, 100000]);
  assert.deepEqual([mergeUpdate(prev, { cpu: { period: 200000 } }).cpu?.quota, mergeUpdate(prev, { cpu: { period: 200000 } }).cpu?.period], [50000, 200000]);
  // memory -1 without swap: swap unset (0) so the pair becomes "both unlimited"
  assert.equal(mergeUpdate(prev, { memory: { limit: -1 } }).memory?.swap, 0);
  assert.equal(mergeUpdate(prev, { memory: { checkBeforeUpdate: true } }).memory?.checkBeforeUpdate, true);
  assert.deepEqual(mergeUpdate(prev, { unified: { 'memory.high': '1' } }).unified, { 'memory.high': '1' });
});

test('update rollback: a refused value puts back what was written before it', (t) => {
  const fake = fakeHost(v1Mountinfo(false));
  t.after(() => fake.remove());
  const m = openCgroup({ id: 'c', cgroupsPath: '/c', host: fake.host });
  fillV1(fake, m.paths());
  const mem = m.paths().memory!;
  fake.fill(mem, { ...controllerFiles.memory, 'memory.limit_in_bytes': '1000', 'memory.memsw.limit_in_bytes': '2000' });
  assert.throws(() => withRollback(() => m.set({ memory: { limit: 3000, swap: 4000 }, cpu: { cpus: '1' }, pids: { limit: 5 }, blockIO: { weight: 10, throttleReadBpsDevice: [{ major: 1, minor: 2, rate: 3 }] }, hugepageLimits: [{ pageSize: '7MB', limit: 1 }] })));
  assert.equal(fake.read(join(mem, 'memory.limit_in_bytes')), '1000');
  assert.equal(fake.read(join(mem, 'memory.memsw.limit_in_bytes')), '2000');
  assert.equal(fake.read(join(m.paths().pids!, 'pids.max')), 'max');
});

test('ps table: header plus the container\'s lines, found by the PID column', () => {
  const out = 'UID          PID    PPID  C STIME TTY          TIME CMD\nroot           1       0  0 05:00 ?        00:00:01 init\nroot         42       1  0 05:00 ?        00:00:00 sleep 10\nroot        420       1  0 05:00 ?        00:00:00 sh\n';
  assert.equal(filterPsOutput(out, [42]), 'UID          PID    PPID  C STIME TTY          TIME CMD\nroot         42       1  0 05:00 ?        00:00:00 sleep 10\n');
  const custom = '  PID COMMAND\n   42 sleep\n    7 x\n';
  assert.equal(filterPsOutput(custom, [42]), '  PID COMMAND\n   42 sleep\n');
  assert.throws(() => filterPsOutput('USER COMMAND\nroot x\n', [1]), /couldn't find PID field in ps output/);
});

test('events: Go durations for --interval, runc event lines', () => {
  assert.equal(parseGoDuration('5s'), 5000);
  assert.equal(parseGoDuration('250ms'), 250);
  assert.equal(parseGoDuration('1m30s'), 90_000);
  assert.equal(parseGoDuration('1.5s'), 1500);
  assert.equal(parseGoDuration('0'), 0);
  assert.throws(() => parseGoDuration('5'), /invalid value "5" for flag -interval/);
  assert.throws(() => parseGoDuration('5x'), /parse error/);
  assert.equal(oomEvent('c1'), '{"type":"oom","id":"c1"}\n');
  const line = statsEvent('c1', emptyStats());
  const ev = JSON.parse(line) as { type: string; id: string; data: Record<string, unknown> };
  assert.equal(ev.type, 'stats');
  assert.equal(ev.id, 'c1');
  assert.deepEqual(Object.keys(ev.data), ['cpu', 'cpuset', 'memory', 'pids', 'blkio', 'hugetlb', 'intel_rdt', 'network_interfaces']);
  assert.ok(line.endsWith('}\n') && !line.slice(0, -1).includes('\n'), 'one line');
});

test('events: an unlimited ("max") limit is printed as the largest uint64, as runc does', () => {
  const s = emptyStats();
  s.memory.usage = { usage: 5, max: 0, failcnt: 0, limit: Infinity };
  const line = statsEvent('c', s);
  assert.match(line, /"usage":\{"usage":5,"failcnt":0,"limit":18446744073709551615\}/);
});
