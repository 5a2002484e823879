// Idmapped mounts (mount uidMappings/gidMappings, options idmap/ridmap):
// owners seen through the mount from inside the container.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rootSkip, tempDir } from '../../helpers/tsrun.js';
import { makeRoot } from '../lifecycle/helpers.js';
import { kv, mountAt, mountinfoOf, MOUNTINFO, runIn, userns } from './helpers.js';

test('idmapped mounts: host-owned files show as the container\'s root through the mount, not through a plain bind; ridmap reaches a submount', { skip: rootSkip }, () => {
  const r = makeRoot();
  const src = tempDir('tsrun-idmapsrc-');
  chmodSync(src.path, 0o755);
  writeFileSync(join(src.path, 'root-owned'), 'x');
  writeFileSync(join(src.path, 'u5-owned'), 'x');
  chownSync(join(src.path, 'u5-owned'), 5, 6);
  const sub = join(src.path, 'sub');
  mkdirSync(sub);
  assert.equal(spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=755', 'tsrun-test-idmap', sub]).status, 0);
  try {
    const script = [
      MOUNTINFO,
      "echo idmap=$(stat -c '%u:%g' /idm/root-owned) u5=$(stat -c '%u:%g' /idm/u5-owned)",
      "echo plain=$(stat -c '%u:%g' /plain/root-owned)",
      "echo rsub=$(stat -c '%u:%g' /ridm/sub)",
      'touch /idm/new && echo write=ok',
    ].join('; ');
    const res = runIn(r, 'idmap', script, (s) => {
      userns(s);
      s.mounts!.push({
        destination: '/idm', type: 'bind', source: src.path, options: ['bind', 'idmap'],
        uidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }], gidMappings: [{ containerID: 0, hostID: 100000, size: 65536 }],
      });
      // rbind: in a user namespace a plain bind may not uncover the locked submount
      s.mounts!.push({ destination: '/plain', type: 'bind', source: src.path, options: ['rbind'] });
      // no mappings of its own: the container's are used
      s.mounts!.push({ destination: '/ridm', type: 'bind', source: src.path, options: ['rbind', 'ridmap'] });
    }, [], (rootfs) => {
      // the container's root cannot make directories in a rootfs owned by the host's root
      for (const d of ['idm', 'plain', 'ridm']) mkdirSync(join(rootfs, d));
    });
    assert.equal(res.code, 0, res.stderr);
    const o = kv(res.stdout);
    // on disk 0 -> the mount's idmap (0 100000 65536) -> 100000 -> the container's 0
    assert.match(o.idmap ?? '', /^0:0 u5=5:6$/);
    assert.equal(o.plain, '65534:65534', 'a plain bind shows host root as the overflow id');
    assert.equal(o.write, 'ok', 'the container root writes through the idmapped mount');
    const st = statSync(join(src.path, 'new'));
    assert.equal(`${st.uid}:${st.gid}`, '0:0', 'and its file is owned by on-disk 0');
    const mi = mountinfoOf(res.stdout);
    assert.ok(mountAt(mi, '/idm')!.opts.has('idmapped'));
    assert.ok(mountAt(mi, '/ridm/sub')?.opts.has('idmapped'), 'ridmap idmaps the submount too');
  } finally {
    r.cleanup();
    spawnSync('umount', ['-l', sub]);
    src.remove();
  }
});

test('idmapped mounts: without a user namespace the mount\'s own mappings apply; a non-bind idmap is refused naming the field', { skip: rootSkip }, () => {
  const r = makeRoot();
  const src = tempDir('tsrun-idmapsrc-');
  chmodSync(src.path, 0o755);
  writeFileSync(join(src.path, 'root-owned'), 'x');
  try {
    const res = runIn(r, 'idmap-host', "echo owner=$(stat -c '%u:%g' /idm/root-owned)", (s) => {
      s.mounts!.push({
        destination: '/idm', type: 'bind', source: src.path, options: ['bind', 'ro'],
        uidMappings: [{ containerID: 0, hostID: 1000, size: 1 }], gidMappings: [{ containerID: 0, hostID: 1000, size: 1 }],
      });
    });
    assert.equal(res.code, 0, res.stderr);
    assert.equal(kv(res.stdout).owner, '1000:1000', 'on-disk 0 is 1000 through the mount (0 -> 1000)');

    let n = -1;
    const bad = runIn(r, 'idmap-tmpfs', 'true', (s) => {
      userns(s);
      n = s.mounts!.push({ destination: '/t', type: 'tmpfs', source: 'tmpfs', options: ['idmap'] }) - 1;
    });
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, new RegExp(`config\\.json: /mounts/${n}/options: an idmapped mount must be a bind mount`));
  } finally {
    r.cleanup();
    src.remove();
  }
});
