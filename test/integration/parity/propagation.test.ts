// runc parity (issue 20), mount propagation to the host: a CSI node plugin
// binds a shared host directory with rbind,rshared under rootfsPropagation
// rshared, and what it mounts there must reach the host. Without that (no
// rootfsPropagation, rslave, rprivate) a mount made in the container must stay
// in it. Host mounts here are all private, so each case makes a shared mount
// point of its own in a temp dir and takes every mount under it away again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle } from '../../helpers/bundle.js';
import { differential, differentialSkip, type Runtime } from '../../helpers/differential.js';
import { tempDir } from '../../helpers/tsrun.js';
import { parseMountinfo } from '../rootfs/helpers.js';
import type { RootfsPropagation } from '../../../src/spec/types.js';

const skip = differentialSkip;

function sh(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}

const hostMountsUnder = (dir: string) => parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8'))
  .filter((m) => m.mountPoint === dir || m.mountPoint.startsWith(`${dir}/`));

/** A shared mount point at <tmp>/src (its own peer group), removed with all under it. */
function sharedHostDir() {
  const t = tempDir('tsrun-parity-prop-');
  const src = join(t.path, 'src');
  mkdirSync(join(src, 'sub'), { recursive: true });
  try {
    sh('mount', ['--bind', src, src]);
    sh('mount', ['--make-shared', src]);
  } catch (err) {
    spawnSync('umount', ['-R', src]);
    t.remove();
    throw err;
  }
  return {
    src,
    remove() {
      // what propagated stacks under src: take all of it, lazily where busy
      for (let i = 0; i < 8 && hostMountsUnder(src).length > 0; i++) {
        if (spawnSync('umount', ['-R', src]).status !== 0) spawnSync('umount', ['-l', src]);
      }
      const left = hostMountsUnder(src).length;
      t.remove();
      assert.equal(left, 0, `mounts left under ${src}`);
    },
  };
}

/**
 * The container mounts a tmpfs at /csi/sub, under the rshared bind of the
 * shared host dir, and writes a file there; then the host looks.
 */
function mountInside(rt: Runtime, id: string, prop: RootfsPropagation | undefined) {
  const host = sharedHostDir();
  let b: ReturnType<typeof makeBundle> | undefined;
  try {
    b = makeBundle({
      args: ['sh', '-c', 'mount -t tmpfs tmpfs /csi/sub && echo hi > /csi/sub/f && echo made'],
      patch: (s) => {
        if (prop) s.linux!.rootfsPropagation = prop;
        s.mounts!.push({ destination: '/csi', type: 'bind', source: host.src, options: ['rbind', 'rshared'] });
        const caps = s.process!.capabilities!;
        for (const set of ['bounding', 'effective', 'permitted'] as const) caps[set] = [...(caps[set] ?? []), 'CAP_SYS_ADMIN'];
      },
    });
    const res = rt.call(['run', '--bundle', b.dir, id]);
    const under = hostMountsUnder(host.src);
    return {
      code: res.code,
      stdout: res.stdout,
      stderr: res.stderr,
      // the tmpfs on the host, and the file the container wrote in it
      hostTmpfs: under.some((m) => m.mountPoint === join(host.src, 'sub') && m.fstype === 'tmpfs'),
      hostFile: existsSync(join(host.src, 'sub', 'f')),
      // nothing of the container's own (its rootfs bind, /proc, ...) on the host
      bundleMounts: hostMountsUnder(b.dir).map((m) => m.mountPoint),
    };
  } finally {
    rt.call(['delete', '--force', id]);
    b?.remove();
    host.remove();
  }
}

// private (not rprivate) is here too: runc makes only / private then, and the
// copy of the shared host dir, a mount of its own, keeps its host peer group
test('rootfsPropagation rshared (or private) with an rbind,rshared bind of a shared host dir: a mount made inside reaches the host', { skip }, () => {
  for (const prop of ['rshared', 'private'] as const) {
    const out = differential((rt) => mountInside(rt, 'prop-shared', prop), ['prop-shared']);
    for (const name of ['runc', 'tsrun'] as const) {
      const o = out[name];
      const what = `${name}, rootfsPropagation ${prop}`;
      assert.equal(o.code, 0, `${what}: ${o.stderr}`);
      assert.equal(o.stdout, 'made\n', what);
      assert.ok(o.hostTmpfs, `${what}: the tmpfs mounted in the container is on the host`);
      assert.ok(o.hostFile, `${what}: the host sees the file written into it`);
      assert.deepEqual(o.bundleMounts, [], `${what}: none of the container's own mounts on the host`);
    }
  }
});

test('without rootfsPropagation, or rslave or rprivate, a mount made inside stays in the container', { skip }, () => {
  for (const prop of [undefined, 'rslave', 'rprivate'] as const) {
    const out = differential((rt) => mountInside(rt, 'prop-kept', prop), ['prop-kept']);
    for (const name of ['runc', 'tsrun'] as const) {
      const o = out[name];
      const what = `${name}, rootfsPropagation ${prop ?? 'unset'}`;
      assert.equal(o.code, 0, `${what}: ${o.stderr}`);
      assert.equal(o.stdout, 'made\n', what);
      assert.equal(o.hostTmpfs, false, `${what}: no tmpfs on the host`);
      assert.equal(o.hostFile, false, `${what}: the file stayed in the container's tmpfs`);
      assert.deepEqual(o.bundleMounts, [], `${what}: none of the container's own mounts on the host`);
    }
  }
});
