// The named steps `npm run bench` measures, and the ratios it reports. The
// lifecycle steps and metrics (create, start, state, kill, delete, the cycle,
// run, state/list with 100 containers, 50 containers with the init's VmRSS
// and Pss) live in bench/lifecycle.mjs,
// one set per runtime; `--no-lifecycle` leaves them out (no root needed then).
//
// A step is one command line, timed from spawn to exit, many times, in an
// order that rotates with every iteration so that no step always runs first
// or after the same neighbour. To add a lifecycle step (create, start, kill,
// delete, the create+start+wait+delete cycle, run, list of 100 containers),
// append an object here:
//
//   {
//     id: 'tsrun-create',               // used by `ratios` and --only
//     name: 'tsrun create',             // the row title in RESULTS.md
//     group: 'lifecycle',               // RESULTS.md section
//     available: (ctx) => true | 'why not',   // checked once; a string skips the step, with the reason
//     prepare: (ctx) => {},             // once, untimed (make a bundle: ctx.bundle())
//     argv: (ctx, i) => [ctx.tsrun, '--root', ctx.root, 'create', ...], // per iteration, timed by bench/probe.c
//                                       // ([CYCLE, id, bundle, pidfile, ...runtime argv]: a subreaper cycle)
//     before: (ctx, i) => {},           // untimed, before each timed call
//     after: (ctx, i) => {},            // untimed, after each timed call (delete what it made)
//     cleanup: (ctx) => {},             // once at the end, also after a failure
//     expect: 0,                        // exit status every timed call must have
//   }
//
// Values that are not a command's duration (the init's VmRSS, say) are
// `metrics`: { id, name, available, collect: (ctx) => ({ value, unit, note }) }.
//
// ctx: { node, tsrun, runc, crun, root (a temp --root for tsrun), runcRoot,
// crunRoot, tmp (a temp dir), env (NODE_OPTIONS/NODE_EXTRA_CA_CERTS removed),
// run(argv, opts) (spawnSync with ctx.env, returns {status, stdout, stderr};
// pass stdio 'ignore' for create/run: a container keeps a pipe open),
// runToFiles(argv), bundle(name, opts) (a full busybox bundle),
// lightBundle(name, {args, patch}) (config.json over one shared rootfs);
// both set cgroupsPath to /tsrun-bench-<pid>/<name>, removed at the end }.

import { lifecycleMetrics, lifecycleRatios, lifecycleSteps } from './lifecycle.mjs';

const has = (key) => (ctx) => (ctx[key] ? true : `${key} is not installed`);

export const steps = [
  { id: 'spawn', name: '/bin/true (spawn cost of the harness)', group: 'baseline', argv: () => ['/bin/true'] },
  { id: 'floor', name: 'node -e 0 (the Node floor)', group: 'baseline', argv: (ctx) => [ctx.node, '-e', '0'] },
  {
    id: 'nolauncher-version',
    name: 'node --no-warnings dist/tsrun.cjs --version (no launcher)',
    group: 'baseline',
    argv: (ctx) => [ctx.node, '--no-warnings', `${ctx.repoRoot}/dist/tsrun.cjs`, '--version'],
  },

  { id: 'tsrun-version', name: 'tsrun --version', group: 'version', argv: (ctx) => [ctx.tsrun, '--version'] },
  { id: 'runc-version', name: 'runc --version', group: 'version', available: has('runc'), argv: (ctx) => [ctx.runc, '--version'] },
  { id: 'crun-version', name: 'crun --version', group: 'version', available: has('crun'), argv: (ctx) => [ctx.crun, '--version'] },

  {
    id: 'tsrun-state-missing',
    name: 'tsrun state <missing>',
    group: 'state',
    expect: 1,
    argv: (ctx) => [ctx.tsrun, '--root', ctx.root, 'state', 'missing'],
  },
  {
    id: 'runc-state-missing',
    name: 'runc state <missing>',
    group: 'state',
    expect: 1,
    available: has('runc'),
    argv: (ctx) => [ctx.runc, '--root', ctx.runcRoot, 'state', 'missing'],
  },
  {
    id: 'crun-state-missing',
    name: 'crun state <missing>',
    group: 'state',
    expect: 1,
    available: has('crun'),
    argv: (ctx) => [ctx.crun, '--root', ctx.crunRoot, 'state', 'missing'],
  },
  // bench/lifecycle.mjs: create, start, state, kill, delete, cycle, run for each runtime.
  ...lifecycleSteps,
];

// Where tsrun's time goes, from inside the process: performance.now() at exit
// (ms since the process started, so exec and teardown are left out), and the
// cost of requiring each subcommand bundle in a fresh node.
const atExit = (id, name, args) => ({
  id,
  name,
  collect: (ctx) => ({ value: ctx.medianInProcess(args).toFixed(2), unit: 'ms', note: 'median of 15, performance.now() at exit' }),
});
const requireCost = (file) => ({
  id: `require-${file}`,
  name: `require dist/${file}`,
  available: (ctx) => (ctx.exists(`dist/${file}`) ? true : `dist/${file} is not built`),
  collect: (ctx) => ({ value: ctx.medianRequire(`dist/${file}`).toFixed(2), unit: 'ms', note: 'median of 15, in a fresh node, from a CJS main' }),
});

export const metrics = [
  atExit('exit-floor', 'node -e 0: JS time at exit', ['-e', '0']),
  atExit('exit-version', 'dist/tsrun.cjs --version: JS time at exit', ['dist/tsrun.cjs', '--version']),
  atExit('exit-state', 'dist/tsrun.cjs state <missing>: JS time at exit', ['dist/tsrun.cjs', '--root', '{root}', 'state', 'missing']),
  ...['cli-state.cjs', 'cli-kill.cjs', 'cli-start.cjs', 'cli-delete.cjs', 'cli-list.cjs', 'cli-run.cjs', 'cli-create.cjs', 'cli-program.cjs'].map(requireCost),
  // 50 containers back to back, the init's VmRSS and Pss (bench/lifecycle.mjs).
  ...lifecycleMetrics.map((m) => ({ ...m, lifecycle: true })),
];

/** [numerator, denominator, target, factor]: median of the paired ratios (pairedRatio in run.mjs); a target makes it pass/fail. */
export const ratios = [
  ['tsrun-version', 'floor', 1.2],
  ['tsrun-state-missing', 'floor', 1.2],
  ['tsrun-version', 'runc-version'],
  ['tsrun-state-missing', 'runc-state-missing'],
  ['tsrun-version', 'crun-version'],
  ['tsrun-state-missing', 'crun-state-missing'],
  ...lifecycleRatios,
];
