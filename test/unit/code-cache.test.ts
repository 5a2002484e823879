// src/code-cache.ts compiles a bundle with the text Node's Module.wrap would
// put around it; build/code-cache.mjs makes the cache with Module.wrap itself.
// V8 takes a cache only for a source of the same length: they must agree.
import { spawnSync } from 'node:child_process';
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import Module from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import vm from 'node:vm';
import { WRAP_HEAD, WRAP_TAIL, cacheHeader, loadWithCodeCache } from '../../src/code-cache.js';
import { repoRoot } from '../helpers/tsrun.js';

test('the code cache loader wraps a bundle exactly as Module.wrap does', () => {
  const wrap = (Module as unknown as { wrap: (s: string) => string }).wrap;
  for (const src of ['', 'module.exports = 1;', 'x\n// last line']) assert.equal(`${WRAP_HEAD}${src}${WRAP_TAIL}`, wrap(src));
});

// V8 copies cached data that is not 8-byte aligned; the file's buffer is, so the header must keep it so.
test('a cache file\'s header line is the build id padded to a multiple of 8 bytes', () => {
  for (const id of ['test', '0123456789abcdef', 'x', '1234567']) {
    const h = cacheHeader(id).toString('latin1');
    assert.equal(h.length % 8, 0, id);
    assert.equal(h.trimEnd(), id);
    assert.ok(h.endsWith('\n') && h.indexOf('\n') === h.length - 1, id);
  }
});

test('a bundle that is not there loads as undefined (the caller\'s require names it)', () => {
  assert.equal(loadWithCodeCache(join(tmpdir(), `tsrun-no-such-${process.pid}.cjs`), undefined), undefined);
});

// The cache a command leaves in the cache directory (code@<bundle>): written at a
// successful exit, read back only when it is this build's and provably ours.
describe('the code cache in the cache directory', () => {
  const made: string[] = [];
  let n = 0;
  after(() => {
    for (const d of made) rmSync(d, { recursive: true, force: true });
  });
  /** A bundle with the build's cache beside it (TSRUN_BUILD_ID is "test" in the tests), and an empty cache directory. */
  function setUp() {
    const dir = mkdtempSync(join(tmpdir(), 'tsrun-cc-'));
    made.push(dir);
    const bundle = join(dir, 'cli-x.cjs');
    // a source of its own: V8 compiles a text it has seen in this process from memory, ignoring any cache
    const src = `module.exports = { answer: () => 42 }; // ${++n}\n`;
    writeFileSync(bundle, src);
    // (under another name, or the loader would get this compile from V8's in-memory cache)
    const data = new vm.Script(`${WRAP_HEAD}${src}${WRAP_TAIL}`, { filename: `${bundle}.build` }).createCachedData();
    writeFileSync(`${bundle}.v8cache`, Buffer.concat([Buffer.from('test\n'), data]));
    const root = join(dir, 'root');
    mkdirSync(root, { mode: 0o700 });
    return { bundle, root, own: join(root, 'code@cli-x.cjs') };
  }
  /** Load it; the exit hook it registered, if any. */
  function load(bundle: string, root: string) {
    let hook: ((code: number) => void) | undefined;
    const mod = loadWithCodeCache(bundle, root, (fn) => (hook = fn)) as { answer: () => number };
    assert.equal(mod.answer(), 42);
    return hook;
  }

  test('the first successful command leaves this build\'s cache there, mode 0600; a failed one leaves none', () => {
    const { bundle, root, own } = setUp();
    load(bundle, root)!(1);
    assert.equal(existsSync(own), false);
    load(bundle, root)!(0);
    const file = readFileSync(own);
    assert.equal(file.toString('latin1', 0, 8), 'test   \n', 'the V8 data starts at an 8-byte boundary');
    assert.ok(file.length > 5);
    assert.equal(statSync(own).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(root), ['code@cli-x.cjs'], 'no temp file left');
  });

  test('a later command loads it and writes nothing', () => {
    const { bundle, root } = setUp();
    load(bundle, root)!(0);
    assert.equal(load(bundle, root), undefined);
  });

  test('one it cannot trust, of another build or that V8 rejects is not used, and is replaced', () => {
    for (const [what, plant] of [
      ['group writable', (own: string, good: Buffer) => (writeFileSync(own, good), chmodSync(own, 0o620))],
      ['another build', (own: string, good: Buffer) => writeFileSync(own, Buffer.concat([Buffer.from('other\n'), good.subarray(5)]), { mode: 0o600 })],
      ['rejected by V8', (own: string) => writeFileSync(own, 'test\nnot a cache', { mode: 0o600 })],
      ['a symlink', (own: string, _good: Buffer, bundle: string) => symlinkSync(`${bundle}.v8cache`, own)],
    ] as const) {
      const { bundle, root, own } = setUp();
      plant(own, readFileSync(`${bundle}.v8cache`), bundle);
      const hook = load(bundle, root);
      assert.ok(hook, `${what}: refreshed at exit`);
      hook(0);
      const st = lstatSync(own);
      assert.ok(st.isFile() && (st.mode & 0o777) === 0o600, `${what}: replaced by a file of ours`);
      assert.equal(readFileSync(own, 'latin1').slice(0, 8), 'test   \n');
      assert.notEqual(readFileSync(own, 'latin1'), 'test\nnot a cache');
    }
  });

  test('a bundle the build has no cache for (dist/tsrun.cjs): compiled from its text with orCompile, and cached at a successful exit', () => {
    const { bundle, root, own } = setUp();
    rmSync(`${bundle}.v8cache`);
    assert.equal(loadWithCodeCache(bundle, root, () => assert.fail('no hook without orCompile')), undefined);
    let hook: ((code: number) => void) | undefined;
    const mod = loadWithCodeCache(bundle, root, (fn) => (hook = fn), true) as { answer: () => number };
    assert.equal(mod.answer(), 42);
    assert.ok(hook, 'a cache is left at exit');
    hook(0);
    assert.equal(readFileSync(own, 'latin1').slice(0, 8), 'test   \n');
    assert.equal(loadWithCodeCache(bundle, root, () => assert.fail('the cache it left is used'), true) !== undefined, true);
  });

  test('without a cache directory only the build\'s cache is used', () => {
    const { bundle, root } = setUp();
    let hooked = false;
    const mod = loadWithCodeCache(bundle, undefined, () => (hooked = true)) as { answer: () => number };
    assert.equal(mod.answer(), 42);
    assert.equal(hooked, false);
    assert.deepEqual(readdirSync(root), []);
  });

  test('a FIFO put in its place does not block a command (its open would wait for a writer)', () => {
    const { root } = setUp();
    assert.equal(spawnSync('mkfifo', [join(root, 'code@cli-create.cjs')]).status, 0);
    // create loads its bundle, with this cache, before it looks at the bundle dir (missing here)
    const res = spawnSync(process.execPath, [join(repoRoot, 'dist', 'tsrun.cjs'), '--root', root, 'create', '--bundle', join(root, 'nope'), 'x'], {
      encoding: 'utf8',
      timeout: 20_000,
      env: { ...process.env, TSRUN_CACHE_DIR: root },
    });
    assert.equal(res.error, undefined, 'finished');
    assert.equal(res.status, 1);
    assert.match(res.stderr, /nope/);
  });
});
