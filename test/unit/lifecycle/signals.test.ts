// kill's signal table: the built-in generic Linux numbers must be exactly
// what Node (node:os) knows on this machine, and parsing must accept the
// forms runc accepts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { constants } from 'node:os';
import { parseSignal, signalTable } from '../../../src/lifecycle/signals.js';

test('the signal table is node:os constants.signals, name for name', () => {
  assert.deepEqual({ ...signalTable() }, { ...(constants.signals as Record<string, number>) });
});

test('parseSignal: names with and without SIG, any case, numbers, real-time signals', () => {
  assert.equal(parseSignal('KILL'), 9);
  assert.equal(parseSignal('SIGTERM'), 15);
  assert.equal(parseSignal('sigusr1'), constants.signals.SIGUSR1);
  assert.equal(parseSignal('hup'), 1);
  assert.equal(parseSignal('9'), 9);
  assert.equal(parseSignal('64'), 64);
  assert.equal(parseSignal('SIGRTMIN'), 34);
  assert.equal(parseSignal('RTMIN+3'), 37);
  assert.equal(parseSignal('SIGRTMAX-2'), 62);
  assert.throws(() => parseSignal('SIGNOPE'), /unknown signal "SIGNOPE"/);
  // numbers go to the kernel as they are (runc's strconv.Atoi): 0 probes, 65 is the kernel's EINVAL
  assert.equal(parseSignal('0'), 0);
  assert.equal(parseSignal('65'), 65);
  assert.equal(parseSignal('-1'), -1);
  assert.equal(parseSignal('+9'), 9);
  assert.throws(() => parseSignal('99999999999'), /unknown signal "99999999999"/);
});
