// `exec --cgroup`: the exec'd process runs in an existing sub-cgroup of the
// container (every hierarchy, or the v1 controllers named), never creates one;
// on a pure v2 host the path alone, in the one hierarchy.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import { makeBundle } from '../../helpers/bundle.js';
import { requires } from '../../helpers/requires.js';
import { makeRoot } from './helpers.js';

const CG = '/sys/fs/cgroup';

test('exec --cgroup PATH and --cgroup ctrl:PATH join existing v1 sub-cgroups; a missing one or .. is refused with 255', { skip: requires('root', 'cgroup-v1', { controller: 'memory' }, { controller: 'pids' }, { controller: 'cpu' }, { controller: 'freezer' }) }, () => {
  const b = makeBundle({ args: ['sleep', '1000'] });
  const r = makeRoot();
  const made: string[] = [];
  try {
    assert.equal(r.ts(['run', '-d', '--bundle', b.dir, 'xc']).code, 0);
    for (const ctrl of ['memory', 'pids', 'cpu']) {
      for (const sub of ['sub', 'only']) {
        const d = `${CG}/${ctrl}${b.cgroupsPath}/${sub}`;
        mkdirSync(d);
        made.push(d);
      }
    }
    // controllers named one by one and as a list
    let res = r.ts(['exec', '--cgroup', 'pids:sub', '--cgroup', 'memory,cpu:only', 'xc', 'cat', '/proc/self/cgroup']);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /:pids:\/sub\n/, res.stdout);
    assert.match(res.stdout, /:memory:\/only\n/, res.stdout);
    assert.match(res.stdout, /:cpu:\/only\n/, res.stdout);
    // a controller not named stays in the container's cgroup
    assert.match(res.stdout, /:freezer:\/\n/, res.stdout);

    // the host's view: the exec'd pid was written into the sub-cgroup's procs
    res = r.ts(['exec', '-d', '--cgroup', 'pids:sub', 'xc', 'sleep', '30']);
    assert.equal(res.code, 0, res.stderr);
    const procs = readFileSync(`${CG}/pids${b.cgroupsPath}/sub/cgroup.procs`, 'utf8').trim().split('\n').filter(Boolean);
    assert.equal(procs.length, 1, `one process in pids sub: ${procs.join(',')}`);

    // every hierarchy: a path missing in some of them is refused, nothing runs
    res = r.ts(['exec', '--cgroup', 'sub', 'xc', 'true']);
    assert.equal(res.code, 255);
    assert.match(res.stderr, /exec --cgroup: the sub-cgroup .*\/sub \(\w+\) does not exist/);

    res = r.ts(['exec', '--cgroup', '../escape', 'xc', 'true']);
    assert.equal(res.code, 255);
    assert.match(res.stderr, /invalid --cgroup argument: \.\.\/escape/);
    res = r.ts(['exec', '--cgroup', 'pids:sub', '--cgroup', 'pids:only', 'xc', 'true']);
    assert.equal(res.code, 255);
    assert.match(res.stderr, /duplicate --cgroup argument for controller pids/);
    res = r.ts(['exec', '--cgroup', 'nosuchctrl:sub', 'xc', 'true']);
    assert.equal(res.code, 255);
    assert.match(res.stderr, /the container has no nosuchctrl cgroup/);
  } finally {
    r.cleanup('xc');
    for (const d of made.reverse()) {
      try {
        rmdirSync(d);
      } catch {
        /* taken with the container's cgroup */
      }
    }
    b.remove();
  }
});

test('exec --cgroup PATH on cgroup v2 joins the existing sub-cgroup; controller:PATH, a missing one or .. is refused with 255', { skip: requires('root', 'cgroup-v2') }, () => {
  const b = makeBundle({ args: ['sleep', '1000'] });
  const r = makeRoot();
  const sub = `${CG}${b.cgroupsPath}/sub`;
  try {
    assert.equal(r.ts(['run', '-d', '--bundle', b.dir, 'xc2']).code, 0);
    mkdirSync(sub);
    let res = r.ts(['exec', '--cgroup', 'sub', 'xc2', 'cat', '/proc/self/cgroup']);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /^0::\/sub$/m, res.stdout);

    res = r.ts(['exec', '-d', '--cgroup', 'sub', 'xc2', 'sleep', '30']);
    assert.equal(res.code, 0, res.stderr);
    const procs = readFileSync(`${sub}/cgroup.procs`, 'utf8').trim().split('\n').filter(Boolean);
    assert.equal(procs.length, 1, `one process in sub: ${procs.join(',')}`);

    res = r.ts(['exec', '--cgroup', 'memory:sub', 'xc2', 'true']);
    assert.equal(res.code, 255);
    assert.match(res.stderr, /controller:path is for cgroup v1; on cgroup v2 give the path alone/);
    res = r.ts(['exec', '--cgroup', 'nosub', 'xc2', 'true']);
    assert.equal(res.code, 255);
    assert.match(res.stderr, /exec --cgroup: the sub-cgroup .*\/nosub \(unified\) does not exist/);
    res = r.ts(['exec', '--cgroup', '../escape', 'xc2', 'true']);
    assert.equal(res.code, 255);
    assert.match(res.stderr, /invalid --cgroup argument: \.\.\/escape/);
  } finally {
    r.cleanup('xc2');
    try {
      rmdirSync(sub);
    } catch {
      /* taken with the container's cgroup */
    }
    b.remove();
  }
});

test('exec into a container at linux.resources.pids.limit on cgroup v2: refused with 255, pids.current stays at the limit (born in the cgroup, clone3 CLONE_INTO_CGROUP); below it, in the container\'s user and cgroup namespaces', { skip: requires('root', 'cgroup-v2', { unifiedController: 'pids' }) }, () => {
  const b = makeBundle({
    args: ['sleep', '1000'],
    patch: (s) => {
      s.linux!.resources = { ...s.linux!.resources, pids: { limit: 1 } };
      for (const type of ['user', 'cgroup'] as const) if (!s.linux!.namespaces!.some((n) => n.type === type)) s.linux!.namespaces!.push({ type });
      s.linux!.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      s.linux!.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
    },
  });
  // a mapped root of a user namespace must reach the rootfs (mkdtemp makes 0700 dirs)
  chmodSync(b.dir, 0o755);
  const r = makeRoot();
  const dir = `${CG}${b.cgroupsPath}`;
  try {
    const run = r.ts(['run', '-d', '--bundle', b.dir, 'xpids']);
    assert.equal(run.code, 0, run.stderr);
    let res = r.ts(['exec', 'xpids', 'true']);
    assert.equal(res.code, 255, `exec at pids.max ran: ${res.stdout}`);
    assert.match(res.stderr, /clone into the container's cgroup: resource temporarily unavailable/);
    assert.equal(readFileSync(`${dir}/pids.current`, 'utf8').trim(), '1');
    assert.match(readFileSync(`${dir}/pids.events`, 'utf8'), /^max [1-9]/m);
    assert.equal(r.ts(['update', '--pids-limit', '3', 'xpids']).code, 0); // the init, sh and its cat
    // the cgroup namespace is rooted at the container's cgroup, the user namespace maps root to 100000
    res = r.ts(['exec', 'xpids', 'sh', '-c', 'cat /proc/self/cgroup; cat /proc/self/uid_map']);
    assert.equal(res.code, 0, res.stderr);
    assert.match(res.stdout, /^0::\/\n/);
    assert.match(res.stdout, /^\s*0\s+100000\s+65536$/m);
  } finally {
    r.cleanup('xpids');
    b.remove();
  }
});
