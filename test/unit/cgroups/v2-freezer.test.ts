// The v2 freezer's state read from the two files the kernel gives: the
// cgroup's own request (cgroup.freeze) and the effective state (cgroup.events).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { v2FreezerState } from '../../../src/cgroups/v2/freezer.js';

function stateOf(freeze: string, events: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tsrun-freezer-'));
  try {
    writeFileSync(join(dir, 'cgroup.freeze'), freeze);
    writeFileSync(join(dir, 'cgroup.events'), events);
    return v2FreezerState(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('v2 freezer: own request and effective state', () => {
  assert.equal(stateOf('0\n', 'populated 1\nfrozen 0\n'), 'THAWED');
  assert.equal(stateOf('1\n', 'populated 1\nfrozen 0\n'), 'FREEZING');
  assert.equal(stateOf('1\n', 'populated 1\nfrozen 1\n'), 'FROZEN');
});

test('v2 freezer: a cgroup below a parent frozen from outside is FROZEN though its own cgroup.freeze is 0', () => {
  assert.equal(stateOf('0\n', 'populated 0\nfrozen 1\n'), 'FROZEN');
});
