// src/state/safe-fs.ts is the one module that creates and removes files:
// through directory fds, O_CREAT|O_EXCL|O_NOFOLLOW, never following a link.
// Each planted link points at a canary whose content and link count are
// checked afterwards.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { tempDir, repoRoot } from '../../helpers/tsrun.js';
import { Dir, readOwnFile, readRegular, writeOwnFile } from '../../../src/state/safe-fs.js';
import { createContainerDir, readRecord, removeContainerDir, writeRecord } from '../../../src/state/store.js';
import { writePidFile } from '../../../src/lifecycle/pidfile.js';
import { cacheDir } from '../../../src/state/cache-dir.js';
import { TsrunError } from '../../../src/errors.js';

function withDir(fn: (dir: string) => void): void {
  const d = tempDir('tsrun-safefs-');
  try {
    fn(d.path);
  } finally {
    d.remove();
  }
}

/** A host file that must come out of the test as it went in. */
function canary(dir: string): { path: string; check: (what: string) => void } {
  const path = join(dir, 'canary');
  writeFileSync(path, 'host data\n', { mode: 0o600 });
  return {
    path,
    check(what) {
      assert.ok(existsSync(path), `${what}: the canary is still there`);
      assert.equal(readFileSync(path, 'utf8'), 'host data\n', `${what}: the canary's content is unchanged`);
      const st = lstatSync(path);
      assert.ok(st.isFile() && st.nlink === 1 && (st.mode & 0o777) === 0o600, `${what}: the canary is the same plain file`);
    },
  };
}

test('the rule: no module but src/state/safe-fs.ts writes, renames or removes a file by path', () => {
  const src = join(repoRoot, 'src');
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.endsWith('.ts')) files.push(join(d, e.name));
    }
  };
  walk(src);
  assert.ok(files.length > 50, 'the source tree was found');
  // anything that makes, replaces or removes a directory entry, or writes a file by its name
  // (the promise API through its usual names; Dir's own methods are no fs calls)
  const anywhere = /\b(writeFileSync|appendFileSync|renameSync|unlinkSync|rmSync|symlinkSync|linkSync|copyFileSync|truncateSync|mkdtempSync|createWriteStream|cpSync)\s*\(|\b(fs|fsp|promises)\.(writeFile|appendFile|rename|unlink|rm|symlink|copyFile|truncate)\s*\(|from '(node:)?fs\/promises'/;
  // cgroupfs holds only directories and kernel files: nobody can plant a link in it
  const dirOps = /\b(mkdirSync|rmdirSync)\s*\(|\b(fs|fsp|promises)\.(mkdir|rmdir)\s*\(/;
  const creatingOpen = /\bopenSync\([^;]*(O_CREAT|O_TRUNC|O_APPEND|['"][wa][+sx]*['"])/;
  const offenders: string[] = [];
  for (const f of files) {
    const rel = relative(src, f);
    if (rel === 'state/safe-fs.ts') continue;
    const text = readFileSync(f, 'utf8');
    text.split('\n').forEach((line, i) => {
      if (/^\s*(\/\/|\*)/.test(line)) return;
      const hit = anywhere.test(line) || (dirOps.test(line) && !rel.startsWith('cgroups/')) || (creatingOpen.test(line) && !rel.startsWith('cgroups/'));
      if (hit) offenders.push(`${rel}:${i + 1}: ${line.trim()}`);
    });
  }
  assert.deepEqual(offenders, [], 'write, rename and remove files through src/state/safe-fs.ts');
});

test('Dir.create: a name taken by a link (even dangling) fails with EEXIST and writes nothing through it', () =>
  withDir((d) => {
    const c = canary(d);
    mkdirSync(join(d, 'run'));
    symlinkSync(c.path, join(d, 'run', 'taken'));
    symlinkSync(join(d, 'nowhere'), join(d, 'run', 'dangling'));
    const dir = Dir.open(join(d, 'run'));
    try {
      assert.throws(() => dir.create('taken', 'x', 0o644), { code: 'EEXIST' });
      assert.throws(() => dir.create('dangling', 'x', 0o644), { code: 'EEXIST' });
    } finally {
      dir.close();
    }
    c.check('create');
    assert.equal(existsSync(join(d, 'nowhere')), false, 'the dangling link made nothing');
  }));

test('--pid-file: links planted at the temp names (the container owns the directory) are refused; the host file is untouched', () =>
  withDir((d) => {
    const c = canary(d);
    const run = join(d, 'rootfs-run');
    mkdirSync(run);
    // the names the next pids would use, this test's among them
    for (let p = process.pid - 2; p <= process.pid + 2; p++) symlinkSync(c.path, join(run, `.pidfile.${p}.tmp`));
    assert.throws(() => writePidFile(join(run, 'pidfile'), 4242), (err: unknown) => err instanceof TsrunError && /file exists/.test(err.message) && err.errno === 'EEXIST');
    c.check('pid file');
    assert.equal(existsSync(join(run, 'pidfile')), false);
  }));

test('--pid-file: a link at the pid file\'s own name is replaced, not written through', () =>
  withDir((d) => {
    const c = canary(d);
    symlinkSync(c.path, join(d, 'pidfile'));
    writePidFile(join(d, 'pidfile'), 4242);
    c.check('pid file name');
    assert.ok(lstatSync(join(d, 'pidfile')).isFile());
    assert.equal(readFileSync(join(d, 'pidfile'), 'utf8'), '4242');
    assert.deepEqual(readdirSync(d).sort(), ['canary', 'pidfile'], 'no temp file left');
  }));

test('--pid-file in a missing directory: runc\'s words (open <its temp file>: no such file or directory)', () =>
  withDir((d) => {
    assert.throws(() => writePidFile(join(d, 'missing', 'pid'), 1), (err: unknown) => err instanceof TsrunError && new RegExp(`^open ${d}/missing/\\.pid\\S*: no such file or directory$`).test(err.message));
  }));

test('caches: links planted at every temp name in a directory others can write leave the host file alone', () =>
  withDir((d) => {
    const c = canary(d);
    const cache = join(d, 'cache');
    mkdirSync(cache, { mode: 0o700 });
    for (let p = process.pid - 2; p <= process.pid + 2; p++) symlinkSync(c.path, join(cache, `.code@cli-run.cjs.${p}.tmp`));
    writeOwnFile(cache, 'code@cli-run.cjs', Buffer.alloc(1000, 1));
    c.check('cache temp name');
    assert.equal(existsSync(join(cache, 'code@cli-run.cjs')), false, 'nothing written: the temp name was taken');
    // a cache directory writable by others is not used at all
    const open = join(d, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    writeOwnFile(open, 'code@cli-run.cjs', Buffer.alloc(10, 1));
    assert.deepEqual(readdirSync(open), []);
    // nor one that is a link
    symlinkSync(cache, join(d, 'linked'));
    writeOwnFile(join(d, 'linked'), 'seccomp@1', Buffer.alloc(10, 1));
    assert.equal(existsSync(join(cache, 'seccomp@1')), false);
    // a good one: made 0700 when missing, the file 0600, read back
    writeOwnFile(join(d, 'new', 'tsrun'), 'seccomp@2', Buffer.from('abc'));
    assert.equal(statSync(join(d, 'new', 'tsrun')).mode & 0o777, 0o700);
    assert.equal(statSync(join(d, 'new', 'tsrun', 'seccomp@2')).mode & 0o777, 0o600);
    assert.equal(readOwnFile(join(d, 'new', 'tsrun', 'seccomp@2'))?.toString(), 'abc');
  }));

test('the cache directory: root\'s is /var/cache/tsrun, never --root; TSRUN_CACHE_DIR overrides, empty turns it off', () => {
  assert.equal(cacheDir({}, 0), '/var/cache/tsrun');
  assert.equal(cacheDir({ HOME: '/home/u' }, 1000), '/home/u/.cache/tsrun');
  assert.equal(cacheDir({ HOME: '/home/u', XDG_CACHE_HOME: '/x' }, 1000), '/x/tsrun');
  assert.equal(cacheDir({}, 1000), undefined);
  assert.equal(cacheDir({ TSRUN_CACHE_DIR: '/c' }, 0), '/c');
  assert.equal(cacheDir({ TSRUN_CACHE_DIR: '' }, 0), undefined);
  assert.equal(cacheDir({ TSRUN_CACHE_DIR: 'relative' }, 0), undefined);
});

test('removeContainerDir: <root>/<id> that is a link to a directory loses the link only', () =>
  withDir((d) => {
    const c = canary(d);
    const root = join(d, 'root');
    mkdirSync(root, { mode: 0o700 });
    symlinkSync(d, join(root, 'victim'));
    removeContainerDir(root, 'victim');
    c.check('delete through a link');
    assert.equal(existsSync(join(root, 'victim')), false, 'the link is gone');
    // inside a real state dir, a link to a directory is unlinked, not descended
    mkdirSync(join(root, 'x'));
    symlinkSync(d, join(root, 'x', 'sub'));
    writeFileSync(join(root, 'x', 'state.json'), '{}');
    mkdirSync(join(root, 'x', 'real'));
    writeFileSync(join(root, 'x', 'real', 'f'), '');
    removeContainerDir(root, 'x');
    c.check('delete of a dir holding a link');
    assert.deepEqual(readdirSync(root), []);
  }));

test('readRecord: a state dir that is a link is "does not exist", a foreign or oversized record an error', () =>
  withDir((d) => {
    const root = join(d, 'root');
    mkdirSync(root, { mode: 0o700 });
    const dir = createContainerDir(root, 'real');
    writeRecord(dir, { ociVersion: '1.3.0', id: 'real', pid: 1, pidStartTime: 0, bundle: '/b', rootfs: '/r', created: '', annotations: {}, owner: 0, config: {}, cgroupPaths: {} });
    assert.equal(readRecord(root, 'real').id, 'real');
    symlinkSync(dir, join(root, 'linked'));
    assert.throws(() => readRecord(root, 'linked'), /container does not exist/);
    chmodSync(join(dir, 'state.json'), 0o666);
    assert.throws(() => readRecord(root, 'real'), /cannot read container state .*writable by others/);
    chmodSync(join(dir, 'state.json'), 0o600);
    const fifoDir = createContainerDir(root, 'fifo');
    assert.equal(spawnSync('mkfifo', [join(fifoDir, 'state.json')]).status, 0);
    assert.throws(() => readRecord(root, 'fifo'), /not a regular file/);
  }));

test('createContainerDir: a --root others may write is refused, naming it', () =>
  withDir((d) => {
    const root = join(d, 'shared');
    mkdirSync(root);
    chmodSync(root, 0o777);
    assert.throws(() => createContainerDir(root, 'x'), (err: unknown) => err instanceof TsrunError && err.message.startsWith(`--root ${root}: not owned by uid`));
    assert.deepEqual(readdirSync(root), []);
  }));

test('readRegular: a FIFO, a device and a file over the cap are refused with the cap named', () =>
  withDir((d) => {
    assert.equal(spawnSync('mkfifo', [join(d, 'fifo')]).status, 0);
    assert.throws(() => readRegular(join(d, 'fifo'), 100, 'config.json'), /^TsrunError: config.json: not a regular file$|config.json: not a regular file/);
    symlinkSync('/dev/zero', join(d, 'zero'));
    assert.throws(() => readRegular(join(d, 'zero'), 100, 'config.json', { follow: true }), /config.json: not a regular file/);
    writeFileSync(join(d, 'big'), Buffer.alloc(101));
    assert.throws(() => readRegular(join(d, 'big'), 100, 'config.json'), /config.json: larger than the limit of 100 bytes/);
    writeFileSync(join(d, 'ok'), Buffer.alloc(100, 65));
    assert.equal(readRegular(join(d, 'ok'), 100).length, 100);
  }));
