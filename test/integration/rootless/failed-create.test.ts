// A create that fails at any step leaves nothing behind: no state dir (the id
// can be created again at once), no cgroup, and an error in words, never a
// bare ECONNRESET/EPIPE from the executor's socket.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeBundle } from '../../helpers/bundle.js';
import { cgroupLayout, requires } from '../../helpers/requires.js';
import { tempDir, tsrun, tsrunFiles } from '../../helpers/tsrun.js';
import type { Spec } from '../../../src/spec/types.js';

// the hook reads the state on stdin and SIGKILLs the init it names
const KILL_INIT = 'read s; p=${s#*\\"pid\\":}; kill -9 ${p%%,*}';

const faults: Array<{ name: string; patch: (s: Spec) => void; error: RegExp }> = [
  { name: 'a cgroup value the kernel refuses (cpuset.cpus)', patch: (s) => void (s.linux!.resources = { ...s.linux!.resources, cpu: { cpus: '4095' } }), error: /cpus/ },
  { name: 'process.args[0] missing in the rootfs', patch: (s) => void (s.process!.args = ['/nonexistent-binary']), error: /\/nonexistent-binary/ },
  { name: 'a prestart hook failing', patch: (s) => void (s.hooks = { prestart: [{ path: '/bin/false' }] }), error: /prestart/ },
  {
    name: 'a bind mount whose source is missing',
    patch: (s) => void s.mounts!.push({ destination: '/mnt/x', type: 'bind', source: '/nonexistent-source', options: ['bind'] }),
    error: /\/nonexistent-source|\/mnt\/x/,
  },
  {
    name: 'the init killed while it sets up (no report from it)',
    patch: (s) => void (s.hooks = { createRuntime: [{ path: '/bin/sh', args: ['sh', '-c', KILL_INIT] }] }),
    error: /container init \(pid \d+\) died without a report while it finished its setup/,
  },
];

test('create failing at each step leaves no state dir and no cgroup; the same id is created at once after', { skip: requires('root') }, () => {
  const b = makeBundle({ args: ['sleep', '100'] });
  const good = readFileSync(join(b.dir, 'config.json'), 'utf8');
  const root = tempDir();
  const id = `fc-${process.pid}`;
  const mem = cgroupLayout()?.v1.get('memory')?.mountPoint;
  try {
    for (const f of faults) {
      const spec = JSON.parse(good) as Spec;
      f.patch(spec);
      writeFileSync(join(b.dir, 'config.json'), JSON.stringify(spec));
      const r = tsrunFiles(['--root', root.path, 'create', '--bundle', b.dir, id]);
      assert.equal(r.code, 1, `${f.name}: ${r.stderr}`);
      assert.match(r.stderr, f.error, f.name);
      assert.doesNotMatch(r.stderr, /ECONNRESET|EPIPE|connection reset|broken pipe/, `${f.name}: a socket error reached the user`);
      assert.deepEqual(readdirSync(root.path).filter((n) => n === id), [], `${f.name}: state dir left behind`);
      if (mem) assert.equal(existsSync(join(mem, b.cgroupsPath)), false, `${f.name}: cgroup left behind`);
      assert.match(tsrun(['--root', root.path, 'delete', id]).stderr, /container does not exist/, f.name);

      writeFileSync(join(b.dir, 'config.json'), good);
      const again = tsrunFiles(['--root', root.path, 'create', '--bundle', b.dir, id]);
      assert.equal(again.code, 0, `after ${f.name}: ${again.stderr}`);
      const st = JSON.parse(tsrun(['--root', root.path, 'state', id]).stdout) as { status: string };
      assert.equal(st.status, 'created', f.name);
      assert.equal(tsrun(['--root', root.path, 'delete', '--force', id]).code, 0);
    }
  } finally {
    tsrun(['--root', root.path, 'delete', '--force', id]);
    root.remove();
    b.remove();
  }
});
