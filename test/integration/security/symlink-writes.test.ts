// Files the runtime writes or removes as root through a path someone else
// controls, tried as an attacker would: each planted link points at a host
// canary whose content and links are checked afterwards. runc is safe on
// every one of them; so must we be.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle } from '../../helpers/bundle.js';
import { differential, differentialSkip, makeRuntime } from '../../helpers/differential.js';
import { rootSkip, tempDir } from '../../helpers/tsrun.js';

/** A root-only host file that must come out as it went in. */
function canary(dir: string, name = 'canary'): { path: string; check: (what: string) => void } {
  const path = join(dir, name);
  writeFileSync(path, 'host secret\n', { mode: 0o600 });
  return {
    path,
    check(what) {
      assert.ok(existsSync(path), `${what}: the canary is still there`);
      const st = lstatSync(path);
      assert.ok(st.isFile() && st.nlink === 1 && (st.mode & 0o777) === 0o600 && st.uid === 0, `${what}: the canary is the same root-only file`);
      assert.equal(readFileSync(path, 'utf8'), 'host secret\n', `${what}: the canary's content is unchanged`);
    },
  };
}

/** The pids the next processes will get, from the kernel's last one: where an attacker plants. */
function comingPids(n: number): number[] {
  const last = Number(readFileSync('/proc/sys/kernel/ns_last_pid', 'utf8'));
  return Array.from({ length: n }, (_, i) => last + 1 + i);
}

test('create --pid-file <rootfs>/run/pidfile: links the container planted at the coming temp names are refused, not written through', { skip: rootSkip }, () => {
  const host = tempDir('tsrun-canary-');
  const b = makeBundle({ args: ['true'] });
  const rt = makeRuntime('tsrun');
  try {
    const c = canary(host.path);
    const run = join(b.dir, 'rootfs', 'run');
    mkdirSync(run, { recursive: true });
    for (const p of comingPids(3000)) symlinkSync(c.path, join(run, `.pidfile.${p}.tmp`));
    const res = rt.call(['create', '--pid-file', join(run, 'pidfile'), '--bundle', b.dir, 'pidlink']);
    c.check('create --pid-file');
    // one of the planted names was ours: create fails as runc's does, and takes everything back
    assert.equal(res.code, 1, `a planted temp name was hit (stderr: ${res.stderr})`);
    assert.match(res.stderr, /open .*\/run\/\.pidfile\.\d+\.tmp: file exists/);
    assert.equal(existsSync(join(run, 'pidfile')), false);
    assert.deepEqual(readdirSync(rt.root), [], 'nothing left under --root');
  } finally {
    rt.cleanup('pidlink');
    b.remove();
    host.remove();
  }
});

test('run: links planted at the cache temp names under --root are never written through; --root gets no cache at all', { skip: rootSkip }, () => {
  const host = tempDir('tsrun-canary-');
  const b = makeBundle({ args: ['true'] });
  const rt = makeRuntime('tsrun');
  try {
    const c = canary(host.path);
    for (const p of comingPids(2000)) {
      // the temp names of both layouts: <name>.<pid>.tmp before safe-fs.ts, .<name>.<pid>.tmp since
      for (const bundle of ['cli-run.cjs', 'cli-create.cjs']) {
        symlinkSync(c.path, join(rt.root, `code@${bundle}.${p}.tmp`));
        symlinkSync(c.path, join(rt.root, `.code@${bundle}.${p}.tmp`));
      }
    }
    const planted = new Set(readdirSync(rt.root));
    const res = rt.call(['run', '--bundle', b.dir, 'cachelink']);
    assert.equal(res.code, 0, res.stderr);
    c.check('run');
    assert.deepEqual(readdirSync(rt.root).filter((f) => !planted.has(f)), [], 'run left nothing in --root');
  } finally {
    rt.cleanup('cachelink');
    b.remove();
    host.remove();
  }
});

test('a --root that group or others may write is refused by create, naming it (names in it could be planted)', { skip: rootSkip }, () => {
  const b = makeBundle({ args: ['true'] });
  const rt = makeRuntime('tsrun');
  try {
    chmodSync(rt.root, 0o777);
    const res = rt.call(['create', '--bundle', b.dir, 'openroot']);
    assert.equal(res.code, 1);
    assert.match(res.stderr, new RegExp(`--root ${rt.root}: not owned by uid 0, or writable by group or others`));
    assert.deepEqual(readdirSync(rt.root), []);
  } finally {
    chmodSync(rt.root, 0o700);
    rt.cleanup('openroot');
    b.remove();
  }
});

test('delete --force ID where <root>/ID is a link to a directory: only the link goes (as runc)', { skip: differentialSkip }, () => {
  const host = tempDir('tsrun-canary-');
  try {
    const out = differential((rt) => {
      const victim = join(host.path, rt.name);
      mkdirSync(victim);
      const c = canary(victim);
      writeFileSync(join(victim, 'state.json'), '{}', { mode: 0o600 });
      symlinkSync(victim, join(rt.root, 'planted'));
      const res = rt.call(['delete', '--force', 'planted']);
      c.check(`${rt.name} delete --force`);
      assert.ok(existsSync(join(victim, 'state.json')), `${rt.name}: the target directory's files stay`);
      return { code: res.code, linkLeft: existsSync(join(rt.root, 'planted')) || readdirSync(rt.root).includes('planted') };
    });
    assert.equal(out.tsrun.code, out.runc.code, 'exit code as runc');
    assert.equal(out.tsrun.linkLeft, out.runc.linkLeft, 'the link removed as runc does');
  } finally {
    host.remove();
  }
});

test('--root is empty after the last container is deleted: no cache, no temp file (seccomp profile and code caches included)', { skip: rootSkip }, () => {
  const b = makeBundle({
    args: ['sleep', '300'],
    patch: (s) => {
      s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: ['mknod'], action: 'SCMP_ACT_ERRNO' }] };
    },
  });
  const rt = makeRuntime('tsrun');
  try {
    for (const id of ['e1', 'e2']) {
      const res = rt.call(['run', '-d', '--bundle', b.dir, id]);
      assert.equal(res.code, 0, res.stderr);
    }
    const ex = rt.call(['exec', 'e1', 'true']);
    assert.equal(ex.code, 0, ex.stderr);
    assert.deepEqual(readdirSync(rt.root).sort(), ['e1', 'e2']);
    for (const id of ['e1', 'e2']) assert.equal(rt.call(['delete', '--force', id]).code, 0);
    assert.deepEqual(readdirSync(rt.root), [], '--root holds state only');
  } finally {
    rt.cleanup('e1', 'e2');
    b.remove();
  }
});
