// config-linux.md makes major/minor optional for a fifo; a config that still
// carries them (runtime-tools' linux_devices does) is accepted, as by runc.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { baseConfig } from '../../fixtures/malformed-configs.js';
import { validateConfig } from '../../../src/spec/validate.js';

test('a fifo device with major/minor numbers is accepted for create', () => {
  const doc = baseConfig();
  doc.linux.devices = [{ path: '/dev/test-fifo', type: 'p', major: 8, minor: 0, fileMode: 0o644, uid: 0, gid: 0 }];
  const spec = validateConfig(doc, { forCreate: true });
  assert.equal(spec.linux?.devices?.[0]?.type, 'p');
});

test('a character device still needs its numbers', () => {
  const doc = baseConfig();
  doc.linux.devices = [{ path: '/dev/test-chr', type: 'c' }];
  assert.throws(() => validateConfig(doc, { forCreate: true }), /\/linux\/devices\/0/);
});
