// The test VM's agent, run as root in the guest by start-agent.sh (from the
// read-only share of the host's checkout). It mounts the checkout at the
// host's path, writable through an overlay, then serves the host over the
// virtio-serial ports "tsrun.agent.N" (one host client each, so several can
// run commands at once): one JSON object a line each way.
//   host:  {t:'run', id, argv, cwd, env}  {t:'kill', id, signal}  {t:'ping', id}  {t:'poweroff'}
//   guest: {t:'out', id, fd, b64}  {t:'exit', id, code, signal}
//          {t:'pong', id}  {t:'error', id, message}
// A command runs in its own process group, stdin from /dev/null; its output
// is sent as it comes. Ids are the host's: a client that went away leaves
// output behind that the next client ignores.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, read, readFileSync, readdirSync, write } from 'node:fs';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';

// Every connected port keeps a read blocked in libuv's thread pool, and
// writes go through the pool too: four ports would take its default four
// threads and leave none to send output. (Read at the pool's first use,
// which comes after this line.)
process.env.UV_THREADPOOL_SIZE = '16';

const PORT_PREFIX = 'tsrun.agent.';
const LOWER = '/run/tsrun-vm/lower';
const STATE = '/var/lib/tsrun-vm';

function log(text) {
  process.stderr.write(`tsrun-agent: ${text}\n`);
}

function cmdline() {
  const out = {};
  for (const w of readFileSync('/proc/cmdline', 'utf8').trim().split(/\s+/)) {
    const m = /^tsrun\.(\w+)=(.*)$/.exec(w);
    if (m) out[m[1]] = decodeURIComponent(m[2]);
  }
  return out;
}

function sh(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${(r.stderr || r.error?.message || '').trim()}`);
}

function isMountpoint(p) {
  return spawnSync('mountpoint', ['-q', p]).status === 0;
}

/**
 * The checkout at the host's path: the read-only share below, the guest's
 * disk above (dist/, native builds, test output), so nothing the guest
 * writes reaches the host's files. The disk is a throwaway overlay of the
 * cached image, so each boot starts from the checkout as it is.
 */
function mountCheckout(path) {
  if (!path || isMountpoint(path)) return;
  const upper = join(STATE, 'upper');
  const work = join(STATE, 'work');
  for (const d of [upper, work, path]) mkdirSync(d, { recursive: true });
  sh('modprobe', ['-q', 'overlay']);
  // redirect_dir/index/metacopy off: the lower is a network file system
  // whose inode numbers are not stable enough for them.
  sh('mount', ['-t', 'overlay', 'tsrun-checkout', '-o',
    `lowerdir=${LOWER},upperdir=${upper},workdir=${work},redirect_dir=off,index=off,metacopy=off,xino=off`, path]);
}

function findPorts() {
  const dir = '/sys/class/virtio-ports';
  if (!existsSync(dir)) return [];
  const out = [];
  for (const p of readdirSync(dir)) {
    try {
      if (readFileSync(join(dir, p, 'name'), 'utf8').startsWith(PORT_PREFIX) && existsSync(`/dev/${p}`)) out.push(`/dev/${p}`);
    } catch { /* no name yet */ }
  }
  return out;
}

async function waitPorts() {
  for (let i = 0; ; i++) {
    const p = findPorts();
    if (p.length) return p;
    if (i % 50 === 0) log(`waiting for the virtio ports ${PORT_PREFIX}N`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The host's other read-only shares (tag shareN, path tsrun.shareN=), at their host paths. */
function mountShares() {
  for (let i = 0; args[`share${i}`]; i++) {
    const p = args[`share${i}`];
    if (isMountpoint(p)) continue;
    mkdirSync(p, { recursive: true });
    sh('mount', ['-t', '9p', '-o', 'trans=virtio,version=9p2000.L,ro,msize=262144', `share${i}`, p]);
  }
}

const args = cmdline();
// Without systemd nothing loads modules by modalias: the ports' driver is a module.
spawnSync('modprobe', ['-q', 'virtio_console']);
try {
  mountShares();
  mountCheckout(args.checkout);
} catch (e) {
  log(`cannot mount the host's shares: ${e.message}`);
}
// udev or devtmpfs makes the nodes as the ports appear: wait a moment for all.
await waitPorts();
await new Promise((r) => setTimeout(r, 500));
const ports = findPorts();
log(`serving on ${ports.join(' ')} (mode ${args.mode ?? '?'}, checkout ${args.checkout ?? '-'})`);

/**
 * A port: its fd and an ordered writer. While no host is connected the
 * kernel blocks writes until one is; a client then skips what is not its.
 */
function openPort(path) {
  const fd = openSync(path, 'r+');
  let queue = Promise.resolve();
  const send = (obj) => {
    const buf = Buffer.from(`${JSON.stringify(obj)}\n`);
    queue = queue.then(() => new Promise((resolve) => {
      const writeAll = (off) => write(fd, buf, off, buf.length - off, null, (err, n) => {
        if (err || off + n >= buf.length) resolve();
        else writeAll(off + n);
      });
      writeAll(0);
    }));
  };
  return { fd, send };
}

const children = new Map();
const GUEST_ENV = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: '/root',
  LANG: 'C.UTF-8',
  USER: 'root',
  LOGNAME: 'root',
};

function runCommand(msg, send) {
  const { id, argv, cwd, env } = msg;
  let child;
  try {
    child = spawn(argv[0], argv.slice(1), {
      cwd: cwd && existsSync(cwd) ? cwd : '/',
      env: { ...GUEST_ENV, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
  } catch (e) {
    send({ t: 'error', id, message: e.message });
    send({ t: 'exit', id, code: 127, signal: null });
    return;
  }
  children.set(id, child);
  let open = 2;
  let status;
  const finish = () => {
    if (open > 0 || !status) return;
    children.delete(id);
    send({ t: 'exit', id, ...status });
  };
  for (const [stream, n] of [[child.stdout, 1], [child.stderr, 2]]) {
    stream.on('data', (b) => send({ t: 'out', id, fd: n, b64: b.toString('base64') }));
    stream.on('close', () => {
      open--;
      finish();
    });
  }
  child.on('error', (e) => {
    send({ t: 'error', id, message: `${argv[0]}: ${e.message}` });
    status = { code: 127, signal: null };
    open = 0;
    finish();
  });
  child.on('exit', (code, signal) => {
    status = { code, signal };
    // The output pipes may stay open in a daemon the command left behind:
    // do not wait for them past a moment.
    setTimeout(() => {
      open = 0;
      finish();
    }, 2000).unref();
    finish();
  });
}

function handle(msg, send) {
  switch (msg.t) {
    case 'ping':
      send({ t: 'pong', id: msg.id, mode: args.mode, checkout: args.checkout });
      break;
    case 'run':
      runCommand(msg, send);
      break;
    case 'kill': {
      const c = children.get(msg.id);
      if (c) {
        try {
          process.kill(-c.pid, msg.signal || 'SIGTERM');
        } catch { /* gone */ }
      }
      break;
    }
    case 'poweroff':
      spawnSync('sync');
      spawn('/bin/busybox', ['poweroff', '-f'], { stdio: 'ignore' });
      break;
    default:
      log(`unknown message ${JSON.stringify(msg).slice(0, 200)}`);
  }
}

// Reads block in the thread pool. With no host connected, a port reads as
// end-of-file at once: wait a little before asking again.
function serve({ fd, send }) {
  let pending = '';
  const dec = new StringDecoder('utf8');
  const buf = Buffer.alloc(65536);
  const readLoop = () => read(fd, buf, 0, buf.length, null, (err, n) => {
    if (err || n === 0) {
      setTimeout(readLoop, err ? 500 : 100);
      return;
    }
    pending += dec.write(buf.subarray(0, n));
    let i;
    while ((i = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, i);
      pending = pending.slice(i + 1);
      if (!line.trim()) continue;
      try {
        handle(JSON.parse(line), send);
      } catch (e) {
        log(`bad message: ${e.message}`);
      }
    }
    readLoop();
  });
  readLoop();
}

for (const p of ports) serve(openPort(p));
