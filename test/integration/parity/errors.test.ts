// runc's words in our errors, where callers match them (CLI-CONTRACT.md B.5):
// the same situation through runc and tsrun, the same exit code, and the
// words in both messages. The rest of our message (the config field, the
// errno) may differ.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle, type Bundle } from '../../helpers/bundle.js';
import { differential, differentialSkip, type Runtime } from '../../helpers/differential.js';
import type { Spec } from '../../../src/spec/types.js';

const ID = 'parity-errors';

interface Seen {
  code: number | null;
  stderr: string;
  /** what is left of the container after the failure */
  left: string;
}

function left(rt: Runtime): string {
  const s = rt.call(['state', ID]);
  return s.code === 0 ? (JSON.parse(s.stdout) as { status: string }).status : 'nothing';
}

/** `run -d` of a bundle (made by `patch`) under each runtime. */
function runBoth(patch: (s: Spec) => void, prepare?: (b: Bundle) => void): Record<'runc' | 'tsrun', Seen> {
  const b = makeBundle({ args: ['sleep', '1000'], patch });
  try {
    prepare?.(b);
    return differential((rt) => {
      const r = rt.call(['run', '-d', '--bundle', b.dir, ID]);
      return { code: r.code, stderr: r.stderr, left: left(rt) };
    }, [ID]);
  } finally {
    b.remove();
  }
}

function sameWords(r: Record<'runc' | 'tsrun', Seen>, words: string, leftBehind = 'nothing'): void {
  assert.ok(r.runc.stderr.includes(words), `runc: ${r.runc.stderr}`);
  assert.ok(r.tsrun.stderr.includes(words), `tsrun: ${r.tsrun.stderr}`);
  assert.equal(r.tsrun.code, r.runc.code);
  assert.equal(r.runc.left, leftBehind);
  assert.equal(r.tsrun.left, r.runc.left);
}

test('state, kill, delete, pause and exec of an unknown id: "container does not exist" (exec exits 255), as runc', { skip: differentialSkip }, () => {
  const r = differential((rt) => ['state', 'kill', 'delete', 'pause', 'exec'].map((cmd) => {
    const res = rt.call(cmd === 'exec' ? ['exec', 'nosuch', 'true'] : [cmd, 'nosuch']);
    return [cmd, res.code, res.stderr.includes('container does not exist')];
  }));
  assert.ok(r.runc.every(([, , has]) => has), JSON.stringify(r.runc));
  assert.deepEqual(r.tsrun, r.runc);
});

test('process.args[0] missing in the rootfs: "executable file not found" at create, nothing left, as runc', { skip: differentialSkip }, () => {
  sameWords(runBoth((s) => (s.process!.args = ['nosuchcmd'])), 'nosuchcmd\\": executable file not found in $PATH'); // (logrus escapes the quotes)
});

test('a failing prestart, createContainer or poststart hook: "error running hook", as runc', { skip: differentialSkip }, () => {
  for (const kind of ['prestart', 'createContainer'] as const) {
    sameWords(runBoth((s) => (s.hooks = { [kind]: [{ path: '/bin/false' }] })), 'error running hook');
  }
  // poststart fails after the start: the same exit code and the same leftovers as runc
  const post = runBoth((s) => (s.hooks = { poststart: [{ path: '/bin/false' }] }));
  assert.ok(post.runc.stderr.includes('error running hook') && post.tsrun.stderr.includes('error running hook'), `${post.runc.stderr}\n${post.tsrun.stderr}`);
  assert.equal(post.tsrun.code, post.runc.code);
  assert.equal(post.tsrun.left, post.runc.left);
});

test('/proc of the rootfs is a symlink: "must be mounted on ordinary directory", as runc', { skip: differentialSkip }, () => {
  const r = runBoth(() => {}, (b) => {
    const proc = join(b.dir, 'rootfs', 'proc');
    rmSync(proc, { recursive: true, force: true });
    symlinkSync('/tmp', proc);
  });
  sameWords(r, 'filesystem \\"proc\\" must be mounted on ordinary directory');
});

test('linux.seccomp.listenerPath with no agent listening: "failed to connect with seccomp agent", as runc', { skip: differentialSkip }, () => {
  sameWords(runBoth((s) => {
    s.linux!.seccomp = { defaultAction: 'SCMP_ACT_ALLOW', listenerPath: '/nonexistent/agent.sock', syscalls: [{ names: ['acct'], action: 'SCMP_ACT_NOTIFY' }] };
  }), 'failed to connect with seccomp agent');
});

test('exec --cgroup ../x: "is not a sub cgroup path", the container untouched, as runc', { skip: differentialSkip }, () => {
  const b = makeBundle({ args: ['sleep', '1000'] });
  try {
    const r = differential((rt) => {
      assert.equal(rt.call(['run', '-d', '--bundle', b.dir, ID]).code, 0);
      const res = rt.call(['exec', '--cgroup', '../x', ID, 'true']);
      return { code: res.code, stderr: res.stderr, left: left(rt) };
    }, [ID]);
    sameWords(r, '../x is not a sub cgroup path', 'running');
  } finally {
    b.remove();
  }
});
