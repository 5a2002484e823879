// bin/tsrun's fast path (native/fastpath.c) against Node (TSRUN_NO_FASTPATH=1):
// every hot command in every status, with damaged, foreign and stale records
// and each flag. For each call: stdout, stderr, exit code and the state dir
// afterwards are the same through both. Which path ran is proven by a third
// call with TSRUN_NODE=/nonexistent: the launcher alone either does the
// command (exit 0) or, wanting Node, exits 127 having changed nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, closeSync, existsSync, lstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeBundle, type Bundle } from '../../helpers/bundle.js';
import { requires } from '../../helpers/requires.js';
import { tempDir, tsrunBin, type RunResult } from '../../helpers/tsrun.js';
import { Container } from '../../../src/state/container.js';
import type { Spec } from '../../../src/spec/types.js';

type Path = 'auto' | 'node' | 'fast';

/** tsrun with stdio on files (a created init keeps them): auto (the launcher decides), node (forced), fast (no Node to go to). */
function call(path: Path, root: string, args: string[]): RunResult {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.TSRUN_NO_FASTPATH;
  if (path === 'node') env.TSRUN_NO_FASTPATH = '1';
  if (path === 'fast') env.TSRUN_NODE = '/nonexistent';
  const dir = mkdtempSync(join(tmpdir(), 'tsrun-fp-out-'));
  const out = openSync(join(dir, 'out'), 'w+');
  const err = openSync(join(dir, 'err'), 'w+');
  try {
    const r = spawnSync(tsrunBin, root ? ['--root', root, ...args] : args, { env, timeout: 60_000, stdio: ['ignore', out, err] });
    return { code: r.status, signal: r.signal, stdout: readFileSync(join(dir, 'out'), 'utf8'), stderr: readFileSync(join(dir, 'err'), 'utf8') };
  } finally {
    closeSync(out);
    closeSync(err);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The state dir, byte for byte: each name's type, mode, owner and (for files) content. */
function snapshot(dir: string): Record<string, string> | 'absent' {
  if (!existsSync(dir)) return 'absent';
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir).sort()) {
    const st = lstatSync(join(dir, name));
    out[name] = `${st.mode.toString(8)} ${st.uid}:${st.gid}` + (st.isFile() ? ` ${readFileSync(join(dir, name)).toString('base64')}` : '');
  }
  return out;
}

/** What a command changed in a state dir: names gone, names new, names whose bytes changed. */
function change(before: ReturnType<typeof snapshot>, after: ReturnType<typeof snapshot>): string {
  if (before === 'absent' || after === 'absent') return `${before === 'absent' ? 'absent' : 'present'} -> ${after === 'absent' ? 'absent' : 'present'}`;
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return names.map((n) => (!(n in after) ? `-${n}` : !(n in before) ? `+${n}` : before[n] !== after[n] ? `~${n}` : '')).filter(Boolean).join(' ');
}

/**
 * The one part masked: the error line's time="...". Two calls through Node
 * alone differ there too when a second turns between them.
 */
function bytes(r: RunResult): { code: number | null; stdout: string; stderr: string } {
  return { code: r.code, stdout: r.stdout, stderr: r.stderr.replace(/^time="[^"]*" /gm, 'time="T" ') };
}

const wantsNode = (r: RunResult) => r.code === 127 && r.stderr.includes('cannot exec node');

/**
 * A call with no side effect in this state (a query, or one that fails):
 * through the launcher alone it is taken (`fast`) or handed over untouched;
 * through auto and node, the same bytes out and the same state dir after.
 */
function same(root: string, id: string, args: string[], fast: boolean, what = args.join(' ')): RunResult {
  const dir = join(root, id);
  const before = snapshot(dir);
  const alone = call('fast', root, args);
  if (fast) assert.equal(alone.code, 0, `${what}: the launcher should do it itself: ${alone.stderr}`);
  else {
    assert.ok(wantsNode(alone), `${what}: the launcher should go to Node: ${alone.code} ${alone.stderr}`);
    assert.deepEqual(snapshot(dir), before, `${what}: nothing changed before handing over`);
  }
  const auto = call('auto', root, args);
  const afterAuto = snapshot(dir);
  const node = call('node', root, args);
  assert.deepEqual(bytes(auto), bytes(node), what);
  assert.deepEqual(afterAuto, before, `${what}: the state dir is untouched`);
  assert.deepEqual(snapshot(dir), before, `${what}: the state dir is untouched by Node either`);
  if (fast) assert.deepEqual(bytes(alone), bytes(node), what);
  return node;
}

interface Pair {
  roots: [string, string];
  id: string;
  bundle: Bundle;
  cleanup(): void;
}

/**
 * Two containers alike but for their cgroup: one id in two --roots, one
 * bundle directory (config.json's cgroupsPath changed between the creates),
 * so that what a command prints and changes can be compared between them.
 */
function pair(tag: string, patch?: (spec: Spec) => void, start = false): Pair {
  const bundle = makeBundle({ args: ['sleep', '3600'], patch });
  const roots: [string, string] = [tempDir('tsrun-fp-a-').path, tempDir('tsrun-fp-b-').path];
  const id = `fp-${tag}-${process.pid}`;
  const cfgPath = join(bundle.dir, 'config.json');
  roots.forEach((root, i) => {
    const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
    cfg.linux.cgroupsPath = `/${bundle.cgroupParent}/c${i}`;
    writeFileSync(cfgPath, JSON.stringify(cfg));
    const r = call('node', root, [start ? 'run' : 'create', ...(start ? ['--detach'] : []), '--bundle', bundle.dir, id]);
    assert.equal(r.code, 0, r.stderr);
  });
  return {
    roots, id, bundle,
    cleanup() {
      for (const root of roots) {
        call('node', root, ['delete', '--force', id]);
        rmSync(root, { recursive: true, force: true });
      }
      bundle.remove();
    },
  };
}

/** A command with side effects, through the launcher (root a: it must do it itself when `fast`) and through Node (root b). */
function both(p: Pair, args: string[], fast: boolean): void {
  const [a, b] = p.roots;
  const beforeA = snapshot(join(a, p.id));
  const beforeB = snapshot(join(b, p.id));
  const ra = call(fast ? 'fast' : 'auto', a, args);
  const rb = call('node', b, args);
  const what = args.join(' ');
  if (fast) assert.equal(ra.code, 0, `${what}: the launcher should do it itself: ${ra.stderr}`);
  assert.deepEqual(bytes(ra), bytes(rb), what);
  assert.equal(change(beforeA, snapshot(join(a, p.id))), change(beforeB, snapshot(join(b, p.id))), `${what}: the same change to the state dir`);
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function waitStopped(root: string, id: string): void {
  for (let i = 0; i < 250; i++) {
    const r = call('node', root, ['state', id]);
    if (r.code === 0 && JSON.parse(r.stdout).status === 'stopped') return;
    sleepMs(20);
  }
  assert.fail(`${id} did not stop`);
}

const root = requires('root');

test('created: state, kill 0 and each spelling of a signal by the launcher; start by the launcher as by Node; delete left to Node', { skip: root }, () => {
  const p = pair('created');
  try {
    const [a] = p.roots;
    const out = same(a, p.id, ['state', p.id], true);
    assert.equal(JSON.parse(out.stdout).status, 'created');
    same(a, p.id, [`--root=${a}`, 'state', p.id], true, 'state with --root=');
    const log = join(a, '..', `fp-log-${process.pid}.json`);
    same(a, p.id, ['--log', log, '--log-format', 'json', 'state', p.id], true, 'state with --log, --log-format json');
    assert.equal(existsSync(log), false, 'nothing to log: no log file made');
    same(a, p.id, ['--debug', 'state', p.id], false, 'state --debug (a flag the launcher leaves to Node)');
    same(a, p.id, ['--systemd-cgroup', 'state', p.id], true, 'state with --systemd-cgroup');
    same(a, p.id, ['state', '--bogus', p.id], false, 'an unknown flag');
    for (const sig of ['0', 'CONT', 'sigcont', 'SIGCONT', 'cOnT']) same(a, p.id, ['kill', p.id, sig], true, `kill ${sig}`);
    same(a, p.id, ['kill', p.id, 'NOSUCH'], false, 'kill with an unknown signal');
    same(a, p.id, ['kill', p.id, '99'], false, 'kill with a signal number the kernel refuses');
    same(a, p.id, ['kill', '--all', p.id, '0'], false, 'kill --all');
    // start: the init is released and the fifo goes, through either path
    both(p, ['start', p.id], true);
    const after = same(a, p.id, ['state', p.id], true);
    assert.equal(JSON.parse(after.stdout).status, 'running');
  } finally {
    p.cleanup();
  }
  const q = pair('created-delete');
  try {
    // a created container's delete kills its init: Node's
    both(q, ['delete', q.id], false);
    assert.ok(wantsNode(call('fast', q.roots[0], ['delete', q.id])) || !existsSync(join(q.roots[0], q.id)));
  } finally {
    q.cleanup();
  }
});

test('running: state and kill by the launcher; start and delete refused, by Node, with its words', { skip: root }, () => {
  const p = pair('running', undefined, true);
  try {
    const [a] = p.roots;
    assert.equal(JSON.parse(same(a, p.id, ['state', p.id], true).stdout).status, 'running');
    same(a, p.id, ['kill', p.id, '0'], true);
    const start = same(a, p.id, ['start', p.id], false);
    assert.match(start.stderr, /already running/);
    const del = same(a, p.id, ['delete', p.id], false);
    assert.match(del.stderr, /not stopped/);
    // SIGKILL through each path, then both are stopped
    both(p, ['kill', p.id, 'KILL'], true);
    for (const r of p.roots) waitStopped(r, p.id);
  } finally {
    p.cleanup();
  }
});

test('stopped: state (pid 0) by the launcher, kill and start refused by Node, delete (and -f, --force, after the id) by the launcher', { skip: root }, () => {
  for (const flags of [[], ['-f'], ['--force'], ['after']]) {
    const p = pair(`stopped${flags[0] ?? ''}`, undefined, true);
    try {
      const [a] = p.roots;
      for (const r of p.roots) {
        assert.equal(call('node', r, ['kill', p.id, 'KILL']).code, 0);
        waitStopped(r, p.id);
      }
      const st = JSON.parse(same(a, p.id, ['state', p.id], true).stdout);
      assert.deepEqual([st.status, st.pid], ['stopped', 0]);
      assert.match(same(a, p.id, ['kill', p.id], false).stderr, /container not running/);
      // --all with nothing left in the cgroup: nothing to signal (the shim's call after an init's exit)
      for (const args of [['--all', p.id, '9'], ['-a', p.id, 'KILL'], ['--all', p.id]]) same(a, p.id, ['kill', ...args], true, `kill ${args.join(' ')} of a stopped container`);
      same(a, p.id, ['kill', '--all', p.id, 'NOSUCH'], false, 'kill --all with an unknown signal');
      same(a, p.id, ['kill', p.id, '--all', '9'], false, 'kill ID --all 9 (container "9" to runc)');
      assert.match(same(a, p.id, ['start', p.id], false).stderr, /stopped/);
      both(p, flags[0] === 'after' ? ['delete', p.id, '--force'] : ['delete', ...flags, p.id], true);
      for (const r of p.roots) assert.equal(existsSync(join(r, p.id)), false);
      assert.equal(existsSync(`/sys/fs/cgroup/unified/${p.bundle.cgroupParent}/c0`) || existsSync(`/sys/fs/cgroup/${p.bundle.cgroupParent}/c0`), false, 'its cgroup is gone');
    } finally {
      p.cleanup();
    }
  }
});

test('paused: state, start and delete by Node; kill (the init only) by the launcher, as Node does it', { skip: requires('root', 'freezer') }, () => {
  const p = pair('paused', undefined, true);
  try {
    const [a] = p.roots;
    assert.equal(call('node', a, ['pause', p.id]).code, 0);
    assert.equal(JSON.parse(same(a, p.id, ['state', p.id], false).stdout).status, 'paused');
    same(a, p.id, ['kill', p.id, '0'], true);
    same(a, p.id, ['start', p.id], false);
    same(a, p.id, ['delete', p.id], false);
  } finally {
    call('node', p.roots[0], ['resume', p.id]);
    p.cleanup();
  }
});

test('creating, a missing id, an invalid id: Node, with its words (but delete --force of a missing id)', { skip: root }, () => {
  const r = tempDir('tsrun-fp-c-');
  try {
    // creating: the state dir is claimed, no record yet
    mkdirSync(join(r.path, 'making'), { mode: 0o711 });
    for (const cmd of [['state'], ['kill'], ['start'], ['delete']]) {
      same(r.path, 'making', [...cmd, 'making'], false, `${cmd[0]} of a container being created`);
      same(r.path, 'gone', [...cmd, 'gone'], false, `${cmd[0]} of a missing id`);
      same(r.path, 'x', [...cmd, '../x'], false, `${cmd[0]} of an invalid id`);
    }
    // delete --force of a missing id succeeds with nothing to do (the shim's last call): the launcher's
    for (const args of [['delete', '--force', 'gone'], ['delete', '-f', 'gone'], ['delete', 'gone', '--force'], ['--systemd-cgroup', 'delete', '--force', 'gone']]) {
      same(r.path, 'gone', args, true, `${args.join(' ')} of a missing id`);
    }
    same(join(r.path, 'no-root'), 'gone', ['delete', '--force', 'gone'], false, 'delete --force under a missing --root');
    same(r.path, 'x', ['delete', '--force', '../x'], false, 'delete --force of an invalid id');
  } finally {
    r.remove();
  }
});

test('a damaged, foreign or stale record or fast form: Node, which says what it says without one', { skip: root }, () => {
  type Damage = [string, (dir: string) => void];
  const damages: Damage[] = [
    ['corrupt record', (d) => writeFileSync(join(d, 'state.json'), '{"id": garbage')],
    ['truncated record', (d) => truncateSync(join(d, 'state.json'), 100)],
    ['record of another user', (d) => chownSync(join(d, 'state.json'), 65534, 65534)],
    ['group-writable record', (d) => chmodSync(join(d, 'state.json'), 0o620)],
    ['record rewritten by another hand (the same record, other bytes)', (d) => writeFileSync(join(d, 'state.json'), JSON.stringify(JSON.parse(readFileSync(join(d, 'state.json'), 'utf8')), null, 1))],
    ['corrupt fast form', (d) => {
      const b = readFileSync(join(d, 'fast.bin'));
      b[b.length - 10] ^= 0x20;
      writeFileSync(join(d, 'fast.bin'), b);
    }],
    ['truncated fast form', (d) => truncateSync(join(d, 'fast.bin'), 40)],
    ['fast form of another user', (d) => chownSync(join(d, 'fast.bin'), 65534, 65534)],
    ['fast form that is a link', (d) => {
      rmSync(join(d, 'fast.bin'));
      spawnSync('ln', ['-s', '/etc/passwd', join(d, 'fast.bin')]);
    }],
    ['no fast form', (d) => rmSync(join(d, 'fast.bin'))],
  ];
  const p = pair('damaged', undefined, true);
  try {
    const [a] = p.roots;
    const dir = join(a, p.id);
    const keep = { state: readFileSync(join(dir, 'state.json')) };
    for (const [what, damage] of damages) {
      damage(dir);
      for (const args of [['state', p.id], ['kill', p.id, '0'], ['start', p.id], ['delete', p.id]]) same(a, p.id, args, false, `${args[0]} with a ${what}`);
      // back to the record create wrote, through its one writer
      rmSync(join(dir, 'fast.bin'), { force: true });
      rmSync(join(dir, 'state.json'), { force: true });
      writeFileSync(join(dir, 'state.json'), keep.state, { mode: 0o600 });
      Container.load(a, p.id).save();
      same(a, p.id, ['state', p.id], true, `state after the ${what} was repaired`);
    }
  } finally {
    p.cleanup();
  }
});

test('a pid reused by another process: stopped, through both paths; delete leaves that process alone', { skip: root }, async () => {
  const p = pair('reused', undefined, true);
  const other = spawn('sleep', ['100'], { stdio: 'ignore' });
  try {
    for (const r of p.roots) {
      assert.equal(call('node', r, ['kill', p.id, 'KILL']).code, 0);
      waitStopped(r, p.id);
      // the record now names a live process of someone else, with the start time of the init it had
      const c = Container.load(r, p.id);
      c.record.pid = other.pid!;
      c.save();
    }
    const [a] = p.roots;
    const st = JSON.parse(same(a, p.id, ['state', p.id], true).stdout);
    assert.deepEqual([st.status, st.pid], ['stopped', 0]);
    assert.match(same(a, p.id, ['kill', p.id, 'KILL'], false).stderr, /container not running/);
    both(p, ['delete', p.id], true);
    assert.equal(other.exitCode, null);
    assert.ok(existsSync(`/proc/${other.pid}`), 'the other process lives');
  } finally {
    other.kill('SIGKILL');
    p.cleanup();
  }
});

test('hooks need Node: poststart sends start there, poststop sends delete there', { skip: root }, () => {
  const hooks = { poststart: [{ path: '/bin/true' }], poststop: [{ path: '/bin/true' }] };
  const p = pair('hooks', (s) => {
    s.hooks = hooks;
  });
  try {
    const [a] = p.roots;
    assert.ok(wantsNode(call('fast', a, ['start', p.id])));
    both(p, ['start', p.id], false);
    for (const r of p.roots) {
      assert.equal(call('node', r, ['kill', p.id, 'KILL']).code, 0);
      waitStopped(r, p.id);
    }
    same(a, p.id, ['state', p.id], true);
    assert.ok(wantsNode(call('fast', a, ['delete', p.id])));
    both(p, ['delete', p.id], false);
  } finally {
    p.cleanup();
  }
});

test('list: the table and -q by the launcher, across created, running and stopped; json, a paused or damaged one, and no --root by Node', { skip: root }, () => {
  const p = pair('list', undefined, true);
  const extra = `${p.id}-created`;
  try {
    const [a] = p.roots;
    same(a, '.', ['list'], true, 'list of an empty --root');
    const cfgPath = join(p.bundle.dir, 'config.json');
    const cfg = JSON.parse(readFileSync(cfgPath, 'utf8'));
    cfg.linux.cgroupsPath = `/${p.bundle.cgroupParent}/extra`;
    writeFileSync(cfgPath, JSON.stringify(cfg));
    assert.equal(call('node', a, ['create', '--bundle', p.bundle.dir, extra]).code, 0);
    for (const args of [['list'], ['list', '-q'], ['list', '--quiet'], ['list', '--format', 'table'], ['list', '--format=table'], ['list', '-f', 'table']]) same(a, p.id, args, true);
    same(a, p.id, ['list', '--format', 'json'], false);
    assert.equal(call('node', a, ['kill', p.id, 'KILL']).code, 0);
    waitStopped(a, p.id);
    assert.match(same(a, p.id, ['list'], true).stdout, /stopped/);
    same(a, p.id, ['list'], true);
    chmodSync(join(a, extra, 'state.json'), 0o660);
    same(a, p.id, ['list'], false, 'list with a group-writable record');
    chmodSync(join(a, extra, 'state.json'), 0o600);
    Container.load(a, extra).save();
    same(a, p.id, ['list'], true, 'list once repaired');
    same(join(a, 'missing'), p.id, ['list'], false, 'list of a missing --root');
  } finally {
    call('node', p.roots[0], ['delete', '--force', extra]);
    p.cleanup();
  }
});

test('list with a paused container: Node', { skip: requires('root', 'freezer') }, () => {
  const p = pair('list-paused', undefined, true);
  try {
    const [a] = p.roots;
    assert.equal(call('node', a, ['pause', p.id]).code, 0);
    assert.match(same(a, p.id, ['list'], false).stdout, /paused/);
  } finally {
    call('node', p.roots[0], ['resume', p.id]);
    p.cleanup();
  }
});
