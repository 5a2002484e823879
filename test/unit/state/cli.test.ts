// `tsrun state` and `tsrun list` against a --root of hand-made records.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { processStartTime } from '../../../src/state/proc.js';
import type { ContainerRecord } from '../../../src/state/types.js';
import { repoRoot, tempDir, tsrun } from '../../helpers/tsrun.js';

function put(root: string, rec: Partial<ContainerRecord> & { id: string }, fifo = false): void {
  const dir = join(root, rec.id);
  mkdirSync(dir, { recursive: true });
  const full: ContainerRecord = {
    ociVersion: '1.3.0', pid: 0, pidStartTime: 0, bundle: `/bundles/${rec.id}`, rootfs: `/bundles/${rec.id}/rootfs`,
    created: '2026-11-29T05:22:34.060646339Z', annotations: {}, owner: 0, config: {}, cgroupPaths: {}, ...rec,
  };
  writeFileSync(join(dir, 'state.json'), JSON.stringify(full));
  if (fifo) writeFileSync(join(dir, 'exec.fifo'), '');
}

test('state prints runc\'s object: 2-space JSON, no trailing newline, pid 0 when stopped, Go escapes', () => {
  const t = tempDir();
  try {
    put(t.path, { id: 'dead', pid: 2 ** 22 + 1, pidStartTime: 1, bundle: '/b&<x>', annotations: { z: '1', a: '2' } });
    const r = tsrun(['--root', t.path, 'state', 'dead']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.equal(
      r.stdout,
      '{\n  "ociVersion": "1.3.0",\n  "id": "dead",\n  "pid": 0,\n  "status": "stopped",\n' +
        '  "bundle": "/b\\u0026\\u003cx\\u003e",\n  "rootfs": "/bundles/dead/rootfs",\n' +
        '  "created": "2026-11-29T05:22:34.060646339Z",\n  "annotations": {\n    "a": "2",\n    "z": "1"\n  },\n' +
        '  "owner": ""\n}',
    );
  } finally {
    t.remove();
  }
});

test('state of a live init: created while exec.fifo exists, running once it is gone', async () => {
  const t = tempDir();
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  try {
    const pid = child.pid!;
    put(t.path, { id: 'live', pid, pidStartTime: processStartTime(pid)! }, true);
    let s = JSON.parse(tsrun(['--root', t.path, 'state', 'live']).stdout);
    assert.equal(s.status, 'created');
    assert.equal(s.pid, pid);
    put(t.path, { id: 'live', pid, pidStartTime: processStartTime(pid)! }, false);
    const { unlinkSync } = await import('node:fs');
    unlinkSync(join(t.path, 'live', 'exec.fifo'));
    s = JSON.parse(tsrun(['--root', t.path, 'state', 'live']).stdout);
    assert.equal(s.status, 'running');
    assert.equal('annotations' in s, false, 'empty annotations are omitted');
  } finally {
    child.kill('SIGKILL');
    t.remove();
  }
});

test('state of a missing container or a bad id: runc\'s text on stderr, exit 1, nothing on stdout', () => {
  const t = tempDir();
  try {
    for (const [id, text] of [['nope', 'container does not exist'], ['a:b', 'invalid container ID format']] as const) {
      const r = tsrun(['--root', t.path, 'state', id]);
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, new RegExp(text));
    }
    const r = tsrun(['--root', join(t.path, 'missing'), 'state', 'x']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /container does not exist/);
  } finally {
    t.remove();
  }
});

test('list: runc\'s table, json and quiet forms', () => {
  const t = tempDir();
  try {
    put(t.path, { id: 'b-second', pid: 2 ** 22 + 1, pidStartTime: 1, bundle: '/a/longer/bundle/path' });
    put(t.path, { id: 'a', pid: process.pid, pidStartTime: processStartTime(process.pid)!, annotations: { k: 'v' } });
    mkdirSync(join(t.path, 'no-record-yet'));
    const table = tsrun(['--root', t.path, 'list']);
    assert.equal(table.code, 0, table.stderr);
    const created = '2026-11-29T05:22:34.060646339Z';
    const w = (s: string, n: number) => s.padEnd(n);
    assert.equal(
      table.stdout,
      `${w('ID', 12)}${w('PID', 12)}${w('STATUS', 12)}${w('BUNDLE', 24)}${w('CREATED', 33)}OWNER\n` +
        `${w('a', 12)}${w(String(process.pid), 12)}${w('running', 12)}${w('/bundles/a', 24)}${created}   root\n` +
        `${w('b-second', 12)}${w('0', 12)}${w('stopped', 12)}${w('/a/longer/bundle/path', 24)}${created}   root\n`,
    );
    const json = tsrun(['--root', t.path, 'list', '--format', 'json']);
    assert.equal(json.code, 0, json.stderr);
    assert.ok(json.stdout.endsWith(']\n') && !json.stdout.includes('\n  '), 'one compact line, newline-terminated');
    const arr = JSON.parse(json.stdout);
    assert.deepEqual(arr.map((s: { id: string }) => s.id), ['a', 'b-second']);
    assert.deepEqual(Object.keys(arr[0]), ['ociVersion', 'id', 'pid', 'status', 'bundle', 'rootfs', 'created', 'annotations', 'owner']);
    assert.equal(arr[0].owner, 'root');
    assert.equal(arr[1].pid, 0);
    const quiet = tsrun(['--root', t.path, 'list', '-q']);
    assert.equal(quiet.stdout, 'a\nb-second\n');
    const short = tsrun(['--root', t.path, 'list', '-f', 'json']);
    assert.equal(short.stdout, json.stdout);
  } finally {
    t.remove();
  }
});

test('list of an empty or missing root: the header alone, or null', () => {
  const t = tempDir();
  try {
    for (const root of [t.path, join(t.path, 'missing')]) {
      const table = tsrun(['--root', root, 'list']);
      assert.equal(table.code, 0, table.stderr);
      assert.equal(table.stdout, 'ID          PID         STATUS      BUNDLE      CREATED     OWNER\n');
      const json = tsrun(['--root', root, 'list', '--format', 'json']);
      assert.equal(json.code, 0, json.stderr);
      assert.equal(json.stdout, 'null\n');
      assert.equal(tsrun(['--root', root, 'list', '-q']).stdout, '');
    }
  } finally {
    t.remove();
  }
});

test('list --format with an unknown value fails', () => {
  const r = tsrun(['--root', '/nonexistent-tsrun-root', 'list', '--format', 'yaml']);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /invalid format option/);
});

test('the state command stays on the fast path: its bundle loads no koffi, ajv, commander, crypto or child_process', () => {
  const file = join(repoRoot, 'dist', 'cli-state.cjs');
  const code = readFileSync(file, 'utf8');
  const required = [...code.matchAll(/require\("([^"]+)"\)/g)].map((m) => m[1]);
  for (const heavy of ['koffi', 'ajv', 'commander', 'node:crypto', 'crypto', 'node:child_process', 'child_process', 'node:net', 'net']) {
    assert.equal(required.includes(heavy), false, `dist/cli-state.cjs requires ${heavy}`);
  }
  assert.ok(code.length < 40_000, `dist/cli-state.cjs is ${code.length} bytes`);
});
