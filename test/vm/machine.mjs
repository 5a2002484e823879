// The test VM itself: boot the cached image under QEMU (software emulation:
// this machine has no /dev/kvm), reach the agent over a virtio-serial port
// backed by a unix socket, run commands, shut it down.
//
// One VM per instance name, its files in /run/tsrun-vm/<instance>/:
// qemu.pid, agent-N.sock (and agent-N.lock while a client holds it), console.log, disk.qcow2 (a throwaway overlay of the
// cached image) and info.json. QEMU runs in a session of its own, so that a
// Ctrl-C on a command does not kill the VM it runs in; stop() ends it.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { ensureImage } from './image.mjs';
import { step, withHeartbeat } from './progress.mjs';

export const MODES = {
  // Debian's default: systemd on the unified hierarchy only.
  v2: ['systemd.unified_cgroup_hierarchy=1'],
  // The same image with systemd on cgroup v1 (legacy hierarchy).
  v1: ['systemd.unified_cgroup_hierarchy=0'],
  // No systemd: init.sh mounts cgroup2 and execs busybox init (the cgroupfs driver's host).
  nosystemd: ['init=/usr/local/lib/tsrun-vm/init.sh'],
};

const RUN_BASE = process.env.TSRUN_VM_RUN || '/run/tsrun-vm';
/** Agent ports: QEMU serves one client per port, so this many commands can run at once. */
const PORTS = 4;

export function instanceFor(checkout) {
  return `co-${createHash('sha256').update(checkout).digest('hex').slice(0, 12)}`;
}

/**
 * Read-only shares besides the checkout, at the same paths in the guest:
 * TSRUN_VM_SHARES (colon-separated), by default the checkout's sibling
 * shared/ and /work/shared where they exist (the engine-config fixtures
 * some tests and the conformance matrix read there).
 */
function extraShares(checkout) {
  const list = process.env.TSRUN_VM_SHARES ?? `${join(checkout, '..', 'shared')}:/work/shared`;
  return list.split(':').filter((p) => p.startsWith('/') && existsSync(p) && !checkout.startsWith(`${p}/`) && p !== checkout);
}

function dirOf(instance) {
  return join(RUN_BASE, instance);
}

function readInfo(instance) {
  try {
    return JSON.parse(readFileSync(join(dirOf(instance), 'info.json'), 'utf8'));
  } catch {
    return undefined;
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function qemuPid(instance) {
  try {
    const pid = Number(readFileSync(join(dirOf(instance), 'qemu.pid'), 'utf8').trim());
    return pid > 0 && alive(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The VM of this instance if it runs: its info.json (mode, checkout, pid). */
export function running(instance) {
  const info = readInfo(instance);
  const pid = qemuPid(instance);
  return info && pid ? { ...info, pid } : undefined;
}

function lastConsoleLine(instance) {
  try {
    const text = readFileSync(join(dirOf(instance), 'console.log'), 'latin1');
    const lines = text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
    return (lines[lines.length - 1] ?? '').slice(0, 100);
  } catch {
    return '';
  }
}

/**
 * Boot a VM for `checkout` in `mode` (or reuse the one up in that mode and
 * for that checkout); returns when its agent answers.
 */
export async function boot({ instance, mode = 'v2', checkout, memoryMiB = 3072, cpus = 2, bootTimeoutMs = 300_000 }) {
  if (!MODES[mode]) throw new Error(`test/vm: unknown mode ${mode} (${Object.keys(MODES).join(', ')})`);
  const up = running(instance);
  if (up && up.mode === mode && up.checkout === checkout) {
    step(`VM ${instance}: up (mode ${mode}, pid ${up.pid})`);
    return up;
  }
  if (up) await stop(instance);
  if (spawnSync('sh', ['-c', 'command -v qemu-system-x86_64']).status !== 0) {
    throw new Error('test/vm: qemu-system-x86_64 is missing (apt-get install qemu-system-x86 qemu-utils)');
  }
  const image = await ensureImage();
  const dir = dirOf(instance);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const disk = join(dir, 'disk.qcow2');
  const r = spawnSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', image.disk, '-F', 'raw', disk], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`qemu-img create: ${r.stderr}`);
  const shares = extraShares(checkout);
  const append = [
    'root=/dev/vda', 'rw', 'console=ttyS0', 'loglevel=4', 'panic=1', 'mitigations=off', 'net.ifnames=0',
    `tsrun.mode=${mode}`, `tsrun.checkout=${encodeURIComponent(checkout)}`, ...MODES[mode],
    ...shares.map((p, i) => `tsrun.share${i}=${encodeURIComponent(p)}`),
  ].join(' ');
  const args = [
    '-n', '19', 'qemu-system-x86_64',
    '-name', `tsrun-vm-${instance}`,
    '-machine', 'q35', '-accel', 'tcg,thread=multi', '-cpu', 'max', '-smp', String(cpus), '-m', String(memoryMiB),
    '-kernel', image.kernel, '-initrd', image.initrd, '-append', append,
    '-drive', `file=${disk},format=qcow2,if=virtio,cache=unsafe,discard=unmap`,
    '-virtfs', `local,path=${checkout},mount_tag=checkout,security_model=none,readonly=on,multidevs=remap`,
    ...shares.flatMap((p, i) => ['-virtfs', `local,path=${p},mount_tag=share${i},security_model=none,readonly=on,multidevs=remap`]),
    '-device', 'virtio-rng-pci',
    '-device', 'virtio-serial-pci',
    ...Array.from({ length: PORTS }, (_, i) => [
      '-chardev', `socket,id=agent${i},path=${join(dir, `agent-${i}.sock`)},server=on,wait=off`,
      '-device', `virtserialport,chardev=agent${i},name=tsrun.agent.${i}`,
    ]).flat(),
    // No network: the tests need none, and the guest reaches nothing.
    '-nic', 'none',
    '-display', 'none', '-monitor', 'none', '-serial', `file:${join(dir, 'console.log')}`,
    '-no-reboot', '-pidfile', join(dir, 'qemu.pid'),
  ];
  const logFd = openSync(join(dir, 'qemu.log'), 'w');
  const started = Date.now();
  const child = spawn('nice', args, { stdio: ['ignore', logFd, logFd], detached: true });
  closeSync(logFd);
  child.unref();
  let exited;
  child.on('exit', (code, signal) => (exited = signal ?? `exit ${code}`));
  const info = { instance, mode, checkout, image: image.manifest.key, kernel: image.manifest.kernel, startedAt: new Date(started).toISOString() };
  writeFileSync(join(dir, 'info.json'), JSON.stringify(info));
  try {
    await withHeartbeat(`boot (${mode}, ${cpus} vCPUs, ${memoryMiB} MiB, TCG)`, async () => {
      for (;;) {
        if (exited) {
          throw new Error(`qemu ended while booting (${exited}): ${readFileSync(join(dir, 'qemu.log'), 'utf8').trim()}\n` +
            `console: ${join(dir, 'console.log')}`);
        }
        if (Date.now() - started > bootTimeoutMs) throw new Error(`the agent did not answer within ${bootTimeoutMs / 1000}s; console: ${join(dir, 'console.log')}`);
        if (existsSync(join(dir, 'agent-0.sock')) && (await ping(instance, 3000))) return;
        await new Promise((res) => setTimeout(res, 1000));
      }
    }, { detail: () => lastConsoleLine(instance) });
  } catch (e) {
    await stop(instance, { quiet: true });
    throw e;
  }
  info.bootSeconds = Math.round((Date.now() - started) / 100) / 10;
  writeFileSync(join(dir, 'info.json'), JSON.stringify(info));
  return { ...info, pid: qemuPid(instance) };
}

/**
 * Take a free agent port: a lock file per port holding our pid (a dead
 * holder's is taken over). Waits while all are busy.
 */
async function takePort(instance) {
  const dir = dirOf(instance);
  for (let waited = 0; ; waited++) {
    for (let i = 0; i < PORTS; i++) {
      const lock = join(dir, `agent-${i}.lock`);
      try {
        writeFileSync(lock, String(process.pid), { flag: 'wx' });
        return { sock: join(dir, `agent-${i}.sock`), release: () => rmSync(lock, { force: true }) };
      } catch (e) {
        if (e.code === 'ENOENT') throw new Error(`test/vm: ${instance} is not running`);
        if (e.code !== 'EEXIST') throw e;
        let pid = 0;
        try {
          pid = Number(readFileSync(lock, 'utf8'));
        } catch { /* just released */ }
        if (pid && !alive(pid)) rmSync(lock, { force: true });
      }
    }
    if (waited === 0) step(`VM ${instance}: all ${PORTS} agent ports busy, waiting`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** A connection to the agent on a port of our own; JSON lines to `onMessage`. */
async function connect(instance, onMessage) {
  const port = await takePort(instance);
  const sock = createConnection(port.sock);
  sock.on('close', port.release);
  const dec = new StringDecoder('utf8');
  let pending = '';
  sock.on('data', (b) => {
    pending += dec.write(b);
    let i;
    while ((i = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, i);
      pending = pending.slice(i + 1);
      let msg;
      try {
        msg = JSON.parse(line);
      } catch {
        continue;
      }
      onMessage(msg);
    }
  });
  return sock;
}

let seq = 0;
function newId() {
  return `${process.pid}-${Date.now()}-${++seq}`;
}

/** Whether the agent answers within `timeoutMs`. */
export async function ping(instance, timeoutMs = 5000) {
  const id = newId();
  let pong;
  let sock;
  try {
    sock = await connect(instance, (m) => m.t === 'pong' && m.id === id && pong(true));
  } catch {
    return false;
  }
  const ok = await new Promise((resolve) => {
    pong = resolve;
    sock.on('error', () => resolve(false));
    sock.on('close', () => resolve(false));
    sock.on('connect', () => sock.write(`${JSON.stringify({ t: 'ping', id })}\n`));
    setTimeout(() => resolve(false), timeoutMs).unref();
  });
  sock.destroy();
  return ok;
}

/**
 * Run argv as root in the guest. Output goes to `stdout`/`stderr` (writable
 * streams, default the process's) as it comes; resolves to {code, signal}.
 * `signal` (an AbortSignal-like {onabort}) or SIGINT/SIGTERM while it runs
 * pass the signal on to the guest's process group.
 */
export async function exec(instance, argv, { cwd = '/', env = {}, stdout = process.stdout, stderr = process.stderr, forwardSignals = true, timeoutMs = 0 } = {}) {
  const id = newId();
  let result;
  let onMsg;
  const sock = await connect(instance, (m) => onMsg(m));
  return new Promise((resolve, reject) => {
    onMsg = (m) => {
      if (m.id !== id) return;
      if (m.t === 'out') (m.fd === 2 ? stderr : stdout).write(Buffer.from(m.b64, 'base64'));
      else if (m.t === 'error') stderr.write(`vm: ${m.message}\n`);
      else if (m.t === 'exit') {
        result = { code: m.code, signal: m.signal, timedOut };
        sock.end();
      }
    };
    const onSignal = (sig) => {
      if (!sock.destroyed) sock.write(`${JSON.stringify({ t: 'kill', id, signal: sig })}\n`);
    };
    const handlers = forwardSignals ? ['SIGINT', 'SIGTERM'].map((s) => [s, () => onSignal(s)]) : [];
    for (const [s, h] of handlers) process.on(s, h);
    // Past the time limit: SIGTERM to the command's process group, SIGKILL 10 s later.
    let timedOut = false;
    const timers = timeoutMs > 0 ? [
      setTimeout(() => {
        timedOut = true;
        stderr.write(`vm: ${argv.join(' ')}: still running after ${timeoutMs / 1000}s: SIGTERM\n`);
        onSignal('SIGTERM');
      }, timeoutMs),
      setTimeout(() => onSignal('SIGKILL'), timeoutMs + 10_000),
    ] : [];
    const cleanup = () => {
      for (const [s, h] of handlers) process.off(s, h);
      for (const t of timers) clearTimeout(t);
    };
    sock.on('connect', () => sock.write(`${JSON.stringify({ t: 'run', id, argv, cwd, env })}\n`));
    sock.on('error', (e) => {
      cleanup();
      reject(new Error(`test/vm: agent of ${instance}: ${e.message}`));
    });
    sock.on('close', () => {
      cleanup();
      if (result) resolve(result);
      else reject(new Error(`test/vm: the connection to the agent of ${instance} closed before the command ended`));
    });
  });
}

/** Shut the VM down (the agent powers it off; then SIGTERM, then SIGKILL, by pid) and remove its run dir. */
export async function stop(instance, { quiet = false } = {}) {
  const pid = qemuPid(instance);
  const dir = dirOf(instance);
  if (pid) {
    if (!quiet) step(`VM ${instance}: shutting down (qemu pid ${pid})`);
    const gone = async (ms) => {
      for (const end = Date.now() + ms; Date.now() < end;) {
        if (!alive(pid)) return true;
        await new Promise((r) => setTimeout(r, 200));
      }
      return !alive(pid);
    };
    // The disk is a throwaway overlay: a forced power-off loses nothing.
    // Any port will do; all busy (a client hung) goes straight to SIGTERM.
    for (let i = 0; i < PORTS; i++) {
      const lock = join(dir, `agent-${i}.lock`);
      try {
        writeFileSync(lock, String(process.pid), { flag: 'wx' });
      } catch {
        continue;
      }
      await new Promise((resolve) => {
        const sock = createConnection(join(dir, `agent-${i}.sock`));
        const t = setTimeout(() => (sock.destroy(), resolve()), 2000);
        sock.on('connect', () => sock.end(`${JSON.stringify({ t: 'poweroff' })}\n`));
        sock.on('error', () => (clearTimeout(t), resolve()));
        sock.on('close', () => (clearTimeout(t), resolve()));
      });
      break;
    }
    if (!(await gone(10_000))) {
      try { process.kill(pid, 'SIGTERM'); } catch { /* gone */ }
      if (!(await gone(5000))) {
        try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
        await gone(5000);
      }
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

/** The last resort on exit: kill the instance's QEMU by its pid file, synchronously. */
export function killNow(instance) {
  const pid = qemuPid(instance);
  if (pid) {
    try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
  }
  rmSync(dirOf(instance), { recursive: true, force: true });
}
