#!/usr/bin/env node
// npm run test:vm [-- --modes v2,v1,nosystemd] [--only NAME,...] [--list]
//
// The suites that depend on the host, run on a stock Debian 12 host: the
// test VM (test/vm/), booted in each mode in turn, fresh for this run and
// shut down at its end (also on failure or Ctrl-C). In each mode the guest
// builds the checkout (npm run build: native/ with the guest's gcc, dist/)
// into its overlay, then runs the mode's jobs; the summary at the end has
// node:test's counts (or conformance's) per job and mode.
import { Writable } from 'node:stream';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureImage } from './image.mjs';
import { boot, exec, killNow, stop } from './machine.mjs';
import { elapsed, step } from './progress.mjs';

const checkout = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * What each boot mode runs. The host's own run (npm test) covers the rest:
 * what differs on this host is cgroups (pure v2 and systemd), the kernel
 * (6.1), and runc and the engines as Debian ships them. The v2 modes leave
 * out the files written for v1 hierarchies (v1.test.ts, devices-list, the
 * cgroup side of engine-configs): they run in the v1 mode, which is
 * systemd's hybrid layout, the one they were written on. Trimmed to fit the
 * CI job's hour under emulation: see docs/design.md.
 */
const integration = (...filters) => ['node', 'test/run.mjs', 'integration', ...filters];
const conformance = (runtime, name) => ['node', 'conformance/run.mjs', '--runtime', runtime, '--name', name, '--quiet'];
// the whole cgroup suite: what only a v1 or hybrid host has skips with its reason
const V2_CGROUPS = ['cgroups/'];
// lifecycle.test.ts is left out: its state machine and exit codes do not
// depend on the host (conformance's lifecycle checks run here anyway), and
// its 100 create/start/kill/delete cycles alone take ~10 min under TCG.
const V2_LIFECYCLE = ['lifecycle/engine-configs', 'lifecycle/exec', 'lifecycle/start-exec', 'lifecycle/launcher', 'lifecycle/sockets', 'lifecycle/subreaper'];
export const JOBS = {
  v2: [
    { name: 'integration cgroups', argv: integration(...V2_CGROUPS), minutes: 10 },
    { name: 'integration lifecycle', argv: integration(...V2_LIFECYCLE), minutes: 15 },
    // AppArmor in force (the guest boots with it on): a test profile, runc beside tsrun
    { name: 'integration apparmor', argv: integration('security/apparmor'), minutes: 5 },
    // dockerd (systemd and cgroupfs drivers), containerd and podman on this host, runc beside tsrun
    { name: 'engines stock host', argv: integration('engines/stock-host'), minutes: 25 }, // 15 min measured (TCG, loaded host),
    // containerd's CRI with SystemdCgroup = true: a tsrun pod beside a runc pod,
    // each sandbox and container a scope in its pod's slice (the host has no systemd)
    { name: 'integration cri systemd', argv: integration('cri/pod-systemd'), minutes: 5 }, // 1.3-1.9 min measured (TCG, loaded host)
    { name: 'conformance tsrun', argv: conformance(join(checkout, 'bin', 'tsrun'), 'tsrun'), minutes: 20 },
    // the reference, by hand (--only 'conformance runc'): Debian's runc does
    // not change between our runs, and CI's hour is spent on tsrun
    { name: 'conformance runc', argv: conformance('/usr/sbin/runc', 'runc'), minutes: 20, byHand: true },
    // a user's session with a delegated cgroup (user@UID.service), the host
    // rootless podman is made for: podman-user.test.ts puts crun, runc and
    // tsrun side by side (~8 min under TCG, most of it podman's own start-up);
    // unprivileged.test.ts with Debian's kernel and uidmap (~1 min). The
    // killed-create faults (failed-create, ~3 min here) do not depend on the host.
    { name: 'integration rootless', argv: integration('rootless/podman-user', 'rootless/unprivileged'), minutes: 14 },
    // criu works on Debian's 6.1 kernel only (`criu check` fails on the hosts'
    // 6.18): the checkpoint rows and podman's checkpoint/restore run here
    { name: 'checkpoint', argv: integration('checkpoint/'), minutes: 15 },
  ],
  v1: [
    { name: 'integration cgroups', argv: integration('cgroups/'), minutes: 10 },
  ],
  nosystemd: [
    { name: 'integration cgroups', argv: integration(...V2_CGROUPS), minutes: 10 },
  ],
};

const values = { modes: 'v2,nosystemd,v1' };
const args = process.argv.slice(2);
while (args.length) {
  const a = args.shift();
  const [name, inline] = a.replace(/^--/, '').split(/=(.*)/s);
  if (name === 'modes' || name === 'only') values[name] = inline ?? args.shift();
  else if (name === 'list') values.list = true;
  else {
    console.error(`test:vm: unknown argument ${a} (--modes v2,v1,nosystemd; --only JOB,...; --list)`);
    process.exit(2);
  }
}
const modes = values.modes.split(',').filter(Boolean);
const only = values.only?.split(',').filter(Boolean);
if (values.list) {
  for (const [mode, jobs] of Object.entries(JOBS)) for (const j of jobs) console.log(`${mode.padEnd(10)} ${j.name.padEnd(24)} ${j.argv.join(' ')}${j.byHand ? '  (by hand: --only)' : ''}`);
  process.exit(0);
}
for (const m of modes) {
  if (!JOBS[m]) {
    console.error(`test:vm: unknown mode ${m} (${Object.keys(JOBS).join(', ')})`);
    process.exit(2);
  }
}
if (process.getuid?.() !== 0) {
  console.error('test:vm: run as root (QEMU, the image cache under /var/cache)');
  process.exit(2);
}

// This run's own VM, whatever `npm run vm` has up for the checkout.
const instance = `test-${process.pid}`;
let stopping = false;
async function shutdown(code) {
  if (stopping) return;
  stopping = true;
  await stop(instance);
  printSummary('interrupted');
  process.exit(code);
}
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    step(`${sig}: stopping the VM`);
    void shutdown(130);
  });
}
process.on('exit', () => killNow(instance));

/** Passes the guest's output through and keeps the lines that carry counts. */
function collector(target) {
  let tail = '';
  const lines = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      target.write(chunk);
      tail += chunk.toString('utf8');
      const parts = tail.split('\n');
      tail = parts.pop();
      for (const l of parts) if (/^# (tests|suites|pass|fail|cancelled|skipped|todo|duration_ms) /.test(l) || /^not ok /.test(l)) lines.push(l);
      cb();
    },
  });
  return { stream, lines };
}

function summarize(lines) {
  const get = (k) => lines.find((l) => l.startsWith(`# ${k} `))?.slice(k.length + 3);
  const pass = get('pass');
  if (pass?.includes('/')) return `pass ${pass}`; // conformance: "# pass N/M"
  const parts = ['tests', 'pass', 'fail', 'skipped', 'cancelled'].filter((k) => get(k) !== undefined).map((k) => `${k} ${get(k)}`);
  return parts.join(', ');
}

const results = [];
let failed = false;
try {
  const img = await ensureImage();
  step(`image: ${img.manifest.kernel}, ${img.manifest.imageMiB} MiB file system, built in ${img.manifest.buildSeconds}s`);
  for (const mode of modes) {
    const jobs = JOBS[mode].filter((j) => (only ? only.includes(j.name) : !j.byHand));
    if (jobs.length === 0) continue;
    const vm = await boot({ instance, mode, checkout });
    results.push({ mode, name: 'boot', seconds: vm.bootSeconds, summary: `up in ${vm.bootSeconds}s`, ok: true });
    const guestRun = async (name, argv, minutes = 5) => {
      step(`[${mode}] ${name}: ${argv.join(' ')}`);
      const start = Date.now();
      const out = collector(process.stdout);
      const err = collector(process.stderr);
      const { code, signal, timedOut } = await exec(instance, argv, {
        cwd: checkout, env: { CI: process.env.CI ?? '' }, stdout: out.stream, stderr: err.stream, forwardSignals: false, timeoutMs: minutes * 60_000,
      });
      const seconds = Math.round((Date.now() - start) / 1000);
      const summary = `${timedOut ? `TIMED OUT after ${minutes} min; ` : ''}${summarize([...out.lines, ...err.lines])}`;
      const r = { mode, name, seconds, code: code ?? signal, summary, ok: code === 0 };
      results.push(r);
      step(`[${mode}] ${name}: ${r.ok ? 'ok' : `FAILED (${r.code})`} in ${seconds}s: ${r.summary}`);
      if (!r.ok) failed = true;
      return r;
    };
    const facts = await guestRun('host facts', ['sh', '-c',
      'echo "kernel $(uname -r), PID 1 $(cat /proc/1/comm)"; stat -fc "/sys/fs/cgroup: %T" /sys/fs/cgroup; ' +
      'cat /sys/fs/cgroup/cgroup.controllers 2>/dev/null; runc --version | head -1; node --version']);
    const build = facts.ok ? await guestRun('build', ['node', 'build/build.mjs']) : facts;
    if (build.ok) {
      for (const j of jobs) await guestRun(j.name, j.argv, j.minutes);
    }
    await stop(instance);
  }
} catch (e) {
  failed = true;
  step(`test:vm: ${e.message}`);
} finally {
  await stop(instance, { quiet: true });
}

printSummary();
process.exitCode = failed ? 1 : 0;

function printSummary(how = '') {
  console.log(`\n# test:vm summary${how ? ` (${how})` : ''}, ${elapsed()} in all`);
  for (const r of results) {
    console.log(`# ${r.mode.padEnd(10)} ${r.name.padEnd(24)} ${String(r.seconds).padStart(5)}s  ${r.ok ? 'ok    ' : 'FAILED'}  ${r.summary}`);
  }
}
