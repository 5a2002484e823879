// How a dead executor's wait status reads in the error a user sees.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeWaitStatus, processEnd } from '../../../src/lifecycle/executor-death.js';

test('wait status in words: exit status, signal, core dump', () => {
  assert.equal(describeWaitStatus(0), 'exit status 0');
  assert.equal(describeWaitStatus(1 << 8), 'exit status 1');
  assert.equal(describeWaitStatus(127 << 8), 'exit status 127');
  assert.equal(describeWaitStatus(9), 'killed by SIGKILL');
  assert.equal(describeWaitStatus(11 | 0x80), 'killed by SIGSEGV (core dumped)');
});

test('processEnd: nothing to tell for a running or missing process', () => {
  assert.equal(processEnd(process.pid), undefined, 'running');
  assert.equal(processEnd(2 ** 22 + 1), undefined, 'no such pid (above pid_max)');
});
