// runtime.md from the outside: state after each operation, errors for
// operations in the wrong state, hooks, --pid-file, exit codes of `run`, and
// configs a runtime must refuse. Each check is {name, ok, detail}.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SPEC_VERSION, baseConfig, configText, precreateDestinations } from './bundle.mjs';
import { sleepMs, waitFor } from './wait.mjs';

/** @typedef {{name: string, ok: boolean, detail: string}} Outcome */

const readOr = (p, dflt = '') => {
  try {
    return readFileSync(p, 'utf8');
  } catch {
    return dflt;
  }
};

const brief = (r) => `exit ${r.code}${r.signal ? ` signal ${r.signal}` : ''}${r.timedOut ? ' (timed out)' : ''}${r.stderr ? `: ${r.stderr.trim().split('\n').pop()?.slice(0, 200)}` : ''}`;

class Recorder {
  constructor() {
    /** @type {Outcome[]} */
    this.out = [];
  }
  /** @param {string} name @param {boolean} ok @param {string} [detail] */
  add(name, ok, detail = '') {
    this.out.push({ name, ok: !!ok, detail: ok ? '' : detail });
  }
  /** A step that must fail (exit != 0). */
  mustFail(name, r) {
    this.add(name, r.code !== 0 && !r.timedOut, r.timedOut ? 'timed out' : `exit ${r.code}`);
  }
  mustPass(name, r) {
    this.add(name, r.code === 0, brief(r));
  }
}

/**
 * A bundle whose process is a shell script, with <bundle>/out bound at /out
 * for markers the script leaves.
 */
function shellBundle(ctx, name, script, mutate = (_c) => {}) {
  const b = ctx.ws.newBundle(name);
  const out = join(b.dir, 'out');
  mkdirSync(out);
  const c = baseConfig(ctx.cgroupsPath(name), ctx.ociVersion);
  c.process.args = ['/bin/sh', '-c', script];
  c.mounts.push({ destination: '/out', type: 'bind', source: out, options: ['rbind', 'rw'] });
  mutate(c);
  precreateDestinations(b.rootfs, c);
  writeFileSync(join(b.dir, 'config.json'), configText(c));
  return { ...b, out, config: c };
}

const LOOP = 'touch /out/started; while :; do sleep 0.05; done';
const TRAPS = `trap 'echo USR1 >> /out/signals' USR1; trap 'echo USR2 >> /out/signals' USR2; ${LOOP}`;

/** create/start/kill/delete and their errors. */
function stateMachine(ctx, rt, rec) {
  const id = ctx.id('lc');
  const b = shellBundle(ctx, 'lifecycle', TRAPS, (c) => {
    c.annotations = { 'org.conformance.key': 'value' };
  });
  const pidFile = join(b.dir, 'pidfile');
  const cr = rt.create(id, b.dir, ['--pid-file', pidFile]);
  rec.mustPass('create: exits 0', cr);
  const st = rt.state(id);
  rec.add('state after create: status "created"', st?.status === 'created', `state ${JSON.stringify(st)}`);
  rec.add('state after create: pid of a live process', st?.pid > 0 && existsSync(`/proc/${st?.pid}`), `pid ${st?.pid}`);
  rec.add('state: id is the container id', st?.id === id, `id ${st?.id}`);
  rec.add('state: bundle is the absolute bundle path', st?.bundle === b.dir, `bundle ${st?.bundle}`);
  rec.add('state: ociVersion present', typeof st?.ociVersion === 'string' && st.ociVersion.length > 0, `ociVersion ${st?.ociVersion}`);
  rec.add('state: annotations from config.json', st?.annotations?.['org.conformance.key'] === 'value', `annotations ${JSON.stringify(st?.annotations)}`);
  rec.add('create --pid-file: holds the container pid', readOr(pidFile).trim() === String(st?.pid) && !!st?.pid, `pid file "${readOr(pidFile).trim()}" state pid ${st?.pid}`);
  sleepMs(200);
  rec.add('create: the user program has not run yet', !existsSync(join(b.out, 'started')), 'marker written before start');
  rec.mustFail('create with an id in use: error', rt.create(id, b.dir));
  rec.add('create with an id in use: the first container is untouched', rt.state(id)?.status === 'created', `state ${rt.state(id)?.status}`);
  rec.mustFail('delete of a created container without --force: error (not stopped)', rt.call(['delete', id]));
  const afterDel = rt.state(id);
  rec.add('delete of a created container without --force: container untouched', afterDel?.status === 'created', `state ${afterDel?.status ?? 'gone'}`);
  if (!afterDel) {
    // the runtime removed it anyway; recreate so the rest of the sequence can run
    rt.create(id, b.dir);
  }
  rec.mustPass('start: exits 0', rt.call(['start', id]));
  rec.add('start: the user program runs', waitFor(() => existsSync(join(b.out, 'started'))), 'no marker within 3s');
  const st2 = rt.state(id);
  rec.add('state after start: status "running"', st2?.status === 'running', `state ${st2?.status}`);
  rec.mustFail('start of a running container: error', rt.call(['start', id]));
  rec.add('start of a running container: still running', rt.state(id)?.status === 'running', `state ${rt.state(id)?.status}`);
  rec.mustFail('delete of a running container without --force: error', rt.call(['delete', id]));
  rec.add('delete of a running container without --force: still running', rt.state(id)?.status === 'running', `state ${rt.state(id)?.status}`);
  rec.mustPass('kill <id> USR1: exits 0', rt.call(['kill', id, 'USR1']));
  rec.add('kill <id> USR1: the process gets SIGUSR1', waitFor(() => readOr(join(b.out, 'signals')).includes('USR1')), `signals "${readOr(join(b.out, 'signals')).trim()}"`);
  rec.mustPass('kill <id> SIGUSR2 (SIG prefix): exits 0', rt.call(['kill', id, 'SIGUSR2']));
  rec.add('kill <id> SIGUSR2: the process gets SIGUSR2', waitFor(() => readOr(join(b.out, 'signals')).includes('USR2')), `signals "${readOr(join(b.out, 'signals')).trim()}"`);
  rec.mustPass('kill <id> 9 (by number): exits 0', rt.call(['kill', id, '9']));
  const stopped = waitFor(() => rt.state(id)?.status === 'stopped');
  rec.add('state after kill 9: status "stopped"', stopped, `state ${rt.state(id)?.status}`);
  rec.mustFail('kill of a stopped container: error', rt.call(['kill', id, 'KILL']));
  rec.mustFail('start of a stopped container: error', rt.call(['start', id]));
  rec.mustPass('delete of a stopped container: exits 0', rt.call(['delete', id]));
  rec.add('state after delete: error (container gone)', rt.call(['state', id]).code !== 0, 'state still answers');
  rt.created.delete(id);
}

function missingId(ctx, rt, rec) {
  const id = ctx.id('missing');
  rec.mustFail('state of a missing id: error', rt.call(['state', id]));
  rec.mustFail('start of a missing id: error', rt.call(['start', id]));
  rec.mustFail('kill of a missing id: error', rt.call(['kill', id, 'KILL']));
  rec.mustFail('delete of a missing id: error', rt.call(['delete', id]));
}

function forceDelete(ctx, rt, rec) {
  const id = ctx.id('force');
  const b = shellBundle(ctx, 'force-delete', LOOP);
  rt.create(id, b.dir);
  rt.call(['start', id]);
  waitFor(() => existsSync(join(b.out, 'started')));
  const pid = rt.state(id)?.pid;
  rec.mustPass('delete --force of a running container: exits 0', rt.call(['delete', '--force', id]));
  rec.add('delete --force: container gone', rt.call(['state', id]).code !== 0, 'state still answers');
  rec.add('delete --force: its process is gone', !!pid && waitFor(() => !existsSync(`/proc/${pid}`) || readOr(`/proc/${pid}/stat`).split(' ')[2] === 'Z'), `pid ${pid} still alive`);
  rt.created.delete(id);
}

/** A hook that fails after reading its stdin (one that exits first can SIGPIPE the runtime: a different matter). */
const FAILING_HOOK = { path: '/bin/sh', args: ['sh', '-c', 'cat > /dev/null; exit 1'] };

const HOOKS = ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'];

/** The hook: record order, the state on stdin, args, env and the net namespace it runs in. */
const HOOK_SCRIPT = 'n=$1; d=$2; cat > "$d/$n.state"; [ "$n" = startContainer ] && sleep 0.3; echo "$n" >> "$d/order"; readlink /proc/self/ns/net > "$d/$n.netns"; echo "$HOOK_ENV" > "$d/$n.env"; echo "$@" > "$d/$n.args"';

function hooks(ctx, rt, rec) {
  const id = ctx.id('hooks');
  const b = shellBundle(ctx, 'hooks', LOOP, (c) => {
    c.mounts.push({ destination: '/hooklog', type: 'bind', source: '__LOG__', options: ['rbind', 'rw'] });
  });
  const log = join(b.dir, 'hooklog');
  mkdirSync(log);
  const c = b.config;
  c.mounts.find((m) => m.source === '__LOG__').source = log;
  const hook = (name, dir) => ({ path: '/bin/sh', args: ['sh', '-c', HOOK_SCRIPT, 'hook', name, dir], env: [`HOOK_ENV=env-of-${name}`, 'PATH=/usr/sbin:/usr/bin:/sbin:/bin'] });
  c.hooks = Object.fromEntries(HOOKS.map((h) => [h, [hook(h, h === 'startContainer' ? '/hooklog' : log)]]));
  precreateDestinations(b.rootfs, c);
  writeFileSync(join(b.dir, 'config.json'), configText(c));

  rec.mustPass('hooks: create with all six hooks exits 0', rt.create(id, b.dir));
  const pid = rt.state(id)?.pid;
  rec.mustPass('hooks: start exits 0', rt.call(['start', id]));
  waitFor(() => existsSync(join(b.out, 'started')));
  rt.call(['kill', id, 'KILL']);
  waitFor(() => rt.state(id)?.status === 'stopped');
  rec.mustPass('hooks: delete exits 0', rt.call(['delete', id]));
  rt.created.delete(id);

  const order = readOr(join(log, 'order')).split('\n').filter(Boolean);
  const hostNetLink = `net:[${ctx.host.ns.network}]`;
  for (const h of HOOKS) {
    rec.add(`hooks.${h}: runs exactly once`, order.filter((x) => x === h).length === 1, `order: ${order.join(',') || 'none'}`);
  }
  const before = (a, z) => rec.add(`hooks: ${a} runs before ${z}`, order.indexOf(a) >= 0 && order.indexOf(z) > order.indexOf(a), `order: ${order.join(',') || 'none'}`);
  before('prestart', 'createRuntime');
  before('createRuntime', 'createContainer');
  before('createContainer', 'startContainer');
  before('startContainer', 'poststart');
  before('poststart', 'poststop');
  for (const h of HOOKS) {
    let st = null;
    try {
      st = JSON.parse(readOr(join(log, `${h}.state`)));
    } catch {
      /* not JSON */
    }
    rec.add(`hooks.${h}: state JSON on stdin with id and bundle`, st?.id === id && st?.bundle === b.dir, `stdin: ${readOr(join(log, `${h}.state`)).slice(0, 160) || 'empty'}`);
    const ns = readOr(join(log, `${h}.netns`)).trim();
    const inContainer = h === 'createContainer' || h === 'startContainer';
    // runtime.md: the pid as seen by the runtime, or by the container for hooks run in it (pid namespace: 1)
    const wantPid = inContainer ? 1 : pid;
    if (h !== 'poststop') rec.add(`hooks.${h}: state on stdin carries the pid as seen ${inContainer ? 'in the container (1)' : 'by the runtime'}`, !!pid && st?.pid === wantPid, `pid ${st?.pid}, want ${wantPid}`);
    rec.add(`hooks.${h}: runs in the ${inContainer ? 'container' : 'runtime'} namespace (network)`, ns !== '' && (inContainer ? ns !== hostNetLink : ns === hostNetLink), `netns ${ns || 'unknown'} host ${hostNetLink}`);
  }
  rec.add('hooks[].args: passed to the hook', readOr(join(log, 'prestart.args')).trim() === `prestart ${log}`, `args "${readOr(join(log, 'prestart.args')).trim()}"`);
  rec.add('hooks[].env: passed to the hook', readOr(join(log, 'prestart.env')).trim() === 'env-of-prestart', `env "${readOr(join(log, 'prestart.env')).trim()}"`);
}

function hookFailures(ctx, rt, rec) {
  for (const h of ['prestart', 'createRuntime', 'createContainer']) {
    const id = ctx.id(`hookfail-${h}`);
    const b = shellBundle(ctx, `hook-fails-${h}`, LOOP, (c) => {
      c.hooks = { [h]: [FAILING_HOOK] };
    });
    rt.created.add(id);
    const r = rt.create(id, b.dir);
    rec.mustFail(`hooks.${h} failing: create fails`, r);
    const st = rt.state(id);
    rec.add(`hooks.${h} failing: no container left running`, !st || st.status === 'stopped', `state ${st?.status}`);
  }
  for (const h of ['startContainer', 'poststart']) {
    const id = ctx.id(`hookfail-${h}`);
    const b = shellBundle(ctx, `hook-fails-${h}`, LOOP, (c) => {
      c.hooks = { [h]: [FAILING_HOOK] };
    });
    rt.create(id, b.dir);
    const r = rt.call(['start', id]);
    rec.mustFail(`hooks.${h} failing: start fails`, r);
    const st = waitFor(() => {
      const s = rt.state(id);
      return !s || s.status === 'stopped' ? s ?? 'gone' : null;
    }, 2000);
    rec.add(`hooks.${h} failing: the container is stopped`, !!st, `state ${rt.state(id)?.status}`);
    rt.call(['delete', '--force', id]);
    rt.created.delete(id);
  }
  {
    const id = ctx.id('hook-timeout');
    const b = shellBundle(ctx, 'hook-timeout', LOOP, (c) => {
      c.hooks = { createRuntime: [{ path: '/bin/sleep', args: ['sleep', '10'], timeout: 1 }] };
    });
    rt.created.add(id);
    const t0 = Date.now();
    const r = rt.create(id, b.dir);
    const took = Date.now() - t0;
    rec.add('hooks[].timeout 1: create fails once the hook overruns', r.code !== 0 && took < 8000, `${brief(r)} after ${took} ms`);
  }
  {
    const id = ctx.id('poststop-fails');
    const b = shellBundle(ctx, 'poststop-fails', LOOP, (c) => {
      c.hooks = { poststop: [FAILING_HOOK] };
    });
    const steps = [rt.create(id, b.dir), rt.call(['start', id]), rt.call(['kill', id, 'KILL'])].map(brief).join('; ');
    const stopped = waitFor(() => rt.state(id)?.status === 'stopped', 5000);
    const r = rt.call(['delete', id]);
    const gone = rt.call(['state', id]).code !== 0;
    rec.add('hooks.poststop failing: only a warning, delete succeeds', r.code === 0 && gone, `delete: ${brief(r)}; gone ${gone}; stopped before delete ${!!stopped}; create/start/kill: ${steps}`);
  }
}

/** config.md Extensibility: unknown properties are ignored, not errors. */
function unknownProperties(ctx, rt, rec) {
  const b = shellBundle(ctx, 'unknown-properties', 'exit 0', (c) => {
    c['org.conformance.unknown'] = { nested: [1, 2] };
    c.linux['org.conformance.unknown'] = true;
    c.process['org.conformance.unknown'] = 'x';
  });
  const r = rt.run(ctx.id('unknown-properties'), b.dir);
  rec.add('config.md extensibility: unknown properties are ignored (the container runs)', r.code === 0, brief(r));
}

/** kill is allowed on a created container; config.json edits after create change nothing. */
function createdContainer(ctx, rt, rec) {
  {
    const id = ctx.id('kill-created');
    const b = shellBundle(ctx, 'kill-created', LOOP);
    rt.create(id, b.dir);
    rec.mustPass('kill of a created container: exits 0 (created is a killable state)', rt.call(['kill', id, 'KILL']));
    rec.add('kill of a created container: status becomes "stopped"', waitFor(() => rt.state(id)?.status === 'stopped'), `state ${rt.state(id)?.status}`);
    rec.add('kill of a created container: the user program never ran', !existsSync(join(b.out, 'started')), 'marker written');
    rt.call(['delete', '--force', id]);
    rt.created.delete(id);
  }
  {
    const id = ctx.id('config-update');
    const b = shellBundle(ctx, 'config-update', LOOP);
    rt.create(id, b.dir);
    const changed = { ...b.config, process: { ...b.config.process, args: ['/bin/sh', '-c', `touch /out/changed; ${LOOP}`] } };
    writeFileSync(join(b.dir, 'config.json'), configText(changed));
    rt.call(['start', id]);
    const ran = waitFor(() => existsSync(join(b.out, 'started')) || existsSync(join(b.out, 'changed')));
    rec.add('runtime.md: config.json edits after create do not affect the container', !!ran && existsSync(join(b.out, 'started')) && !existsSync(join(b.out, 'changed')), ran ? 'the edited process ran' : 'nothing ran');
    rt.call(['delete', '--force', id]);
    rt.created.delete(id);
  }
  {
    const id = ctx.id('no-process');
    const b = shellBundle(ctx, 'no-process', 'exit 0', (c) => {
      delete c.process;
    });
    rt.created.add(id);
    rt.create(id, b.dir);
    rec.mustFail('start of a container whose config has no process: error', rt.call(['start', id]));
  }
}

/**
 * linux.seccomp.listenerPath: with an SCMP_ACT_NOTIFY rule the runtime sends
 * the container process state and the seccomp fd to the agent's socket.
 */
function seccompNotify(ctx, rt, rec) {
  const name = 'seccomp-notify';
  const b = shellBundle(ctx, name, 'exit 0', (c) => {
    c.linux.seccomp = {
      defaultAction: 'SCMP_ACT_ALLOW',
      architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
      listenerPath: '__SOCK__',
      listenerMetadata: 'conformance-metadata',
      syscalls: [{ names: ['acct'], action: 'SCMP_ACT_NOTIFY' }],
    };
  });
  const sock = join(b.dir, 'agent.sock');
  const got = join(b.dir, 'agent.out');
  b.config.linux.seccomp.listenerPath = sock;
  writeFileSync(join(b.dir, 'config.json'), configText(b.config));
  const agent = spawn(ctx.listener, [sock, got], { stdio: 'ignore' });
  ctx.onCleanup(() => agent.kill('SIGKILL'));
  waitFor(() => existsSync(sock), 3000);
  const id = ctx.id(name);
  const r = rt.run(id, b.dir);
  const text = waitFor(() => (existsSync(got) ? readOr(got) : ''), 3000) || '';
  agent.kill('SIGKILL');
  const [first, ...rest] = text.split('\n');
  let st = null;
  try {
    st = JSON.parse(rest.join('\n'));
  } catch {
    /* not JSON */
  }
  rec.add('linux.seccomp.listenerPath: the container runs with an SCMP_ACT_NOTIFY rule', r.code === 0, brief(r));
  rec.add('linux.seccomp.listenerPath: one seccomp fd sent with SCM_RIGHTS, named "seccompFd" in fds', first === 'fds 1' && st?.fds?.[0] === 'seccompFd', `${first || 'nothing received'}; fds ${JSON.stringify(st?.fds)}`);
  rec.add('linux.seccomp.listenerMetadata: sent as metadata', st?.metadata === 'conformance-metadata', `metadata ${JSON.stringify(st?.metadata)}`);
  // nobody listens any more: sending fails, and so must the container's start
  const r2 = rt.run(ctx.id(`${name}-noagent`), b.dir);
  rec.add('linux.seccomp.listenerPath: no agent listening: the runtime fails', r2.code !== 0 && !r2.timedOut, brief(r2));
  rec.add('linux.seccomp.listenerPath: container process state carries ociVersion, pid and the container state', typeof st?.ociVersion === 'string' && st?.pid > 0 && st?.state?.id === id && st?.state?.bundle === b.dir, `state ${rest.join(' ').slice(0, 200) || 'none'}`);
}

/** "1.2.3-dev" -> comparable tuple (pre-release sorts before the release). */
function semverKey(v) {
  const m = /^(\d+)\.(\d+)\.(\d+)(-.+)?$/.exec(v ?? '');
  return m ? [Number(m[1]), Number(m[2]), Number(m[3]), m[4] ? 0 : 1] : null;
}
const semverLE = (a, b) => {
  for (let i = 0; i < 4; i++) if (a[i] !== b[i]) return a[i] < b[i];
  return true;
};

/**
 * features.md: the features document, and what it promises: both ociVersion
 * bounds accepted, every namespace type it lists usable.
 */
function features(ctx, rt, rec) {
  const r = rt.call(['features']);
  let f = null;
  try {
    f = JSON.parse(r.stdout);
  } catch {
    /* not JSON */
  }
  rec.add('features: prints the features document (JSON)', r.code === 0 && !!f, brief(r));
  if (!f) return;
  const min = semverKey(f.ociVersionMin);
  const max = semverKey(f.ociVersionMax);
  rec.add('features: ociVersionMin and ociVersionMax are versions, min <= max', !!min && !!max && semverLE(min, max), `min ${f.ociVersionMin} max ${f.ociVersionMax}`);
  for (const [what, v] of [['ociVersionMin', f.ociVersionMin], ['ociVersionMax', f.ociVersionMax]]) {
    const name = `features-${what}`;
    const b = shellBundle(ctx, name, 'exit 0', (c) => {
      c.ociVersion = v;
    });
    const rr = rt.run(ctx.id(name), b.dir);
    rec.add(`features.${what} (${v}): accepted as config.json ociVersion`, rr.code === 0, brief(rr));
  }
  const hooksOk = Array.isArray(f.hooks) && f.hooks.every((h) => HOOKS.includes(h));
  rec.add('features.hooks: only hook names the spec defines', hooksOk, `hooks ${JSON.stringify(f.hooks)}`);
  for (const type of f.linux?.namespaces ?? []) {
    const name = `features-ns-${type}`;
    const b = shellBundle(ctx, name, 'exit 0', (c) => {
      if (!c.linux.namespaces.some((n) => n.type === type)) c.linux.namespaces.push({ type });
      if (type === 'user') {
        c.linux.uidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
        c.linux.gidMappings = [{ containerID: 0, hostID: 100000, size: 65536 }];
      }
    });
    if (type === 'user') precreateDestinations(b.rootfs, b.config);
    writeFileSync(join(b.dir, 'config.json'), configText(b.config));
    const rr = rt.run(ctx.id(name), b.dir);
    rec.add(`features.linux.namespaces lists ${type}: a config with a new ${type} namespace runs`, rr.code === 0, brief(rr));
  }
}

/** The spec version this suite is written against must be accepted as such. */
function specVersion(ctx, rt, rec) {
  const b = shellBundle(ctx, 'spec-version', 'exit 0', (c) => {
    c.ociVersion = SPEC_VERSION;
  });
  const r = rt.run(ctx.id('spec-version'), b.dir);
  rec.add(`ociVersion ${SPEC_VERSION}: a config of this spec version runs`, r.code === 0, brief(r));
}

function exitCodes(ctx, rt, rec) {
  for (const [code, script] of [[0, 'exit 0'], [1, 'exit 1'], [3, 'exit 3'], [137, 'kill -9 $$']]) {
    const name = `run-exit-${code}`;
    // no pid namespace: a pid-1 shell cannot SIGKILL itself
    const b = shellBundle(ctx, name, script, (c) => {
      c.linux.namespaces = c.linux.namespaces.filter((n) => n.type !== 'pid');
    });
    const r = rt.run(ctx.id(name), b.dir);
    rec.add(`run: exit status ${code} ${code === 137 ? '(process killed by SIGKILL: 128+9)' : `(process exits ${code})`}`, r.code === code, brief(r));
  }
}

/** Configs the spec says a runtime must refuse: create fails and leaves nothing behind. */
function refusals(ctx, rt, rec) {
  const cases = [
    ['process.rlimits: duplicate type', (c) => c.process.rlimits.push({ type: 'RLIMIT_NOFILE', soft: 10, hard: 10 })],
    ['linux.namespaces: duplicate type', (c) => c.linux.namespaces.push({ type: 'uts' })],
    ['linux.namespaces[].path: not a namespace of that type', (c) => {
      c.linux.namespaces = c.linux.namespaces.filter((n) => n.type !== 'network');
      c.linux.namespaces.push({ type: 'network', path: '/proc/self/ns/uts' });
    }],
    ['process.rlimits: hard limit above what can be granted', (c) => c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 1024, hard: Number(ctx.host.limits.RLIMIT_NOFILE?.hard ?? 1048576) * 2 }]],
    ['linux.devices: path exists as a different file', (c, b) => {
      writeFileSync(join(b.rootfs, 'not-a-device'), 'x');
      c.linux.devices = [{ path: '/not-a-device', type: 'c', major: 1, minor: 3 }];
    }],
    ['process.rlimits: unknown type', (c) => c.process.rlimits.push({ type: 'RLIMIT_NOT_A_LIMIT', soft: 1, hard: 1 })],
    ['linux.resources.network while no net_cls/net_prio hierarchy is mounted (controller not present)', (c) => {
      c.linux.resources = { network: { classID: 1048577 } };
    }],
    ['linux.resources.rdma while no rdma hierarchy is mounted (controller not present)', (c) => {
      c.linux.resources = { rdma: { mlx5_1: { hcaHandles: 3, hcaObjects: 10000 } } };
    }],
    ['linux.resources.unified on a host whose cgroup2 mount has no memory controller', (c) => {
      c.linux.resources = { unified: { 'memory.max': '67108864' } };
    }],
    ['process.rlimits: soft above hard (invalid value)', (c) => {
      c.process.rlimits = [{ type: 'RLIMIT_NOFILE', soft: 2048, hard: 1024 }];
    }],
    ['linux.rootfsPropagation: invalid value', (c) => {
      c.linux.rootfsPropagation = 'sideways';
    }],
    ['linux.namespaces[].type: invalid value', (c) => {
      c.linux.namespaces.push({ type: 'nonsense' });
    }],
    ['linux.seccomp.defaultAction: invalid value', (c) => {
      c.linux.seccomp = { defaultAction: 'SCMP_ACT_NONSENSE' };
    }],
  ];
  cases.forEach(([what, mutate], i) => {
    const name = `refuse-${i}`;
    const id = ctx.id(name);
    const b = ctx.ws.newBundle(name);
    const c = baseConfig(ctx.cgroupsPath(name), ctx.ociVersion);
    c.process.args = ['/bin/true'];
    mutate(c, b);
    precreateDestinations(b.rootfs, c);
    writeFileSync(join(b.dir, 'config.json'), configText(c));
    rt.created.add(id);
    const r = rt.create(id, b.dir);
    rec.mustFail(`${what}: create fails`, r);
    const st = rt.state(id);
    rec.add(`${what}: no container is left`, st === null, `state ${st?.status}`);
  });
}

/**
 * config-linux.md: hugepageLimits need the hugetlb controller. On a hybrid
 * host whose hugetlb lives only on the cgroup2 mount (this machine), the
 * controller is present but not in v1: a runtime may refuse (runc does), or
 * enforce the limit in the cgroup2 hierarchy. Ignoring it silently is wrong.
 */
function hugetlbOnlyOnCgroup2(ctx, rt, rec) {
  const what = 'linux.resources.hugepageLimits with hugetlb only on the cgroup2 mount';
  const v1 = existsSync('/sys/fs/cgroup/hugetlb');
  const v2 = existsSync('/sys/fs/cgroup/unified/cgroup.controllers') &&
    readFileSync('/sys/fs/cgroup/unified/cgroup.controllers', 'utf8').split(/\s+/).includes('hugetlb');
  if (v1 || !v2) return;
  const name = 'hugetlb-v2-only';
  const id = ctx.id(name);
  const b = ctx.ws.newBundle(name);
  const cgroupsPath = ctx.cgroupsPath(name);
  const c = baseConfig(cgroupsPath, ctx.ociVersion);
  c.process.args = ['/bin/true'];
  c.linux.resources = { hugepageLimits: [{ pageSize: '2MB', limit: 2097152 }] };
  writeFileSync(join(b.dir, 'config.json'), configText(c));
  rt.created.add(id);
  const r = rt.create(id, b.dir);
  if (r.code !== 0) {
    rec.add(`${what}: refused, or enforced on cgroup2`, true, 'refused');
    rec.add(`${what}: no container is left after a refusal`, rt.state(id) === null, `state ${rt.state(id)?.status}`);
    return;
  }
  const file = join('/sys/fs/cgroup/unified', cgroupsPath, 'hugetlb.2MB.max');
  const got = existsSync(file) ? readFileSync(file, 'utf8').trim() : 'missing';
  rec.add(`${what}: refused, or enforced on cgroup2`, got === '2097152', `hugetlb.2MB.max ${got}`);
  rt.call(['delete', '--force', id]);
  rec.add(`${what}: no container is left after a refusal`, true, 'not refused');
}

/** runtime.md create: an id that is not valid must be refused. */
function invalidId(ctx, rt, rec) {
  const b = shellBundle(ctx, 'invalid-id', 'exit 0');
  const bad = '../conformance-escape';
  const r = rt.create(bad, b.dir);
  rt.created.add(bad);
  rec.mustFail('create with an invalid id (../ path): error', r);
}

/**
 * @param {any} ctx {ws, host, id(name), cgroupsPath(name)}
 * @param {import('./runtime.mjs').Runtime} rt
 * @returns {Outcome[]}
 */
export function runLifecycle(ctx, rt) {
  const rec = new Recorder();
  for (const part of [specVersion, features, unknownProperties, stateMachine, createdContainer, missingId, forceDelete, hooks, hookFailures, seccompNotify, exitCodes, refusals, hugetlbOnlyOnCgroup2, invalidId]) {
    try {
      part(ctx, rt, rec);
    } catch (err) {
      rec.add(`${part.name}: the sequence ran to the end`, false, String(err?.stack ?? err).split('\n')[0]);
    }
  }
  return rec.out;
}
