// checkpoint and restore through criu, checked from the container's own
// output: a counting shell goes on from the number it had reached (no
// restart at 0, no gap), with --leave-running, under a new id, after a
// pre-dump, with a terminal (--shell-job), with a tmpfs whose content
// survives; prestart/createRuntime hooks run at restore with the restored
// pid. Runs where criu works (the VM's 6.1 kernel); elsewhere the failure
// must name `criu check` and leave the container as it was.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { makeBundle, type Bundle } from '../../helpers/bundle.js';
import { rootSkip, tempDir } from '../../helpers/tsrun.js';
import { requires } from '../../helpers/requires.js';
import { makeRoot, stateEntries } from '../lifecycle/helpers.js';
import { consecutive, consoleReceiver, counting, criuSkip, piped, until, type Piped } from './helpers.js';

const skip = criuSkip();
const TMPFS = { destination: '/data', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'size=1m'] };

describe('checkpoint and restore (criu)', { skip, timeout: 600_000 }, () => {
  const r = makeRoot();
  const tmp = tempDir('tsrun-cr-');
  const bundles: Bundle[] = [];
  const procs: Piped[] = [];
  const ids = new Set<string>();
  after(() => {
    r.cleanup(...ids);
    for (const p of procs) p.stop();
    for (const b of bundles) b.remove();
    tmp.remove();
  });
  const start = (args: string[]) => {
    const p = piped(tmp.path, ['--root', r.path, ...args]);
    procs.push(p);
    return p;
  };

  test('checkpoint, then restore under a new id: it counts on from where it was; the tmpfs (mounts[]) keeps its file; prestart and createRuntime hooks get the restored pid; delete cleans up', async () => {
    const hookOut = join(tmp.path, 'hooks');
    const b = makeBundle({
      args: ['sh', '-c', 'echo kept-$$ > /data/keep; i=0; while true; do echo $i $(cat /data/keep); i=$((i+1)); sleep 0.1; done'],
      patch: (s) => {
        s.mounts!.push(TMPFS);
        s.hooks = {
          prestart: [{ path: '/bin/sh', args: ['sh', '-c', `echo "prestart $(cat)" >> ${hookOut}`] }],
          createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', `echo "createRuntime $(cat)" >> ${hookOut}`] }],
        };
      },
    });
    bundles.push(b);
    ids.add('cr-a').add('cr-b');
    const c = start(['run', '-d', '--bundle', b.dir, 'cr-a']);
    await until('the container to count', () => c.numbers().length >= 5);
    const kept = /kept-\d+/.exec(c.output())![0];
    const img = join(tmp.path, 'img-a');
    const ck = r.ts(['checkpoint', '--image-path', img, 'cr-a']);
    assert.equal(ck.code, 0, ck.stderr);
    assert.equal(r.state('cr-a'), null, 'without --leave-running the container is gone after the dump');
    await c.settled();
    const before = c.numbers();
    const last = before[before.length - 1]!;

    writeFileSync(hookOut, '');
    const d = start(['restore', '-d', '--bundle', b.dir, '--image-path', img, 'cr-b']);
    assert.equal(await d.code(), 0, d.output());
    await until('the restored container to count', () => d.numbers().length >= 5);
    const after = d.numbers();
    assert.equal(after[0], last + 1, `restored output starts after ${last}: ${d.output().slice(0, 200)}`);
    assert.ok(consecutive(after), d.output());
    assert.match(d.output().split('\n')[0]!, new RegExp(`^${last + 1} ${kept}$`), 'the tmpfs file written before the checkpoint is read after the restore');
    const st = r.state('cr-b')!;
    assert.equal(st.status, 'running');
    const hooks = readFileSync(hookOut, 'utf8').trim().split('\n');
    assert.deepEqual(hooks.map((l) => l.split(' ')[0]), ['prestart', 'createRuntime']);
    for (const l of hooks) assert.equal(JSON.parse(l.slice(l.indexOf(' ') + 1)).pid, st.pid, l);
    assert.equal(r.ts(['delete', '--force', 'cr-b']).code, 0);
    assert.deepEqual(stateEntries(r.path), []);
  });

  test('checkpoint --leave-running: the container goes on counting; a foreground restore of the image goes on from the checkpoint, and ends with the init (137 after SIGKILL), deleting the container', async () => {
    const b = makeBundle({ args: counting() });
    bundles.push(b);
    ids.add('cr-l');
    const c = start(['run', '-d', '--bundle', b.dir, 'cr-l']);
    await until('the container to count', () => c.numbers().length >= 5);
    const img = join(tmp.path, 'img-l');
    const lo = c.numbers().at(-1)!;
    const ck = r.ts(['checkpoint', '--leave-running', '--image-path', img, 'cr-l']);
    assert.equal(ck.code, 0, ck.stderr);
    // the dump froze it at a number between these two
    const atDump = c.numbers().at(-1)!;
    assert.equal(r.state('cr-l')?.status, 'running');
    await until('the container to count on', () => c.numbers().at(-1)! > atDump + 3);
    assert.equal(r.ts(['delete', '--force', 'cr-l']).code, 0);
    // in the foreground, as runc: tsrun waits for the restored init and deletes the container after it
    const d = start(['restore', '--bundle', b.dir, '--image-path', img, 'cr-l']);
    await until('the restored container to count', () => d.numbers().length >= 3);
    const first = d.numbers()[0]!;
    assert.ok(first > lo && first <= atDump + 1, `restored from the checkpoint (${first}): after ${lo}, at most ${atDump + 1}`);
    assert.ok(consecutive(d.numbers()), d.output());
    assert.equal(r.state('cr-l')?.status, 'running');
    assert.equal(r.ts(['kill', 'cr-l', 'KILL']).code, 0);
    assert.equal(await d.code(), 137, 'the foreground restore exits with the init\'s status');
    assert.equal(r.state('cr-l'), null, 'and deletes the container');
  });

  test('checkpoint --pre-dump, then a dump with --parent-path: restore goes on from the dump', async () => {
    const b = makeBundle({ args: counting() });
    bundles.push(b);
    ids.add('cr-p');
    const c = start(['run', '-d', '--bundle', b.dir, 'cr-p']);
    await until('the container to count', () => c.numbers().length >= 5);
    const parent = join(tmp.path, 'img-p', 'parent');
    const img = join(tmp.path, 'img-p', 'final');
    const pre = r.ts(['checkpoint', '--pre-dump', '--image-path', parent, 'cr-p']);
    assert.equal(pre.code, 0, pre.stderr);
    assert.equal(r.state('cr-p')?.status, 'running', 'a pre-dump leaves it running');
    const n = c.numbers().length;
    await until('the container to count on', () => c.numbers().length > n + 2);
    const ck = r.ts(['checkpoint', '--image-path', img, '--parent-path', '../parent', 'cr-p']);
    assert.equal(ck.code, 0, ck.stderr);
    await c.settled();
    const last = c.numbers().at(-1)!;
    const d = start(['restore', '-d', '--bundle', b.dir, '--image-path', img, 'cr-p']);
    assert.equal(await d.code(), 0, d.output());
    await until('the restored container to count', () => d.numbers().length >= 3);
    assert.equal(d.numbers()[0], last + 1, d.output());
    assert.ok(consecutive(d.numbers()), d.output());
  });

  test('process.terminal with --shell-job: the restored terminal\'s master reaches --console-socket and the count goes on there', async () => {
    const b = makeBundle({ args: counting(), terminal: true });
    bundles.push(b);
    ids.add('cr-t');
    const rx = await consoleReceiver(tmp.path);
    try {
      const cr = r.ts(['run', '-d', '--console-socket', rx.socket, '--bundle', b.dir, 'cr-t']);
      assert.equal(cr.code, 0, cr.stderr);
      const sessions = () => rx.output().split(/\nname=/);
      const nums = (s: string) => s.split(/\r?\n/).map((l) => l.trim()).filter((l) => /^\d+$/.test(l)).map(Number);
      await until('the container to count on its terminal', () => nums(sessions()[1] ?? '').length >= 5);
      const img = join(tmp.path, 'img-t');
      const ck = r.ts(['checkpoint', '--shell-job', '--image-path', img, 'cr-t']);
      assert.equal(ck.code, 0, ck.stderr);
      const rs = r.ts(['restore', '-d', '--shell-job', '--console-socket', rx.socket, '--bundle', b.dir, '--image-path', img, 'cr-t']);
      assert.equal(rs.code, 0, rs.stderr);
      assert.equal(r.state('cr-t')?.status, 'running');
      await until('the restored container to count on its new terminal', () => nums(sessions()[2] ?? '').length >= 3);
      // the second terminal is the one criu made (its notification's name), and the count goes on there
      assert.match(sessions()[2]!, /^orphan-pts-master fds=1/);
      const last = nums(sessions()[1]!).at(-1)!;
      const after = nums(sessions()[2]!);
      assert.equal(after[0], last + 1, `restored terminal goes on after ${last}: ${sessions()[2]!.slice(0, 200)}`);
      assert.ok(consecutive(after));
    } finally {
      rx.stop();
    }
  });
});

describe('checkpoint and restore refused or failing: named, nothing changed or left', { skip: rootSkip }, () => {
  const r = makeRoot();
  const tmp = tempDir('tsrun-cr-err-');
  const b = makeBundle({ args: ['sleep', '1000'] });
  after(() => {
    r.cleanup('cre-1', 'cre-2');
    b.remove();
    tmp.remove();
  });

  test('a created container cannot be checkpointed (runc\'s words)', () => {
    assert.equal(r.ts(['create', '--bundle', b.dir, 'cre-1']).code, 0);
    const ck = r.ts(['checkpoint', '--image-path', join(tmp.path, 'i'), 'cre-1']);
    assert.equal(ck.code, 1);
    assert.match(ck.stderr, /Container cannot be checkpointed in created state/);
    assert.equal(r.state('cre-1')?.status, 'created');
    r.ts(['delete', '--force', 'cre-1']);
  });

  test('--criu naming no file: the error says criu is needed; the container runs on', () => {
    assert.equal(r.ts(['run', '-d', '--bundle', b.dir, 'cre-1']).code, 0);
    const ck = r.ts(['--criu', '/nonexistent/criu', 'checkpoint', '--image-path', join(tmp.path, 'i'), 'cre-1']);
    assert.equal(ck.code, 1);
    assert.match(ck.stderr, /--criu \/nonexistent\/criu: no such file: checkpoint and restore need criu/);
    assert.equal(r.state('cre-1')?.status, 'running');
  });

  test('bad flags are refused as runc refuses them', () => {
    for (const [args, re] of [
      [['--manage-cgroups-mode', 'bogus'], /invalid manage-cgroups-mode value/],
      [['--parent-path', '/abs'], /--parent-path must be relative/],
      [['--empty-ns', 'ipc'], /namespace \\?"ipc\\?" is not supported/],
      [['--page-server', 'nohost'], /Use --page-server ADDRESS:PORT/],
    ] as Array<[string[], RegExp]>) {
      const ck = r.ts(['checkpoint', ...args, 'cre-1']);
      assert.equal(ck.code, 1, args.join(' '));
      assert.match(ck.stderr, re);
    }
  });

  test('where `criu check` fails on the kernel, checkpoint names it and the container runs on', { skip: requires({ binary: 'criu' }) || (skip ? false : 'criu works on this kernel') }, () => {
    const ck = r.ts(['checkpoint', '--image-path', join(tmp.path, 'k'), 'cre-1']);
    assert.equal(ck.code, 1);
    assert.match(ck.stderr, /criu cannot work on this kernel \([^)]+\): `criu check` fails: .*Error/);
    assert.equal(r.state('cre-1')?.status, 'running');
  });

  test('restore from a directory that holds no checkpoint: named; no state, cgroup or mount left', () => {
    const ck = r.ts(['restore', '-d', '--bundle', b.dir, '--image-path', join(tmp.path, 'empty'), 'cre-2']);
    assert.equal(ck.code, 1);
    assert.match(ck.stderr, /not a checkpoint \(descriptors\.json: /);
    assert.equal(r.state('cre-2'), null);
    assert.ok(!existsSync(join(r.path, 'cre-2')));
  });
});
