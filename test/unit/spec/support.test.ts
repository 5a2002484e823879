// Valid configs asking for what tsrun's features document says it lacks are
// refused for create (naming the field) and accepted otherwise; when a claim
// in src/spec/features.ts flips, the expectation flips with it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { baseConfig, type Doc } from '../../fixtures/malformed-configs.js';
import { claims } from '../../../src/spec/features.js';
import { validateConfig, validateProcess } from '../../../src/spec/validate.js';

const cases: { name: string; claimed: boolean; field: string; mutate: (c: Doc) => void }[] = [
  { name: 'selinux process label', claimed: claims.selinux, field: '/process/selinuxLabel', mutate: (c) => (c.process.selinuxLabel = 'system_u:system_r:container_t:s0') },
  { name: 'Intel RDT', claimed: claims.intelRdt, field: '/linux/intelRdt', mutate: (c) => (c.linux.intelRdt = { closID: 'guaranteed_group' }) },
  { name: 'network devices', claimed: claims.netDevices, field: '/linux/netDevices', mutate: (c) => (c.linux.netDevices = { eth9: { name: 'eth0' } }) },
  {
    name: 'idmapped mount',
    claimed: claims.idmapMounts,
    field: '/mounts/1',
    mutate: (c) => {
      c.mounts[1].options.push('idmap');
      c.mounts[1].uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      c.mounts[1].gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    },
  },
  {
    name: 'seccomp flag WAIT_KILLABLE_RECV',
    claimed: claims.seccompSupportedFlags.includes('SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'),
    field: '/linux/seccomp/flags/0',
    mutate: (c) => (c.linux.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'] }),
  },
];

for (const c of cases) {
  test(`${c.name}: ${c.claimed ? 'accepted (claimed in features)' : 'refused for create, naming the field'}`, () => {
    const doc = baseConfig();
    c.mutate(doc);
    // Valid either way: a reader that does not run it (forCreate false) accepts it.
    validateConfig(doc, { forCreate: false });
    if (c.claimed) {
      validateConfig(doc, { forCreate: true });
    } else {
      assert.throws(
        () => validateConfig(doc, { forCreate: true }),
        (err: Error) => err.toString().startsWith(`config.json: ${c.field}: `),
      );
    }
  });
}

test('an exec process file with an selinux label follows the same claim', () => {
  const p = { ...baseConfig().process, selinuxLabel: 'system_u:system_r:container_t:s0' };
  if (claims.selinux) validateProcess(p, 'process.json');
  else assert.throws(() => validateProcess(p, 'process.json'), /process\.json: \/selinuxLabel: selinux label is specified/);
});
