import { test } from 'node:test';
import assert from 'node:assert/strict';
import { blkioWeightToIoWeight, pageSizeBytes, pageSizeName, sharesToWeight, swapToV2 } from '../../../src/cgroups/convert.js';

test('cpu shares -> cpu.weight: 0 unset, min, default, max and clamps', () => {
  assert.equal(sharesToWeight(0), 0);
  assert.equal(sharesToWeight(1), 1);
  assert.equal(sharesToWeight(2), 1);
  assert.equal(sharesToWeight(1024), 100);
  assert.equal(sharesToWeight(262144), 10000);
  assert.equal(sharesToWeight(1_000_000), 10000);
  // Monotonic between the anchors.
  let last = 0;
  for (let s = 2; s <= 262144; s *= 2) {
    const w = sharesToWeight(s);
    assert.ok(w >= last, `${s} -> ${w}`);
    last = w;
  }
  assert.equal(sharesToWeight(512), 59); // 10^((81+1125)/612 - 7/34) = 58.2
  assert.equal(sharesToWeight(2048), 174); // 10^((121+1375)/612 - 7/34) = 173.2
});

test('blkio weight -> io.weight: 10 -> 1, 1000 -> 10000, 500 -> 4950', () => {
  assert.equal(blkioWeightToIoWeight(0), 0);
  assert.equal(blkioWeightToIoWeight(10), 1);
  assert.equal(blkioWeightToIoWeight(1000), 10000);
  assert.equal(blkioWeightToIoWeight(500), 4950);
});

test('memory.swap (memory+swap) -> memory.swap.max', () => {
  assert.equal(swapToV2(0, -1), -1, 'unlimited memory, swap unset: both unlimited');
  assert.equal(swapToV2(-1, 100), -1);
  assert.equal(swapToV2(0, 100), 0);
  assert.equal(swapToV2(300, 100), 200);
  assert.equal(swapToV2(100, 100), 0);
  assert.equal(swapToV2(500, -1), 500);
  assert.throws(() => swapToV2(300, 0), /without memory limit/);
  assert.throws(() => swapToV2(50, 100), (e: Error & { field?: string }) => /should be >= memory limit/.test(e.message) && e.field === '/linux/resources/memory/swap');
});

test('hugepage size names', () => {
  assert.equal(pageSizeBytes('2MB'), 2 * 1024 * 1024);
  assert.equal(pageSizeBytes('64KB'), 65536);
  assert.equal(pageSizeBytes('1GB'), 1024 ** 3);
  assert.equal(pageSizeBytes('2M'), undefined);
  assert.equal(pageSizeName(2097152), '2MB');
  assert.equal(pageSizeName(1073741824), '1GB');
});
