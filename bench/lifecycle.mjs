// Lifecycle steps of `npm run bench`, the same for tsrun, runc and crun:
// create, start, state (running), kill, delete, the create+start+wait+delete
// cycle driven by a subreaper (bench/probe.c), run, and state/list with 100
// containers present; and the metric too heavy to interleave: 50 containers
// back to back (with the init's VmRSS and Pss between create and start).
// Every container gets an absolute cgroupsPath under the run's own parent
// (/tsrun-bench-<pid>/...), never the machine's default placement.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CYCLE, stats, timeOnce } from './harness.mjs';

/** Containers present while `state` and `list` are timed. */
const CROWD = 100;
/** Containers created and started back to back. */
const BATCH = 50;

/** crun 1.8 refuses a hybrid host (v1 + a cgroup2 mount): hide the cgroup2 mount in a private mount namespace. */
function hybrid() {
  try {
    return / \/sys\/fs\/cgroup\/unified /.test(readFileSync('/proc/self/mountinfo', 'utf8'));
  } catch {
    return false;
  }
}

export const crunWrapped = hybrid;

const CRUN_WRAPPER = ['unshare', '-m', 'sh', '-c', 'umount -l /sys/fs/cgroup/unified 2>/dev/null; exec "$0" "$@"'];

export const runtimes = [
  { key: 'tsrun', name: 'tsrun', bin: (ctx) => ctx.tsrun, root: (ctx) => ctx.root },
  { key: 'runc', name: 'runc', bin: (ctx) => ctx.runc, root: (ctx) => ctx.runcRoot },
  {
    key: 'crun',
    name: hybrid() ? 'crun (in an unshare -m wrapper)' : 'crun',
    bin: (ctx) => ctx.crun,
    root: (ctx) => ctx.crunRoot,
    wrapper: hybrid() ? CRUN_WRAPPER : [],
    // crun 1.8 knows runtime-spec versions up to 1.1.
    patch: (config) => void (config.ociVersion = '1.0.2'),
  },
];

/** The argv of one runtime command (`root`: another state root than the runtime's usual one). */
function rt(ctx, r, args, root = r.root(ctx)) {
  return [...(r.wrapper ?? []), r.bin(ctx), '--root', root, ...args];
}

/** The state root of the crowd of CROWD containers, apart so no other step sees them. */
const crowdRoot = (ctx, r) => `${r.root(ctx)}-crowd`;

function run(ctx, r, args) {
  return ctx.run(rt(ctx, r, args), { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** create/start helpers whose stdio is /dev/null: a pipe would be held open by the container. */
function quiet(ctx, r, args) {
  const res = ctx.run(rt(ctx, r, args), { stdio: 'ignore' });
  if (res.status !== 0) throw new Error(`${r.key} ${args.join(' ')}: exit ${res.status}`);
}

function status(ctx, r, id) {
  const res = run(ctx, r, ['state', id]);
  if (res.status !== 0) return null;
  try {
    return JSON.parse(res.stdout);
  } catch {
    return null;
  }
}

function waitStopped(ctx, r, id, ms = 10_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (status(ctx, r, id)?.status === 'stopped') return;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
  }
  throw new Error(`${r.key}: ${id} did not stop`);
}

function forceDelete(ctx, r, id, root) {
  ctx.run(rt(ctx, r, ['delete', '--force', id], root), { stdio: 'ignore' });
}

/** Delete every container left under the runtime's root (after a failure, say). */
function deleteAll(ctx, r, root = r.root(ctx)) {
  const res = ctx.run(rt(ctx, r, ['list', '-q'], root), { stdio: ['ignore', 'pipe', 'pipe'] });
  for (const id of res.stdout.split('\n').filter(Boolean)) forceDelete(ctx, r, id, root);
}

const id = (r, what, i) => `${what}-${r.key}-${i + 1}`;

function available(r) {
  return (ctx) => {
    if (!r.bin(ctx)) return `${r.key} is not installed`;
    if (process.getuid?.() !== 0) return 'needs root (real containers)';
    return true;
  };
}

function stepsFor(r) {
  const sleepBundle = (ctx) => ctx.lightBundle(`sleep-${r.key}`, { args: ['sleep', '1000'], patch: r.patch });
  const trueBundle = (ctx) => ctx.lightBundle(`true-${r.key}`, { args: ['true'], patch: r.patch });
  const base = { group: 'lifecycle', available: available(r), cleanup: (ctx) => deleteAll(ctx, r) };
  return [
    {
      ...base,
      id: `${r.key}-create`,
      name: `${r.name} create`,
      prepare: (ctx) => void (ctx[`${r.key}Sleep`] = sleepBundle(ctx)),
      argv: (ctx, i) => rt(ctx, r, ['create', '--bundle', ctx[`${r.key}Sleep`], id(r, 'create', i)]),
      after: (ctx, i) => forceDelete(ctx, r, id(r, 'create', i)),
    },
    {
      ...base,
      id: `${r.key}-start`,
      name: `${r.name} start`,
      prepare: (ctx) => void (ctx[`${r.key}Sleep`] = sleepBundle(ctx)),
      before: (ctx, i) => quiet(ctx, r, ['create', '--bundle', ctx[`${r.key}Sleep`], id(r, 'start', i)]),
      argv: (ctx, i) => rt(ctx, r, ['start', id(r, 'start', i)]),
      after: (ctx, i) => forceDelete(ctx, r, id(r, 'start', i)),
    },
    {
      ...base,
      id: `${r.key}-state`,
      name: `${r.name} state (running)`,
      prepare: (ctx) => {
        const bundle = sleepBundle(ctx);
        quiet(ctx, r, ['create', '--bundle', bundle, `state-${r.key}`]);
        quiet(ctx, r, ['start', `state-${r.key}`]);
      },
      argv: (ctx) => rt(ctx, r, ['state', `state-${r.key}`]),
    },
    {
      ...base,
      id: `${r.key}-kill`,
      name: `${r.name} kill KILL`,
      prepare: (ctx) => void (ctx[`${r.key}Sleep`] = sleepBundle(ctx)),
      before: (ctx, i) => {
        quiet(ctx, r, ['create', '--bundle', ctx[`${r.key}Sleep`], id(r, 'kill', i)]);
        quiet(ctx, r, ['start', id(r, 'kill', i)]);
      },
      argv: (ctx, i) => rt(ctx, r, ['kill', id(r, 'kill', i), 'KILL']),
      after: (ctx, i) => forceDelete(ctx, r, id(r, 'kill', i)),
    },
    {
      ...base,
      id: `${r.key}-delete`,
      name: `${r.name} delete (stopped)`,
      prepare: (ctx) => void (ctx[`${r.key}True`] = trueBundle(ctx)),
      before: (ctx, i) => {
        quiet(ctx, r, ['create', '--bundle', ctx[`${r.key}True`], id(r, 'delete', i)]);
        quiet(ctx, r, ['start', id(r, 'delete', i)]);
        waitStopped(ctx, r, id(r, 'delete', i));
      },
      argv: (ctx, i) => rt(ctx, r, ['delete', id(r, 'delete', i)]),
      after: (ctx, i) => forceDelete(ctx, r, id(r, 'delete', i)),
    },
    {
      ...base,
      id: `${r.key}-cycle`,
      name: `${r.name} create+start+wait+delete of true (subreaper, as containerd)`,
      prepare: (ctx) => void (ctx[`${r.key}True`] = trueBundle(ctx)),
      argv: (ctx, i) => [CYCLE, id(r, 'cycle', i), ctx[`${r.key}True`], join(ctx.tmp, `cycle-${r.key}.pid`), ...rt(ctx, r, [])],
      after: (ctx, i) => forceDelete(ctx, r, id(r, 'cycle', i)),
    },
    {
      ...base,
      id: `${r.key}-run`,
      name: `${r.name} run (true, foreground)`,
      prepare: (ctx) => void (ctx[`${r.key}True`] = trueBundle(ctx)),
      argv: (ctx, i) => rt(ctx, r, ['run', '--bundle', ctx[`${r.key}True`], id(r, 'run', i)]),
      after: (ctx, i) => forceDelete(ctx, r, id(r, 'run', i)),
    },
    {
      ...base,
      id: `${r.key}-crowd-list`,
      name: `${r.name} list (${CROWD} containers present)`,
      group: 'crowd',
      prepare: (ctx) => makeCrowd(ctx, r),
      argv: (ctx) => rt(ctx, r, ['list'], crowdRoot(ctx, r)),
      cleanup: (ctx) => deleteAll(ctx, r, crowdRoot(ctx, r)),
    },
    {
      ...base,
      id: `${r.key}-crowd-state`,
      name: `${r.name} state (${CROWD} containers present)`,
      group: 'crowd',
      prepare: (ctx) => makeCrowd(ctx, r),
      argv: (ctx) => rt(ctx, r, ['state', `crowd-${r.key}-${CROWD / 2}`], crowdRoot(ctx, r)),
      cleanup: (ctx) => deleteAll(ctx, r, crowdRoot(ctx, r)),
    },
  ];
}

/** CROWD created containers (waiting for start) under the runtime's crowd root, made once. */
function makeCrowd(ctx, r) {
  const key = `${r.key}CrowdMade`;
  if (ctx[key]) return;
  ctx[key] = true;
  for (let n = 0; n < CROWD; n++) {
    const cid = `crowd-${r.key}-${n}`;
    ctx.run(rt(ctx, r, ['create', '--bundle', ctx.lightBundle(cid, { args: ['sleep', '1000'], patch: r.patch }), cid], crowdRoot(ctx, r)), { stdio: 'ignore' });
  }
  const listed = ctx.run(rt(ctx, r, ['list', '-q'], crowdRoot(ctx, r)), { stdio: ['ignore', 'pipe', 'pipe'] }).stdout.split('\n').filter(Boolean);
  if (listed.length !== CROWD) throw new Error(`${r.key}: ${listed.length} of ${CROWD} crowd containers created`);
}

export const lifecycleSteps = [
  {
    id: 'crun-wrapper',
    name: 'unshare -m wrapper around /bin/true (included in every crun lifecycle row)',
    group: 'baseline',
    available: () => (hybrid() ? (process.getuid?.() === 0 ? true : 'needs root') : 'not a hybrid cgroup host: crun runs unwrapped'),
    argv: () => [...CRUN_WRAPPER, '/bin/true'],
  },
  ...runtimes.flatMap(stepsFor),
];

/** [numerator, denominator, target, factor]: see pairedRatio() in bench/run.mjs. */
export const lifecycleRatios = [
  // Issue 17's targets: the hot commands (bin/tsrun's fast path) at or under
  // crun's, the cycle at or under runc's, create within 1.3x runc's, list of
  // a crowd at or under runc's.
  ['tsrun-create', 'floor', 1.5],
  ['tsrun-run', 'floor'],
  ['tsrun-crowd-list', 'floor'],
  ...['create', 'start', 'state', 'kill', 'delete', 'cycle', 'run', 'crowd-state', 'crowd-list'].flatMap((s) => [
    [`tsrun-${s}`, `runc-${s}`, { create: 1.3, cycle: 1.0, 'crowd-list': 1.0 }[s]],
    [`tsrun-${s}`, `crun-${s}`, ['start', 'state', 'kill', 'delete'].includes(s) ? 1.0 : undefined],
  ]),
];

/** Peak RSS targets (MiB, median of the step's calls): the fast path's commands run no Node. */
export const rssTargets = Object.fromEntries(['state', 'kill', 'start', 'delete'].map((s) => [`tsrun-${s}`, 2]));

const range = (st, f) => (st ? `${f(st.median)} (${f(st.min)}-${f(st.max)})` : '-');
const ms2 = (v) => v.toFixed(2);
const mib1 = (kib) => (kib / 1024).toFixed(2);

/** VmRSS and Pss (KiB) of a process. */
function memoryOf(pid) {
  const vmRss = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
  const pss = Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1]);
  return { vmRss, pss };
}

function metricsFor(r) {
  return [
    {
      id: `${r.key}-${BATCH}`,
      name: `${r.name}: ${BATCH} containers`,
      available: available(r),
      // Every create, then its start, timed one by one back to back; the init's memory
      // read between the two (untimed); then every delete --force.
      collect: (ctx) => {
        const ids = Array.from({ length: BATCH }, (_, n) => `batch-${r.key}-${n}`);
        const bundles = ids.map((cid) => ctx.lightBundle(cid, { args: ['sleep', '1000'], patch: r.patch }));
        const create = [];
        const start = [];
        const del = [];
        const vmRss = [];
        const pss = [];
        const call = (args, into) => {
          const t = timeOnce(ctx.probe, rt(ctx, r, args), ctx.env);
          if (t.status !== 0) throw new Error(`${r.key} ${args.join(' ')}: exit ${t.status}`);
          into.push(t.ms);
        };
        try {
          ids.forEach((cid, n) => {
            call(['create', '--bundle', bundles[n], cid], create);
            const pid = status(ctx, r, cid)?.pid;
            if (pid) {
              const m = memoryOf(pid);
              vmRss.push(m.vmRss);
              pss.push(m.pss);
            }
            call(['start', cid], start);
          });
          ids.forEach((cid) => call(['delete', '--force', cid], del));
        } finally {
          deleteAll(ctx, r);
        }
        const sum = (v) => v.reduce((a, b) => a + b, 0);
        const up = sum(create) + sum(start);
        return [
          { value: `${((BATCH * 1000) / up).toFixed(1)} containers/s up, ${((BATCH * 1000) / sum(del)).toFixed(1)} /s down`, unit: '', note: `create+start of ${BATCH} back to back, then delete --force of each; time of the calls alone` },
          { value: range(stats(create), ms2), unit: 'ms', note: 'create, median (min-max) of the batch' },
          { value: range(stats(start), ms2), unit: 'ms', note: 'start, median (min-max)' },
          { value: range(stats(del), ms2), unit: 'ms', note: 'delete --force of a running container, median (min-max)' },
          {
            value: range(stats(vmRss), mib1),
            unit: 'MiB',
            note: `the init's VmRSS between create and start (/proc/<pid>/status), median (min-max) of ${vmRss.length}${r.key === 'tsrun' ? `; target <= 2.5 MiB: ${stats(vmRss)?.max <= 2.5 * 1024 ? 'pass' : 'FAIL'}` : ''}`,
          },
          { value: range(stats(pss), mib1), unit: 'MiB', note: `the init's Pss between create and start (/proc/<pid>/smaps_rollup), median (min-max) of ${pss.length}` },
        ];
      },
    },
  ];
}

export const lifecycleMetrics = runtimes.flatMap(metricsFor);
