// src/sys/seccomp-cache.ts: a profile compiled once is read back for the very
// same profile and library only; anything else, or a damaged file, compiles.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/tsrun.js';
import { cachedSeccomp } from '../../src/sys/seccomp-cache.js';
import type { SeccompProgram } from '../../src/sys/seccomp.js';
import type { LinuxSeccomp } from '../../src/spec/types.js';

const LIB = '/usr/lib/x86_64-linux-gnu/libseccomp.so.2:1:2:3';

function fakeCompiler() {
  const calls: LinuxSeccomp[] = [];
  // a distinct 16-byte "program" per profile, so a wrong hit would show
  const compile = (sc: LinuxSeccomp): SeccompProgram => {
    calls.push(sc);
    const program = Buffer.alloc(16, calls.length);
    return { program, flags: 5, listenerPath: sc.listenerPath };
  };
  return { calls, compile };
}

/** `fn` with a fresh root dir, removed after. */
function withRoot(fn: (root: string) => void): void {
  const root = tempDir('tsrun-sc-');
  try {
    fn(root.path);
  } finally {
    root.remove();
  }
}

const profile = (names: string[]): LinuxSeccomp => ({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: [{ names, action: 'SCMP_ACT_ALLOW' }] });

test('seccomp cache: compiled once, then read back for the same profile (listenerPath from the config)', () =>
  withRoot((root) => {
    const { calls, compile } = fakeCompiler();
    const first = cachedSeccomp(root, profile(['read']), compile, LIB);
    assert.equal(calls.length, 1);
    const files = readdirSync(root);
    assert.equal(files.length, 1);
    assert.match(files[0]!, /^seccomp@[0-9a-f]{8}$/, 'an @ in the name: never a container id');
    const again = cachedSeccomp(root, { ...profile(['read']), listenerPath: '/l.sock' }, compile, LIB);
    // listenerPath is not part of the program but is part of the profile: another entry
    assert.equal(calls.length, 2);
    const third = cachedSeccomp(root, profile(['read']), compile, LIB);
    assert.equal(calls.length, 2, 'the same profile is not compiled again');
    assert.deepEqual(Buffer.from(third.program), Buffer.from(first.program));
    assert.equal(third.flags, 5);
    assert.equal(again.listenerPath, '/l.sock');
  }));

test('seccomp cache: another profile, another libseccomp, or a damaged file compiles anew', () =>
  withRoot((root) => {
    const { calls, compile } = fakeCompiler();
    cachedSeccomp(root, profile(['read']), compile, LIB);
    cachedSeccomp(root, profile(['write']), compile, LIB);
    assert.equal(calls.length, 2);
    cachedSeccomp(root, profile(['read']), compile, `${LIB}0`);
    assert.equal(calls.length, 3, 'an upgraded library compiles again');
    // truncate every cached program: each is refused (not a whole sock_filter) and compiled again
    for (const f of readdirSync(root)) {
      const buf = readFileSync(join(root, f));
      writeFileSync(join(root, f), buf.subarray(0, buf.length - 3));
    }
    const p = cachedSeccomp(root, profile(['read']), compile, LIB);
    assert.equal(calls.length, 4);
    assert.equal(p.program.length, 16);
    // no library found: nothing cached, always compiled
    withRoot((none) => {
      cachedSeccomp(none, profile(['read']), compile, null);
      cachedSeccomp(none, profile(['read']), compile, null);
      assert.equal(calls.length, 6);
      assert.deepEqual(readdirSync(none), []);
    });
  }));

test('seccomp cache: an entry others could have written (group or world writable) is not used', () =>
  withRoot((root) => {
    const { calls, compile } = fakeCompiler();
    cachedSeccomp(root, profile(['read']), compile, LIB);
    const [name] = readdirSync(root);
    chmodSync(join(root, name!), 0o666);
    cachedSeccomp(root, profile(['read']), compile, LIB);
    assert.equal(calls.length, 2);
    // compiled again and stored afresh, 0600: used from then on
    assert.equal(statSync(join(root, name!)).mode & 0o777, 0o600);
    cachedSeccomp(root, profile(['read']), compile, LIB);
    assert.equal(calls.length, 2);
  }));

test('seccomp cache: a file under another profile\'s name (a hash collision) is not used', () =>
  withRoot((root) => {
    const { calls, compile } = fakeCompiler();
    cachedSeccomp(root, profile(['read']), compile, LIB);
    const [name] = readdirSync(root);
    // put the entry of profile "write" under the name of profile "read"
    withRoot((write) => {
      cachedSeccomp(write, profile(['write']), compile, LIB);
      const [other] = readdirSync(write);
      writeFileSync(join(root, name!), readFileSync(join(write, other!)));
    });
    const p = cachedSeccomp(root, profile(['read']), compile, LIB);
    assert.equal(calls.length, 3, 'the key inside is compared whole');
    assert.deepEqual(Buffer.from(p.program), Buffer.alloc(16, 3));
  }));
