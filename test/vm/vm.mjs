#!/usr/bin/env node
// npm run vm -- [--mode v2|v1|nosystemd] [COMMAND [ARGS...]]
// npm run vm -- --stop | --status | --build [--rebuild]
//
// Runs COMMAND as root in the test VM (a stock Debian 12 host: Debian's
// kernel, systemd, pure cgroup v2 unless --mode says otherwise), with this
// checkout at the same path and the same working directory, and passes its
// stdout, stderr and exit status through. The VM is booted on first use
// (the image is built first if it is not cached) and stays up for the next
// command; --stop shuts it down. Without COMMAND it only boots.
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureImage } from './image.mjs';
import { MODES, boot, exec, instanceFor, running, stop } from './machine.mjs';

const checkout = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

// Our options come first; the first other word (or what follows `--`) begins
// the command, whose own options are left alone.
const values = {};
const argv = process.argv.slice(2);
while (argv.length && argv[0].startsWith('--')) {
  const a = argv.shift();
  if (a === '--') break;
  const [name, inline] = a.slice(2).split(/=(.*)/s);
  if (name === 'mode' || name === 'memory') values[name] = inline ?? argv.shift();
  else if (['stop', 'status', 'build', 'rebuild'].includes(name)) values[name] = true;
  else {
    console.error(`vm: unknown option ${a} (--mode M, --memory MiB, --stop, --status, --build, --rebuild; then the command)`);
    process.exit(2);
  }
}
const positionals = argv;

if (process.getuid?.() !== 0) {
  console.error('vm: run as root (QEMU, the image cache under /var/cache, and the guest runs as root)');
  process.exit(2);
}

const instance = instanceFor(checkout);
if (values.stop) {
  await stop(instance);
  process.exit(0);
}
if (values.status) {
  const up = running(instance);
  console.log(up ? JSON.stringify(up, null, 2) : `not running (${instance})`);
  process.exit(0);
}
if (values.build || values.rebuild) {
  const img = await ensureImage({ rebuild: !!values.rebuild });
  console.log(JSON.stringify(img.manifest, null, 2));
  process.exit(0);
}

const up = running(instance);
const mode = values.mode ?? up?.mode ?? 'v2';
if (!MODES[mode]) {
  console.error(`vm: --mode must be one of ${Object.keys(MODES).join(', ')}`);
  process.exit(2);
}
await boot({ instance, mode, checkout, memoryMiB: values.memory ? Number(values.memory) : undefined });
if (positionals.length === 0) process.exit(0);

// npm runs scripts in the package's directory; INIT_CWD is where it was called.
const cwd = process.env.INIT_CWD || process.cwd();
if (relative(checkout, cwd).startsWith('..')) console.error(`vm: ${cwd} is outside the checkout; it may not exist in the guest`);
const env = {};
for (const [k, v] of Object.entries(process.env)) {
  if (/^(TSRUN_|CONFORMANCE_)/.test(k) || k === 'CI' || k === 'TERM') env[k] = v;
}
const { code, signal } = await exec(instance, positionals, { cwd, env });
process.exit(code ?? (signal ? 128 + ({ SIGINT: 2, SIGKILL: 9, SIGTERM: 15 }[signal] ?? 1) : 1));
