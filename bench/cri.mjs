// `npm run bench:cri [-- --cycles N --probes N --out FILE | --no-write]`: a
// Kubernetes node's view of the runtime. Through containerd's CRI (the
// private setup of test/integration/cri), side by side for the `tsrun` and
// `runc` handlers, interleaved in alternating order: the full pod cycle a
// kubelet makes (RunPodSandbox, CreateContainer, StartContainer, ExecSync,
// StopContainer, RemoveContainer, StopPodSandbox, RemovePodSandbox, each step
// timed from the client), and the cost of an exec probe (ExecSync `true` on a
// running container). Writes bench/CRI-RESULTS.md. A measurement, not a test.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import * as esbuild from 'esbuild';

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const HANDLERS = ['tsrun', 'runc'];
const STEPS = ['runp', 'create', 'start', 'exec -s', 'stop', 'rm', 'stopp', 'rmp'];

function parseArgs(argv) {
  const o = { cycles: 10, probes: 30, warmup: 2, out: join(repoRoot, 'bench', 'CRI-RESULTS.md') };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--cycles') o.cycles = Number(argv[++i]);
    else if (a === '--probes') o.probes = Number(argv[++i]);
    else if (a === '--warmup') o.warmup = Number(argv[++i]);
    else if (a === '--out') o.out = argv[++i];
    else if (a === '--no-write') o.out = null;
    else {
      console.error(`bench:cri: unknown argument ${a}\nusage: node bench/cri.mjs [--cycles N] [--probes N] [--warmup N] [--out FILE | --no-write]`);
      process.exit(2);
    }
  }
  if (!(o.cycles >= 1 && o.probes >= 1)) throw new Error('--cycles and --probes must be >= 1');
  return o;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** The CRI setup is TypeScript (test/integration/cri): bundled for this run as the test runner does. */
async function loadCriEnv() {
  // inside the checkout, so that its bare imports (@grpc/*, tar-stream) resolve from node_modules
  const out = join(repoRoot, 'dist', 'bench', `cri-${process.pid}`);
  await esbuild.build({
    entryPoints: [join(repoRoot, 'test', 'integration', 'cri', 'cri-env.ts')],
    outfile: join(out, 'cri-env.mjs'),
    bundle: true, platform: 'node', target: 'node20', format: 'esm', packages: 'external', logLevel: 'warning',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
  process.env.TSRUN_ROOT_DIR = repoRoot;
  try {
    return await import(join(out, 'cri-env.mjs'));
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const opts = parseArgs(process.argv.slice(2));
// the machine's load beside the run: on a shared machine the absolute figures move with it, the ratios less
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const loadBefore = loadavg();
const { startCriEnv, criSkip, BUSYBOX_IMAGE } = await loadCriEnv();
const why = criSkip();
if (why) {
  console.error(`bench:cri: ${why}`);
  process.exit(1);
}
const env = await startCriEnv('bench-cri');
const { cri } = env;
const container = { metadata: { name: 'c' }, image: { image: BUSYBOX_IMAGE }, command: ['sleep', '3600'], logPath: 'c.log' };

let seq = 0;
/** One kubelet pod cycle; the ms of each step. */
async function podCycle(handler) {
  const t = {};
  let t0 = performance.now();
  const lap = (name) => {
    const now = performance.now();
    t[name] = now - t0;
    t0 = now;
  };
  const cfg = env.podConfig(`cycle-${handler}-${++seq}`);
  const pod = await cri.runPodSandbox(cfg, handler);
  lap('runp');
  const id = await cri.createContainer(pod, container, cfg);
  lap('create');
  await cri.startContainer(id);
  lap('start');
  const r = await cri.execSync(id, ['true']);
  if (r.exitCode !== 0) throw new Error(`${handler}: exec -s true exited ${r.exitCode}`);
  lap('exec -s');
  await cri.stopContainer(id, 10);
  lap('stop');
  await cri.removeContainer(id);
  lap('rm');
  await cri.stopPodSandbox(pod);
  lap('stopp');
  await cri.removePodSandbox(pod);
  lap('rmp');
  t.total = STEPS.reduce((s, k) => s + t[k], 0);
  return t;
}

const cycles = { tsrun: [], runc: [] };
const probes = { tsrun: [], runc: [] };
try {
  for (let i = 0; i < opts.warmup + opts.cycles; i++) {
    // alternate which handler goes first, so drift falls on both alike
    for (const h of i % 2 ? [...HANDLERS].reverse() : HANDLERS) {
      const t = await podCycle(h);
      if (i >= opts.warmup) cycles[h].push(t);
    }
  }
  // exec probes: one running container per handler, probed in turn
  const running = {};
  for (const h of HANDLERS) {
    const cfg = env.podConfig(`probe-${h}`);
    const pod = await cri.runPodSandbox(cfg, h);
    const id = await cri.createContainer(pod, container, cfg);
    await cri.startContainer(id);
    running[h] = id;
  }
  for (let i = 0; i < opts.warmup + opts.probes; i++) {
    for (const h of i % 2 ? [...HANDLERS].reverse() : HANDLERS) {
      const t0 = performance.now();
      const r = await cri.execSync(running[h], ['true']);
      const ms = performance.now() - t0;
      if (r.exitCode !== 0) throw new Error(`${h}: probe exited ${r.exitCode}`);
      if (i >= opts.warmup) probes[h].push(ms);
    }
  }
} finally {
  await env.cleanup();
}

const fmt = (ms) => ms.toFixed(1);
const lines = [
  '# tsrun under Kubernetes\' CRI: pod cycle and exec probes, tsrun vs runc',
  '',
  'Generated by `npm run bench:cri` (bench/cri.mjs); do not edit by hand.',
  '',
  `- date: ${new Date().toISOString()}`,
  `- machine: ${cpus()[0]?.model ?? 'unknown'} x ${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, kernel ${release()}`,
  `- node: ${process.version}; ${execFileSync('containerd', ['--version'], { encoding: 'utf8' }).trim()}; ${execFileSync('runc', ['--version'], { encoding: 'utf8' }).split('\n')[0]}`,
  `- load average (1, 5, 15 min) before: ${loadBefore}; after: ${loadavg()}`,
  '- setup: a private containerd with its CRI plugin, handlers `tsrun` (runc v2 shim, BinaryName = bin/tsrun) and `runc`, a private CNI bridge (test/integration/cri/cri-env.ts); timed from the gRPC client, as a kubelet sees it.',
  `- method: ${opts.cycles} pod cycles per handler after ${opts.warmup} warm-up rounds, handlers alternating which goes first; then ${opts.probes} ExecSync \`true\` probes per handler on one running container each, alternating. The container is busybox \`sleep 3600\`; stop uses a 10 s grace period (sleep leaves on SIGTERM).`,
  '',
  '## pod cycle (median ms per step)',
  '',
  '| step | tsrun | runc | tsrun / runc |',
  '|---|---:|---:|---:|',
];
for (const k of [...STEPS, 'total']) {
  const a = median(cycles.tsrun.map((t) => t[k]));
  const b = median(cycles.runc.map((t) => t[k]));
  lines.push(`| ${k} | ${fmt(a)} | ${fmt(b)} | ${(a / b).toFixed(2)} |`);
}
const pa = median(probes.tsrun);
const pb = median(probes.runc);
lines.push(
  '',
  '## exec probe (ExecSync `true`)',
  '',
  '| | tsrun | runc | tsrun / runc |',
  '|---|---:|---:|---:|',
  `| median ms | ${fmt(pa)} | ${fmt(pb)} | ${(pa / pb).toFixed(2)} |`,
  `| min ms | ${fmt(Math.min(...probes.tsrun))} | ${fmt(Math.min(...probes.runc))} | |`,
  `| max ms | ${fmt(Math.max(...probes.tsrun))} | ${fmt(Math.max(...probes.runc))} | |`,
  '',
);
const text = lines.join('\n');
console.log(text);
if (opts.out) writeFileSync(opts.out, text);
