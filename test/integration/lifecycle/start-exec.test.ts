// `start` and the payload's execve, as runc: start returns, and poststart
// hooks run, only once the payload runs. A startContainer hook (run by the
// init after the fifo released it, before the execve) that sleeps makes the
// wait visible. (Returning early without poststart hooks was tried and bought
// nothing measurable: bench/TRIED.md row 11.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle } from '../../helpers/bundle.js';
import { rootSkip } from '../../helpers/tsrun.js';
import { makeRoot } from './helpers.js';

/** Before its execve the init runs our memfd copy of tsrun-exec. */
const exeOf = (pid: number): string => readlinkSync(`/proc/${pid}/exe`);
const HOOK_SLEEP_S = 0.5;

function bundleWithHooks(poststart: boolean, seen: string) {
  const b = makeBundle({ args: ['sleep', '1000'] });
  const config = JSON.parse(readFileSync(join(b.dir, 'config.json'), 'utf8'));
  config.hooks = { startContainer: [{ path: '/bin/sleep', args: ['sleep', String(HOOK_SLEEP_S)] }] };
  if (poststart) {
    // A host hook: the state arrives on stdin; it records what the init runs at that moment.
    const script = `let s='';process.stdin.on('data',d=>s+=d).on('end',()=>{const fs=require('fs');fs.writeFileSync(${JSON.stringify(seen)},fs.readlinkSync('/proc/'+JSON.parse(s).pid+'/exe'))})`;
    config.hooks.poststart = [{ path: process.execPath, args: ['node', '-e', script] }];
  }
  writeFileSync(join(b.dir, 'config.json'), JSON.stringify(config));
  return b;
}

/** create, then start: start returns only once the payload runs, after the startContainer hook's sleep. The init's pid. */
function createAndStart(r: ReturnType<typeof makeRoot>, b: { dir: string }, id: string): number {
  assert.equal(r.ts(['create', '--bundle', b.dir, id]).code, 0);
  const pid = r.state(id)!.pid;
  assert.match(exeOf(pid), /memfd:/, 'before start the init is still tsrun-exec');
  const t0 = Date.now();
  const res = r.ts(['start', id]);
  assert.equal(res.code, 0, res.stderr);
  assert.doesNotMatch(exeOf(pid), /memfd:/, 'the payload runs when start returns');
  assert.ok(Date.now() - t0 >= HOOK_SLEEP_S * 1000, 'start waited out the startContainer hook');
  return pid;
}

test('start with a poststart hook returns, and runs the hook, only after the payload\'s execve', { skip: rootSkip }, () => {
  const r = makeRoot();
  const seen = join(r.path, 'seen');
  const b = bundleWithHooks(true, seen);
  try {
    const pid = createAndStart(r, b, 'p');
    const exe = readFileSync(seen, 'utf8');
    assert.doesNotMatch(exe, /memfd:/, `the poststart hook saw ${exe}`);
    assert.equal(exe, exeOf(pid));
  } finally {
    r.cleanup('p');
    b.remove();
  }
});

test('start without poststart hooks also returns only after the execve; running, the fifo gone', { skip: rootSkip }, () => {
  const r = makeRoot();
  const b = bundleWithHooks(false, '');
  try {
    createAndStart(r, b, 'n');
    assert.equal(existsSync(join(r.path, 'n', 'exec.fifo')), false);
    assert.equal(r.state('n')!.status, 'running');
    const again = r.ts(['start', 'n']);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /cannot start an already running container/);
  } finally {
    r.cleanup('n');
    b.remove();
  }
});
