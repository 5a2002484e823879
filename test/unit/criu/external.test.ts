// What criu is told about the container's outside: keys written at dump and
// mapped back to host paths at restore (the same keys runc uses, so an image
// moves between the runtimes).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dumpExtMounts, externalNamespaces, inheritStdio, restoreExtMounts } from '../../../src/criu/external.js';
import type { Spec } from '../../../src/spec/types.js';

const config: Spec = {
  ociVersion: '1.3.0',
  root: { path: 'rootfs' },
  mounts: [
    { destination: '/proc', type: 'proc', source: 'proc' },
    { destination: '/data', type: 'tmpfs', source: 'tmpfs' },
    { destination: '/etc/hosts', type: 'bind', source: '/var/lib/x/hosts', options: ['rbind', 'ro'] },
    { destination: 'shared//dir/', source: 'vol', options: ['bind'] },
  ],
  linux: {
    maskedPaths: ['/proc/kcore', '/proc/acpi'],
    devices: [{ path: '/dev/fuse', type: 'c', major: 10, minor: 229 }],
    namespaces: [{ type: 'pid' }, { type: 'network', path: '/run/netns/x' }, { type: 'ipc', path: '/proc/1/ns/ipc' }],
  },
};

test('mounts: binds and devices keyed by their path in the container, masked files by theirs with /dev/null; proc and tmpfs are criu\'s own', () => {
  assert.deepEqual(dumpExtMounts(config, (p) => p === '/proc/kcore'), [
    { key: '/etc/hosts', val: '/etc/hosts' },
    { key: '/shared/dir', val: '/shared/dir' },
    { key: '/proc/kcore', val: '/dev/null' },
    { key: '/dev/fuse', val: '/dev/fuse' },
  ]);
});

test('restore maps the keys to the host: a bind\'s source (relative to the bundle), /dev/null, the device node', () => {
  assert.deepEqual(restoreExtMounts(config, '/bundles/b'), [
    { key: '/etc/hosts', val: '/var/lib/x/hosts' },
    { key: '/shared/dir', val: '/bundles/b/vol' },
    { key: '/dev/null', val: '/dev/null' },
    { key: '/dev/fuse', val: '/dev/fuse' },
  ]);
});

test('namespaces joined by path: network and pid are criu externals; a new one is not', () => {
  assert.deepEqual(externalNamespaces(config), [{ type: 'network', path: '/run/netns/x' }]);
});

test('stdio: only pipes are handed over (criu reopens files and ttys itself)', () => {
  assert.deepEqual(inheritStdio(['/dev/null', 'pipe:[123]', 'pipe:[124]']), [{ key: 'pipe:[123]', fd: 1 }, { key: 'pipe:[124]', fd: 2 }]);
  assert.deepEqual(inheritStdio('garbage'), []);
});
