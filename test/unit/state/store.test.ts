import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { RuncText, TsrunError } from '../../../src/errors.js';
import { createContainerDir, listIds, readRecord, removeContainerDir, writeRecord } from '../../../src/state/store.js';
import type { ContainerRecord } from '../../../src/state/types.js';
import { tempDir } from '../../helpers/tsrun.js';

// Child mode: one racer of the concurrent-create test.
const child = process.env.TSRUN_STORE_CHILD;
if (child) {
  const { root, id, startAt } = JSON.parse(child) as { root: string; id: string; startAt: number };
  while (Date.now() < startAt) {
    /* line up with the other racers */
  }
  try {
    createContainerDir(root, id);
    process.stdout.write('won');
  } catch (err) {
    process.stdout.write(err instanceof TsrunError ? `lost:${err.message}` : `error:${String(err)}`);
  }
} else {
  suite();
}

function record(id: string, extra: Partial<ContainerRecord> = {}): ContainerRecord {
  return {
    ociVersion: '1.3.0',
    id,
    pid: 1234,
    pidStartTime: 5678,
    bundle: '/bundles/x',
    rootfs: '/bundles/x/rootfs',
    created: '2026-11-29T05:22:34.123456789Z',
    annotations: { 'org.example': 'v' },
    owner: 0,
    config: { hooks: { poststop: [{ path: '/bin/true' }] }, linux: { cgroupsPath: '/a/b', namespaces: [{ type: 'pid' }] } },
    cgroupPaths: { freezer: '/sys/fs/cgroup/freezer/a/b' },
    ...extra,
  };
}

function isTsrunError(text: string) {
  return (err: unknown) => err instanceof TsrunError && err.message === text;
}

function race(root: string, id: string, n: number): Promise<string[]> {
  const startAt = Date.now() + 400;
  const file = fileURLToPath(import.meta.url);
  return Promise.all(
    Array.from({ length: n }, () => new Promise<string>((resolve, reject) => {
      const p = spawn(process.execPath, [file], {
        env: { ...process.env, TSRUN_STORE_CHILD: JSON.stringify({ root, id, startAt }) },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let out = '';
      p.stdout.on('data', (d) => (out += d));
      p.on('error', reject);
      p.on('close', () => resolve(out));
    })),
  );
}

function suite(): void {
  test('createContainerDir makes a missing root 0700 and the container dir 0711', () => {
    const t = tempDir();
    try {
      const root = join(t.path, 'a', 'root');
      const dir = createContainerDir(root, 'c1');
      assert.equal(dir, join(root, 'c1'));
      assert.equal(statSync(root).mode & 0o777, 0o700);
      assert.equal(statSync(dir).mode & 0o777, 0o711);
    } finally {
      t.remove();
    }
  });

  test('a second create of the same id fails with runc\'s text', () => {
    const t = tempDir();
    try {
      createContainerDir(t.path, 'same');
      assert.throws(() => createContainerDir(t.path, 'same'), isTsrunError(RuncText.exists));
    } finally {
      t.remove();
    }
  });

  test('createContainerDir refuses bad ids before touching the disk', () => {
    const t = tempDir();
    try {
      assert.throws(() => createContainerDir(t.path, '../escape'), isTsrunError(RuncText.invalidId));
      assert.deepEqual(readdirSync(t.path), []);
    } finally {
      t.remove();
    }
  });

  test('8 processes creating one id at once: exactly one wins, the rest get "already exists"', async () => {
    const t = tempDir();
    try {
      const results = await race(join(t.path, 'root'), 'contended', 8);
      assert.equal(results.filter((r) => r === 'won').length, 1, results.join(' '));
      assert.equal(results.filter((r) => r === `lost:${RuncText.exists}`).length, 7, results.join(' '));
    } finally {
      t.remove();
    }
  });

  test('a record survives a write/read round trip, and no temp file is left', () => {
    const t = tempDir();
    try {
      const dir = createContainerDir(t.path, 'rt');
      const rec = record('rt');
      writeRecord(dir, rec);
      assert.deepEqual(readRecord(t.path, 'rt'), rec);
      writeRecord(dir, { ...rec, pid: 99 });
      assert.equal(readRecord(t.path, 'rt').pid, 99);
      assert.deepEqual(readdirSync(dir), ['state.json']);
      assert.equal(statSync(join(dir, 'state.json')).mode & 0o777, 0o600);
    } finally {
      t.remove();
    }
  });

  test('readRecord: missing container, missing root, dir without record -> "container does not exist"', () => {
    const t = tempDir();
    try {
      assert.throws(() => readRecord(t.path, 'nope'), isTsrunError(RuncText.notExist));
      assert.throws(() => readRecord(join(t.path, 'no-root'), 'nope'), isTsrunError(RuncText.notExist));
      createContainerDir(t.path, 'empty');
      assert.throws(() => readRecord(t.path, 'empty'), isTsrunError(RuncText.notExist));
      assert.throws(() => readRecord(t.path, 'x'.repeat(300)), isTsrunError(RuncText.notExist));
      assert.throws(() => readRecord(t.path, 'a/b'), isTsrunError(RuncText.invalidId));
    } finally {
      t.remove();
    }
  });

  test('a corrupt record is an error, not "does not exist"', () => {
    const t = tempDir();
    try {
      const dir = createContainerDir(t.path, 'bad');
      writeFileSync(join(dir, 'state.json'), '{"id": 3');
      assert.throws(() => readRecord(t.path, 'bad'), (err: unknown) => err instanceof TsrunError && /corrupt/.test(err.message));
    } finally {
      t.remove();
    }
  });

  test('removeContainerDir removes everything and is idempotent', () => {
    const t = tempDir();
    try {
      const dir = createContainerDir(t.path, 'gone');
      writeRecord(dir, record('gone'));
      writeFileSync(join(dir, 'exec.fifo'), '');
      removeContainerDir(t.path, 'gone');
      assert.equal(existsSync(dir), false);
      removeContainerDir(t.path, 'gone');
      assert.throws(() => removeContainerDir(t.path, '..'), isTsrunError(RuncText.invalidId));
    } finally {
      t.remove();
    }
  });

  test('removeContainerDir: a real fifo, a leftover temp file and an unexpected subdirectory all go', () => {
    const t = tempDir();
    try {
      const dir = createContainerDir(t.path, 'odd');
      writeRecord(dir, record('odd'));
      assert.equal(spawnSync('mkfifo', [join(dir, 'exec.fifo')]).status, 0);
      writeFileSync(join(dir, '.state.json.1.tmp'), '{');
      mkdirSync(join(dir, 'sub', 'deeper'), { recursive: true });
      writeFileSync(join(dir, 'sub', 'deeper', 'f'), 'x');
      removeContainerDir(t.path, 'odd');
      assert.equal(existsSync(dir), false);
      assert.deepEqual(readdirSync(t.path), []);
    } finally {
      t.remove();
    }
  });

  test('listIds: sorted directories with valid ids; files and strays skipped; missing root is empty', () => {
    const t = tempDir();
    try {
      assert.deepEqual(listIds(join(t.path, 'missing')), []);
      for (const id of ['b', 'a', 'c.1']) createContainerDir(t.path, id);
      writeFileSync(join(t.path, 'a-file'), '');
      mkdirSync(join(t.path, 'bad:name'));
      assert.deepEqual(listIds(t.path), ['a', 'b', 'c.1']);
    } finally {
      t.remove();
    }
  });
}
