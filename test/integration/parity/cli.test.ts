// The command line side by side with runc 1.1: numeric signals (0 probes the
// init), flags written after the container id, which runc's urfave/cli
// moves in front of it for every command but exec and ps, and `spec`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sleepMs } from '../../../src/cgroups/manager.js';
import { makeBundle, type Bundle } from '../../helpers/bundle.js';
import { differential, differentialSkip, type Runtime } from '../../helpers/differential.js';
import { tempDir } from '../../helpers/tsrun.js';

const ID = 'parity-cli';

function withBundle<T>(fn: (b: Bundle) => T): T {
  const b = makeBundle({ args: ['sleep', '1000'] });
  try {
    return fn(b);
  } finally {
    b.remove();
  }
}

/** A created and started container running `sleep 1000`. */
function started(rt: Runtime, b: Bundle): void {
  const c = rt.call(['create', '--bundle', b.dir, ID]);
  assert.equal(c.code, 0, `${rt.name} create: ${c.stderr}`);
  const s = rt.call(['start', ID]);
  assert.equal(s.code, 0, `${rt.name} start: ${s.stderr}`);
}

const status = (rt: Runtime) => {
  const r = rt.call(['state', ID]);
  return r.code === 0 ? (JSON.parse(r.stdout) as { status: string }).status : `gone: ${r.stderr.includes('container does not exist')}`;
};

function waitStopped(rt: Runtime): void {
  for (let i = 0; i < 100 && status(rt) !== 'stopped'; i++) sleepMs(20);
}

/** The last error message of a run, without the logrus time prefix (callers match the words). */
const msg = (stderr: string) => /msg="((?:[^"\\]|\\.)*)"/.exec(stderr.trim().split('\n').pop() ?? '')?.[1] ?? stderr.trim();

test('kill ID 0 checks that the init is alive; numbers go to the kernel as they are (65: invalid argument), as runc', { skip: differentialSkip }, () => {
  const r = withBundle((b) => differential((rt) => {
    started(rt, b);
    const probe = rt.call(['kill', ID, '0']);
    const afterProbe = status(rt);
    const outOfRange = rt.call(['kill', ID, '65']);
    rt.call(['kill', ID, '9']);
    waitStopped(rt);
    const stopped = rt.call(['kill', ID, '0']);
    return {
      probe: probe.code, afterProbe,
      outOfRange: [outOfRange.code, msg(outOfRange.stderr)],
      stopped: [stopped.code, msg(stopped.stderr)],
    };
  }, [ID]));
  assert.deepEqual(r.runc, { probe: 0, afterProbe: 'running', outOfRange: [1, 'unable to signal init: invalid argument'], stopped: [1, 'container not running'] });
  assert.deepEqual(r.tsrun, r.runc);
});

test('flags after the container id: update ID --pids-limit 50, kill ID KILL --all, delete ID --force, as runc', { skip: differentialSkip }, () => {
  const r = withBundle((b) => differential((rt) => {
    started(rt, b);
    const update = rt.call(['update', ID, '--pids-limit', '50']);
    // what the container sees of its own limit
    const seen = rt.call(['exec', ID, 'cat', '/sys/fs/cgroup/pids/pids.max']);
    // unknown flags are not moved: a usage error, nothing done
    const bogus = rt.call(['state', ID, '--bogus']);
    const killAll = rt.call(['kill', ID, 'KILL', '--all']);
    waitStopped(rt);
    const afterKill = status(rt);
    const del = rt.call(['delete', ID, '--force']);
    return { update: update.code, seen: seen.stdout.trim(), bogus: bogus.code, killAll: killAll.code, afterKill, del: del.code, afterDelete: status(rt) };
  }, [ID]));
  assert.deepEqual(r.runc, { update: 0, seen: '50', bogus: 1, killAll: 0, afterKill: 'stopped', del: 0, afterDelete: 'gone: true' });
  assert.deepEqual(r.tsrun, r.runc);
});

test('delete ID -f on a running container, and urfave\'s reading of kill ID --all 9 (container "9": does not exist), as runc', { skip: differentialSkip }, () => {
  const r = withBundle((b) => differential((rt) => {
    started(rt, b);
    const quirk = rt.call(['kill', ID, '--all', '9']);
    const afterQuirk = status(rt);
    const del = rt.call(['delete', ID, '-f']);
    return { quirk: [quirk.code, msg(quirk.stderr)], afterQuirk, del: del.code, afterDelete: status(rt) };
  }, [ID]));
  assert.deepEqual(r.runc, { quirk: [1, 'container does not exist'], afterQuirk: 'running', del: 0, afterDelete: 'gone: true' });
  assert.deepEqual(r.tsrun, r.runc);
});

test('exec ID CMD --env A=1: everything after the id is the payload\'s (runc does not reorder exec)', { skip: differentialSkip }, () => {
  const r = withBundle((b) => differential((rt) => {
    started(rt, b);
    const e = rt.call(['exec', ID, 'echo', '--env', 'A=1']);
    return [e.code, e.stdout];
  }, [ID]));
  assert.deepEqual(r.runc, [0, '--env A=1\n']);
  assert.deepEqual(r.tsrun, r.runc);
});

test('spec and spec --rootless: a cgroup namespace only on a pure cgroup v2 host, as runc', { skip: differentialSkip }, () => {
  const dir = tempDir('parity-spec-');
  try {
    const r = differential((rt) => ['plain', 'rootless'].map((kind) => {
      const d = join(dir.path, `${rt.name}-${kind}`);
      mkdirSync(d);
      const res = rt.call(['spec', '--bundle', d, ...(kind === 'rootless' ? ['--rootless'] : [])]);
      const config = res.code === 0 ? JSON.parse(readFileSync(join(d, 'config.json'), 'utf8')) : {};
      return [res.code, config.linux?.namespaces?.map((n: { type: string }) => n.type)];
    }));
    const pureV2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
    assert.deepEqual(r.runc[0], [0, ['pid', 'network', 'ipc', 'uts', 'mount', ...(pureV2 ? ['cgroup'] : [])]]);
    assert.deepEqual(r.tsrun, r.runc);
  } finally {
    dir.remove();
  }
});
