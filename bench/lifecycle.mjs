// Lifecycle steps of `npm run bench`, the same for tsrun, runc and crun:
// create, start, state (running), kill, delete, the create+start+wait+delete
// cycle from the command line, and run; and the metrics too heavy to
// interleave: 50 containers, list with 100 containers, the init's VmRSS.
// Every container gets an absolute cgroupsPath under the run's own parent
// (/tsrun-bench-<pid>/...), never the machine's default placement.
import { readFileSync } from 'node:fs';

const LIFECYCLE_ITERATIONS = 15;

/** crun 1.8 refuses a hybrid host (v1 + a cgroup2 mount): hide the cgroup2 mount in a private mount namespace. */
function hybrid() {
  try {
    return / \/sys\/fs\/cgroup\/unified /.test(readFileSync('/proc/self/mountinfo', 'utf8'));
  } catch {
    return false;
  }
}

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

/** The argv of one runtime command. */
function rt(ctx, r, args) {
  return [...(r.wrapper ?? []), r.bin(ctx), '--root', r.root(ctx), ...args];
}

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

function forceDelete(ctx, r, id) {
  ctx.run(rt(ctx, r, ['delete', '--force', id]), { stdio: 'ignore' });
}

/** Delete every container left under the runtime's root (after a failure, say). */
function deleteAll(ctx, r) {
  const res = run(ctx, r, ['list', '-q']);
  for (const id of res.stdout.split('\n').filter(Boolean)) forceDelete(ctx, r, id);
}

function shellQuote(a) {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
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
  const base = { group: 'lifecycle', available: available(r), iterations: LIFECYCLE_ITERATIONS, cleanup: (ctx) => deleteAll(ctx, r) };
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
      iterations: undefined,
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
      name: `${r.name} create+start+wait+delete (sh, polling state)`,
      prepare: (ctx) => void (ctx[`${r.key}True`] = trueBundle(ctx)),
      argv: (ctx, i) => {
        const c = rt(ctx, r, []).map(shellQuote).join(' ');
        const cid = id(r, 'cycle', i);
        const script =
          `set -e; ${c} create --bundle ${shellQuote(ctx[`${r.key}True`])} ${cid}; ${c} start ${cid}; ` +
          `until ${c} state ${cid} | grep -q stopped; do :; done; ${c} delete ${cid}`;
        return ['sh', '-c', script];
      },
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
  ];
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

export const lifecycleRatios = ['create', 'start', 'state', 'kill', 'delete', 'cycle', 'run'].flatMap((s) => [
  [`tsrun-${s}`, `runc-${s}`],
  [`tsrun-${s}`, `crun-${s}`],
]);

function timeMs(fn) {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

function median(values) {
  const v = [...values].sort((a, b) => a - b);
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
}

function metricsFor(r) {
  return [
    {
      id: `${r.key}-50`,
      name: `${r.name}: 50 containers (create+start each, then delete --force each)`,
      available: available(r),
      collect: (ctx) => {
        const ids = Array.from({ length: 50 }, (_, n) => `m50-${r.key}-${n}`);
        const bundles = ids.map((cid) => ctx.lightBundle(cid, { args: ['sleep', '1000'], patch: r.patch }));
        try {
          const up = timeMs(() => ids.forEach((cid, n) => {
            quiet(ctx, r, ['create', '--bundle', bundles[n], cid]);
            quiet(ctx, r, ['start', cid]);
          }));
          const down = timeMs(() => ids.forEach((cid) => quiet(ctx, r, ['delete', '--force', cid])));
          return { value: `${(up / 1000).toFixed(2)} s up, ${(down / 1000).toFixed(2)} s down`, unit: '', note: 'sequential, wall time' };
        } finally {
          deleteAll(ctx, r);
        }
      },
    },
    {
      id: `${r.key}-list100`,
      name: `${r.name}: list with 100 created containers`,
      available: available(r),
      collect: (ctx) => {
        const ids = Array.from({ length: 100 }, (_, n) => `l100-${r.key}-${n}`);
        try {
          ids.forEach((cid) => quiet(ctx, r, ['create', '--bundle', ctx.lightBundle(cid, { args: ['sleep', '1000'], patch: r.patch }), cid]));
          const times = Array.from({ length: 15 }, () => timeMs(() => quiet(ctx, r, ['list'])));
          return { value: median(times).toFixed(2), unit: 'ms', note: 'median of 15' };
        } finally {
          deleteAll(ctx, r);
        }
      },
    },
    {
      id: `${r.key}-init-rss`,
      name: `${r.name}: VmRSS of the container's process while created (waiting for start)`,
      available: available(r),
      collect: (ctx) => {
        const cid = `rss-${r.key}`;
        try {
          quiet(ctx, r, ['create', '--bundle', ctx.lightBundle(cid, { args: ['sleep', '1000'], patch: r.patch }), cid]);
          const pid = status(ctx, r, cid)?.pid;
          const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
          return { value: (Number(kb) / 1024).toFixed(1), unit: 'MiB', note: `pid ${pid}, /proc/<pid>/status` };
        } finally {
          deleteAll(ctx, r);
        }
      },
    },
  ];
}

export const lifecycleMetrics = runtimes.flatMap(metricsFor);
