// runc parity (issue 12), the process's identity: the same bundle and
// command through runc and tsrun. The stdio (a pty, or what the caller
// handed in) owned by process.user; an unknown capability warned about, not
// refused; kernel.hostname in linux.sysctl refused beside a uts namespace,
// kernel.domainname allowed after the domainname field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle, type BundleOptions } from '../../helpers/bundle.js';
import { differential, differentialSkip, makeRuntime, type Runtime, type RuntimeName } from '../../helpers/differential.js';
import { tempDir } from '../../helpers/tsrun.js';
import { startConsoleReceiver } from '../lifecycle/console.js';

const skip = differentialSkip;

function runOnce(rt: Runtime, opts: BundleOptions, globalArgs: string[] = []) {
  const b = makeBundle(opts);
  try {
    const res = rt.call([...globalArgs, 'run', '--bundle', b.dir, 'p']);
    return { code: res.code, stdout: res.stdout, stderr: res.stderr, left: rt.call(['list', '-q']).stdout };
  } finally {
    b.remove();
  }
}

/** runc's text log line without its time: `level=warning msg="..."`. */
const logText = (s: string) => s.split('\n').filter(Boolean).map((l) => l.replace(/^time="[^"]*" /, ''));

test('process.terminal with process.user 1000: the pty is the user\'s, its group kept (runc: 1000:5)', { skip, timeout: 60_000 }, async () => {
  const seen: Partial<Record<RuntimeName, string>> = {};
  for (const name of ['runc', 'tsrun'] as const) {
    const rt = makeRuntime(name);
    const dir = tempDir('tsrun-parity-pty-');
    const b = makeBundle({
      args: ['sh', '-c', 'echo owner=$(stat -c %u:%g $(tty))'],
      terminal: true,
      patch: (s) => (s.process!.user = { uid: 1000, gid: 1000 }),
    });
    const recv = await startConsoleReceiver(dir.path);
    try {
      const res = rt.call(['run', '-d', '--console-socket', recv.socket, '--bundle', b.dir, 't']);
      assert.equal(res.code, 0, `${name}: ${res.stderr}`);
      await recv.done(10_000);
      seen[name] = /owner=(\S+)/.exec(recv.output())?.[1];
    } finally {
      recv.stop();
      rt.cleanup('t');
      b.remove();
      dir.remove();
    }
  }
  assert.equal(seen.runc, '1000:5');
  assert.equal(seen.tsrun, seen.runc);
});

test('stdio the caller handed in becomes the user\'s (runc fixStdioPermissions), for run and exec', { skip }, () => {
  const out = differential((rt) => {
    const b = makeBundle({ args: ['sleep', '1000'], patch: (s) => (s.process!.user = { uid: 1000, gid: 1000 }) });
    try {
      const run = runOnce(rt, { args: ['sh', '-c', 'stat -L -c %u:%g /proc/self/fd/1'], patch: (s) => (s.process!.user = { uid: 1000, gid: 1000 }) });
      assert.equal(rt.call(['run', '-d', '--bundle', b.dir, 'e']).code, 0);
      const exec = rt.call(['exec', '--user', '1001:1001', 'e', 'sh', '-c', 'stat -L -c %u:%g /proc/self/fd/1']);
      return { run: run.stdout, exec: exec.stdout, codes: [run.code, exec.code] };
    } finally {
      rt.call(['delete', '--force', 'e']);
      b.remove();
    }
  }, ['p', 'e']);
  assert.deepEqual(out.runc, { run: '1000:0\n', exec: '1001:0\n', codes: [0, 0] });
  assert.deepEqual(out.tsrun, out.runc);
});

test('process.capabilities: an unknown name is a warning (stderr, or --log as JSON) and the container runs with the known ones', { skip }, () => {
  const patch = (s: import('../../../src/spec/types.js').Spec) => {
    s.process!.capabilities!.bounding!.push('CAP_UNKNOWN', 'CAP_FOO');
    s.process!.capabilities!.effective!.push('CAP_UNKNOWN');
  };
  const out = differential((rt) => {
    const plain = runOnce(rt, { args: ['sh', '-c', 'grep -E "CapBnd|CapEff" /proc/self/status'], patch });
    const log = join(rt.root, 'log.json');
    const json = runOnce(rt, { args: ['true'], patch }, ['--log', log, '--log-format', 'json']);
    const records = readFileSync(log, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: string; msg: string });
    return { code: plain.code, stdout: plain.stdout, stderr: logText(plain.stderr), jsonCode: json.code, warnings: records.filter((r) => r.level === 'warning').map((r) => r.msg) };
  }, ['p']);
  assert.equal(out.runc.code, 0);
  assert.deepEqual(out.runc.stderr, ['level=warning msg="ignoring unknown or unavailable capabilities: [CAP_FOO CAP_UNKNOWN]"']);
  assert.deepEqual(out.tsrun, out.runc);
});

test('linux.sysctl: kernel.hostname with a uts namespace is refused with runc\'s words, nothing left; kernel.domainname wins over domainname', { skip }, () => {
  const out = differential((rt) => ({
    withHostname: runOnce(rt, { args: ['hostname'], patch: (s) => (s.linux!.sysctl = { 'kernel.hostname': 'from-sysctl' }) }),
    withoutHostname: runOnce(rt, { args: ['hostname'], patch: (s) => { delete s.hostname; s.linux!.sysctl = { 'kernel/hostname': 'from-sysctl' }; } }),
    domainname: runOnce(rt, { args: ['cat', '/proc/sys/kernel/domainname'], patch: (s) => { s.domainname = 'field'; s.linux!.sysctl = { 'kernel.domainname': 'sysctl' }; } }),
  }), ['p']);
  for (const k of ['withHostname', 'withoutHostname'] as const) {
    for (const name of ['runc', 'tsrun'] as const) {
      const r = out[name][k];
      assert.equal(r.code, 1, `${name} ${k}`);
      assert.match(r.stderr, /sysctl \\"kernel\.hostname\\" is not allowed as it conflicts with the OCI \\"hostname\\" field/, `${name} ${k}`);
      assert.equal(r.stdout, '');
      assert.equal(r.left, '', `${name} ${k}: nothing left behind`);
    }
  }
  assert.equal(out.runc.domainname.stdout, 'sysctl\n', out.runc.domainname.stderr);
  assert.deepEqual(out.tsrun.domainname, out.runc.domainname);
});
