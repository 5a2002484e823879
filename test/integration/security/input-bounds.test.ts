// Input read without a bound, tried as an attacker would: config.json that
// is a link to /dev/zero or a FIFO, nested thousands deep, numbers past
// uint64 or past a double, a NUL byte in an argument, megabytes of
// annotations. Each is refused at once with the field or the limit named,
// exit 1, nothing left under --root; or, for a valid config, carried.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { makeBundle } from '../../helpers/bundle.js';
import { rootSkip, tempDir, tsrun } from '../../helpers/tsrun.js';

/** create with `config.json` replaced by `plant` (its text, or a function that puts something at its path); the result and what --root holds after. */
function createWith(plant: string | ((path: string) => void), id = 'bounds') {
  const b = makeBundle({ args: ['true'] });
  const root = tempDir('tsrun-bounds-root-');
  const cfg = join(b.dir, 'config.json');
  try {
    if (typeof plant === 'string') writeFileSync(cfg, plant);
    else {
      unlinkSync(cfg);
      plant(cfg);
    }
    const t0 = Date.now();
    const res = tsrun(['--root', root.path, 'create', '--bundle', b.dir, id], { timeout: 30_000 });
    const ms = Date.now() - t0;
    const left = existsSync(root.path) ? readdirSync(root.path) : [];
    if (left.length) tsrun(['--root', root.path, 'delete', '--force', id]);
    return { res, ms, left };
  } finally {
    root.remove();
    b.remove();
  }
}

function refused(r: ReturnType<typeof createWith>, expect: RegExp) {
  assert.equal(r.res.signal, null, `finished by itself (${r.ms} ms)`);
  assert.equal(r.res.code, 1, r.res.stderr);
  assert.match(r.res.stderr, expect);
  assert.deepEqual(r.left, [], 'nothing left under --root');
}

/** The bundle's own config, edited as text (for values JSON.stringify cannot write). */
function configText(edit: (text: string) => string): string {
  const b = makeBundle({ args: ['true'] });
  try {
    return edit(readFileSync(join(b.dir, 'config.json'), 'utf8'));
  } finally {
    b.remove();
  }
}

test('config.json linked to /dev/zero is refused at once (not read until memory runs out)', { skip: rootSkip }, () => {
  const r = createWith((p) => symlinkSync('/dev/zero', p));
  refused(r, /config\.json: not a regular file/);
  assert.ok(r.ms < 10_000, `${r.ms} ms`);
});

test('config.json that is a FIFO is refused at once (not waited on forever)', { skip: rootSkip }, () => {
  const r = createWith((p) => assert.equal(spawnSync('mkfifo', [p]).status, 0));
  refused(r, /config\.json: not a regular file/);
});

test('config.json over the size cap: the cap is named', { skip: rootSkip }, () => {
  const r = createWith((p) => writeFileSync(p, Buffer.alloc((16 << 20) + 1, 32)));
  refused(r, /config\.json: larger than the limit of 16777216 bytes/);
});

test('config.json nested 5000 deep: refused before validation, the depth named', { skip: rootSkip }, () => {
  const deep = `${'{"a":'.repeat(5000)}{}${'}'.repeat(5000)}`;
  const r = createWith(configText((t) => t.replace(/}\s*$/, `, "x-deep": ${deep}}`)));
  refused(r, /config\.json: nested deeper than 256/);
  assert.doesNotMatch(r.res.stderr, /call stack/);
});

test('process.rlimits hard or soft of 2^64 or more: refused naming the field (not "prlimit: operation not permitted")', { skip: rootSkip }, () => {
  const r = createWith(configText((t) => t.replace(/"rlimits"\s*:\s*\[[^\]]*\]/, '"rlimits":[{"type":"RLIMIT_NOFILE","hard":18446744073709551616,"soft":1024}]')));
  refused(r, /config\.json: \/process\/rlimits\/0\/hard: must be at most 18446744073709551615 \(uint64\), got 18446744073709551616/);
});

test('a number past a double (1e400): the field and the number, not "got number null"', { skip: rootSkip }, () => {
  const r = createWith(configText((t) => t.replace(/"rlimits"\s*:\s*\[[^\]]*\]/, '"rlimits":[{"type":"RLIMIT_NOFILE","hard":1e400,"soft":1024}]')));
  refused(r, /\/process\/rlimits\/0\/hard: must be at most 18446744073709551615 \(uint64\), got 1e400/);
  assert.doesNotMatch(r.res.stderr, /null/);
});

test('a NUL byte in process.args: refused naming /process/args/N, not a plan op', { skip: rootSkip }, () => {
  const r = createWith(configText((t) => t.replace(/"args"\s*:\s*\[\s*"true"\s*\]/, '"args":["true","a\\u0000b"]')));
  refused(r, /config\.json: \/process\/args\/1: contains a NUL byte/);
  assert.doesNotMatch(r.res.stderr, /plan op/);
});

test('annotations of 2 MiB (over the executor\'s old 1 MiB frame): the container is created and its state carries them', { skip: rootSkip }, () => {
  const b = makeBundle({ args: ['true'], patch: (s) => void (s.annotations = { big: 'x'.repeat(2 << 20) }) });
  const root = tempDir('tsrun-bounds-root-');
  try {
    // (no pipes: the created init holds its stdio until it runs)
    const res = tsrun(['--root', root.path, 'create', '--bundle', b.dir, 'annot'], { stdio: 'ignore' });
    assert.equal(res.code, 0);
    const st = tsrun(['--root', root.path, 'state', 'annot'], { maxBuffer: 8 << 20 });
    assert.equal(st.code, 0, st.stderr);
    assert.equal((JSON.parse(st.stdout) as { annotations: Record<string, string> }).annotations.big?.length, 2 << 20);
  } finally {
    tsrun(['--root', root.path, 'delete', '--force', 'annot']);
    rmSync(root.path, { recursive: true, force: true });
    b.remove();
  }
});
