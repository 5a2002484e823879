// D-Bus through libsystemd's sd-bus (libsystemd.so.0, on every systemd host),
// called with koffi: only what the systemd cgroup driver needs. Synchronous,
// like the rest of the CLI: a method call blocks in sd_bus_call, and a job is
// waited for by pumping sd_bus_process/sd_bus_wait until its JobRemoved
// signal. Loaded only on the --systemd-cgroup path (see docs/design.md for
// why sd-bus and not an npm D-Bus client).
//
// Values are encoded by walking the D-Bus signature, so a property list reads
// as the D-Bus types systemd documents:
//   bus.call(SYSTEMD, '/org/freedesktop/systemd1', MANAGER, 'StartTransientUnit',
//            'ssa(sv)a(sa(sv))', [name, 'fail', [['PIDs', variant('au', [pid])]], []]);
import { existsSync } from 'node:fs';
import { TsrunError } from '../errors.js';
import { errnoName } from './errno.js';

declare const require: (id: string) => unknown;

/** A D-Bus variant: its signature and its value. */
export interface Variant {
  readonly sig: string;
  readonly value: DBusValue;
}
/** s/o/g: string; y n q i u: number; x t: bigint (or a safe integer); b: boolean; ay: Buffer; arrays and structs: arrays. */
export type DBusValue = string | number | bigint | boolean | Buffer | Variant | readonly DBusValue[];

export const variant = (sig: string, value: DBusValue): Variant => ({ sig, value });

/** A method call systemd (or the bus) answered with an error. */
export class DBusError extends Error {
  constructor(readonly errorName: string, message: string) {
    super(message);
    this.name = 'DBusError';
  }
}

type Ptr = unknown;
interface Koffi {
  load(name: string): { func(decl: string): (...args: unknown[]) => number };
  opaque(name: string): unknown;
  decode(ptr: unknown, offset: number | string, type?: string): unknown;
}
interface Lib {
  create(out: Ptr[]): number;
  setAddress(bus: Ptr, address: string): number;
  setClient(bus: Ptr, on: number): number;
  start(bus: Ptr): number;
  openSystem(out: Ptr[]): number;
  openUser(out: Ptr[]): number;
  close(bus: Ptr): number;
  newCall(bus: Ptr, out: Ptr[], dest: string | null, path: string, iface: string, member: string): number;
  appendBasic(m: Ptr, type: number, p: Buffer): number;
  appendArray(m: Ptr, type: number, p: Buffer, size: number): number;
  open(m: Ptr, type: number, contents: string): number;
  closeContainer(m: Ptr): number;
  setExpectReply(m: Ptr, on: number): number;
  call(bus: Ptr, m: Ptr, usec: bigint, err: Buffer, reply: Ptr[]): number;
  send(bus: Ptr, m: Ptr, cookie: null): number;
  unref(m: Ptr): number;
  readBasic(m: Ptr, type: number, p: Buffer): number;
  enter(m: Ptr, type: number, contents: string | null): number;
  exit(m: Ptr): number;
  peekType(m: Ptr, type: Buffer, contents: Buffer): number;
  process(bus: Ptr, out: Ptr[]): number;
  wait(bus: Ptr, usec: bigint): number;
  isSignal(m: Ptr, iface: string, member: string): number;
  errorFree(err: Buffer): void;
}

let koffiMod: Koffi | undefined;
let lib: Lib | undefined;

/** Each function is declared on its first call: a declaration costs (~10 ms each under emulation), and a command uses a few. */
const DECLS: Record<keyof Lib, string> = {
  create: 'int sd_bus_new(_Out_ sd_bus **ret)',
  setAddress: 'int sd_bus_set_address(sd_bus *bus, const char *address)',
  setClient: 'int sd_bus_set_bus_client(sd_bus *bus, int b)',
  start: 'int sd_bus_start(sd_bus *bus)',
  openSystem: 'int sd_bus_open_system(_Out_ sd_bus **ret)',
  openUser: 'int sd_bus_open_user(_Out_ sd_bus **ret)',
  close: 'sd_bus *sd_bus_flush_close_unref(sd_bus *bus)',
  newCall: 'int sd_bus_message_new_method_call(sd_bus *bus, _Out_ sd_bus_message **m, const char *dest, const char *path, const char *iface, const char *member)',
  appendBasic: 'int sd_bus_message_append_basic(sd_bus_message *m, char type, const void *p)',
  appendArray: 'int sd_bus_message_append_array(sd_bus_message *m, char type, const void *p, size_t size)',
  open: 'int sd_bus_message_open_container(sd_bus_message *m, char type, const char *contents)',
  closeContainer: 'int sd_bus_message_close_container(sd_bus_message *m)',
  setExpectReply: 'int sd_bus_message_set_expect_reply(sd_bus_message *m, int b)',
  call: 'int sd_bus_call(sd_bus *bus, sd_bus_message *m, uint64_t usec, void *err, _Out_ sd_bus_message **reply)',
  send: 'int sd_bus_send(sd_bus *bus, sd_bus_message *m, uint64_t *cookie)',
  unref: 'sd_bus_message *sd_bus_message_unref(sd_bus_message *m)',
  readBasic: 'int sd_bus_message_read_basic(sd_bus_message *m, char type, void *p)',
  enter: 'int sd_bus_message_enter_container(sd_bus_message *m, char type, const char *contents)',
  exit: 'int sd_bus_message_exit_container(sd_bus_message *m)',
  peekType: 'int sd_bus_message_peek_type(sd_bus_message *m, void *type, void *contents)',
  process: 'int sd_bus_process(sd_bus *bus, _Out_ sd_bus_message **r)',
  wait: 'int sd_bus_wait(sd_bus *bus, uint64_t timeout_usec)',
  isSignal: 'int sd_bus_message_is_signal(sd_bus_message *m, const char *iface, const char *member)',
  errorFree: 'void sd_bus_error_free(void *e)',
};

function load(): Lib {
  if (lib) return lib;
  const k = (koffiMod = require('koffi') as Koffi);
  let so: ReturnType<Koffi['load']>;
  try {
    so = k.load('libsystemd.so.0');
  } catch (err) {
    throw new TsrunError(`--systemd-cgroup: cannot load libsystemd.so.0 (the systemd client library): ${(err as Error).message}`);
  }
  k.opaque('sd_bus');
  k.opaque('sd_bus_message');
  const declared: Partial<Record<keyof Lib, (...args: unknown[]) => number>> = {};
  lib = new Proxy({} as Lib, {
    get: (_, name: keyof Lib) => (declared[name] ??= so.func(DECLS[name])),
  });
  return lib;
}

const code = (c: string) => c.charCodeAt(0);

function check(r: number, what: string): number {
  if (r < 0) throw new TsrunError(`D-Bus: ${what}: ${errnoName(-r)}`, { errno: errnoName(-r) });
  return r;
}

/** The end (exclusive) of the single complete type that starts at sig[i]. */
export function typeEnd(sig: string, i: number): number {
  const c = sig[i];
  if (c === undefined) throw new TsrunError(`D-Bus: signature ${JSON.stringify(sig)} ends early`);
  if (c === 'a') return typeEnd(sig, i + 1);
  if (c === '(' || c === '{') {
    const close = c === '(' ? ')' : '}';
    let j = i + 1;
    while (sig[j] !== close) {
      if (j >= sig.length) throw new TsrunError(`D-Bus: signature ${JSON.stringify(sig)} is not closed`);
      j = typeEnd(sig, j);
    }
    return j + 1;
  }
  if (!'ybnqiuxtdsogvh'.includes(c)) throw new TsrunError(`D-Bus: unknown type ${JSON.stringify(c)} in ${JSON.stringify(sig)}`);
  return i + 1;
}

/** The single complete types of a signature: "sa(sv)" -> ["s", "a(sv)"]. */
export function splitSignature(sig: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < sig.length; ) {
    const j = typeEnd(sig, i);
    out.push(sig.slice(i, j));
    i = j;
  }
  return out;
}

/** A basic value in host byte order, as sd_bus_message_append_basic reads it. */
export function basicBytes(type: string, v: DBusValue): Buffer {
  const num = () => {
    if (typeof v === 'number' || typeof v === 'bigint') return v;
    throw new TsrunError(`D-Bus: ${type} needs a number, got ${JSON.stringify(v)}`);
  };
  const big = () => BigInt(num());
  switch (type) {
    case 's':
    case 'o':
    case 'g':
      if (typeof v !== 'string') throw new TsrunError(`D-Bus: ${type} needs a string, got ${JSON.stringify(v)}`);
      return Buffer.from(`${v}\0`, 'utf8');
    case 'b':
      return Buffer.from(new Int32Array([v === true || v === 1 ? 1 : 0]).buffer);
    case 'y':
      return Buffer.from([Number(num()) & 0xff]);
    case 'n':
      return Buffer.from(new Int16Array([Number(num())]).buffer);
    case 'q':
      return Buffer.from(new Uint16Array([Number(num())]).buffer);
    case 'i':
      return Buffer.from(new Int32Array([Number(num())]).buffer);
    case 'u':
      return Buffer.from(new Uint32Array([Number(num())]).buffer);
    case 'x':
      return Buffer.from(new BigInt64Array([big()]).buffer);
    case 't':
      return Buffer.from(new BigUint64Array([BigInt.asUintN(64, big())]).buffer);
    case 'd':
      return Buffer.from(new Float64Array([Number(num())]).buffer);
  }
  throw new TsrunError(`D-Bus: cannot send a value of type ${JSON.stringify(type)}`);
}

function append(l: Lib, m: Ptr, sig: string, v: DBusValue): void {
  const c = sig[0]!;
  if (c === 'v') {
    const inner = v as Variant;
    if (typeof inner !== 'object' || inner === null || !('sig' in inner)) throw new TsrunError('D-Bus: a variant needs {sig, value}');
    check(l.open(m, code('v'), inner.sig), `open variant ${inner.sig}`);
    append(l, m, inner.sig, inner.value);
    check(l.closeContainer(m), 'close variant');
    return;
  }
  if (c === 'a') {
    const elem = sig.slice(1);
    if (elem === 'y' && Buffer.isBuffer(v)) {
      check(l.appendArray(m, code('y'), v, v.length), 'append byte array');
      return;
    }
    if (!Array.isArray(v)) throw new TsrunError(`D-Bus: ${sig} needs an array`);
    check(l.open(m, code('a'), elem), `open array ${elem}`);
    for (const e of v as DBusValue[]) append(l, m, elem, e);
    check(l.closeContainer(m), 'close array');
    return;
  }
  if (c === '(') {
    const fields = splitSignature(sig.slice(1, -1));
    if (!Array.isArray(v) || v.length !== fields.length) throw new TsrunError(`D-Bus: ${sig} needs ${fields.length} fields`);
    check(l.open(m, code('r'), sig.slice(1, -1)), `open struct ${sig}`);
    fields.forEach((f, k) => append(l, m, f, (v as DBusValue[])[k]!));
    check(l.closeContainer(m), 'close struct');
    return;
  }
  check(l.appendBasic(m, code(c), basicBytes(c, v)), `append ${c}`);
}

/** Read one basic value (or a variant holding one) at the message's read position. */
function readValue(l: Lib, m: Ptr, type: string): string | number | bigint | boolean {
  const k = koffiMod!;
  if (type === 'v') {
    const t = Buffer.alloc(1);
    const contents = Buffer.alloc(8);
    check(l.peekType(m, t, contents), 'peek variant');
    const inner = String(k.decode(contents, 'const char *'));
    check(l.enter(m, code('v'), inner), 'enter variant');
    const v = readValue(l, m, inner);
    check(l.exit(m), 'exit variant');
    return v;
  }
  const p = Buffer.alloc(8);
  if (check(l.readBasic(m, code(type), p), `read ${type}`) === 0) throw new TsrunError(`D-Bus: no ${type} to read`);
  switch (type) {
    case 's':
    case 'o':
    case 'g':
      return String(k.decode(p, 'const char *'));
    case 'b':
      return new Int32Array(p.buffer, p.byteOffset, 1)[0] !== 0;
    case 'y':
      return p[0]!;
    case 'u':
      return new Uint32Array(p.buffer, p.byteOffset, 1)[0]!;
    case 'i':
      return new Int32Array(p.buffer, p.byteOffset, 1)[0]!;
    case 't':
      return new BigUint64Array(p.buffer, p.byteOffset, 1)[0]!;
    case 'x':
      return new BigInt64Array(p.buffer, p.byteOffset, 1)[0]!;
  }
  throw new TsrunError(`D-Bus: cannot read a value of type ${JSON.stringify(type)}`);
}

export type BusKind = 'system' | 'user';

export interface OpenOptions {
  /** Tests: a bus address to connect to instead of systemd's. */
  address?: string;
}

/** One connection to systemd: its private socket where we may use it, else the bus. */
export class Bus {
  private jobs = new Map<string, string>();
  /** Through a bus daemon (not systemd's private socket): signals need a match rule. */
  private readonly viaDaemon: boolean;

  private constructor(private handle: Ptr, viaDaemon: boolean) {
    this.viaDaemon = viaDaemon;
  }

  /**
   * systemd's private socket first (root on the system manager, the user on
   * their own manager): one hop, no dbus-daemon needed, and systemd sends it
   * every JobRemoved without a match rule. Else the system or session bus.
   */
  static open(kind: BusKind, opts: OpenOptions = {}): Bus {
    const l = load();
    const out: Ptr[] = [null];
    if (opts.address) {
      check(l.create(out), 'sd_bus_new');
      const b = new Bus(out[0], true);
      b.start(opts.address, true);
      return b;
    }
    const runtimeDir = process.env.XDG_RUNTIME_DIR || `/run/user/${process.geteuid?.() ?? 0}`;
    const privateSocket = kind === 'system' ? '/run/systemd/private' : `${runtimeDir}/systemd/private`;
    if ((kind === 'user' || process.geteuid?.() === 0) && existsSync(privateSocket)) {
      check(l.create(out), 'sd_bus_new');
      const b = new Bus(out[0], false);
      try {
        b.start(`unix:path=${privateSocket}`, false);
        return b;
      } catch {
        b.close();
      }
    }
    if (kind === 'user' && !process.env.DBUS_SESSION_BUS_ADDRESS && !process.env.XDG_RUNTIME_DIR) {
      process.env.XDG_RUNTIME_DIR = runtimeDir;
    }
    const r = kind === 'system' ? l.openSystem(out) : l.openUser(out);
    if (r < 0) {
      throw new TsrunError(
        `--systemd-cgroup: cannot connect to the ${kind === 'system' ? 'system' : 'user'} bus of systemd: ${errnoName(-r)}` +
          (kind === 'user' ? ' (is "systemd --user" running, with XDG_RUNTIME_DIR or DBUS_SESSION_BUS_ADDRESS set?)' : ''),
        { errno: errnoName(-r) },
      );
    }
    return new Bus(out[0], true);
  }

  private start(address: string, client: boolean): void {
    const l = load();
    check(l.setAddress(this.handle, address), `address ${address}`);
    if (client) check(l.setClient(this.handle, 1), 'bus client');
    check(l.start(this.handle), `connect to ${address}`);
  }

  close(): void {
    if (this.handle) load().close(this.handle);
    this.handle = null;
  }

  private message(dest: string | null, path: string, iface: string, member: string, sig: string, args: readonly DBusValue[]): Ptr {
    const l = load();
    const out: Ptr[] = [null];
    check(l.newCall(this.handle, out, dest, path, iface, member), `${member}: new message`);
    const m = out[0];
    try {
      const types = splitSignature(sig);
      if (types.length !== args.length) throw new TsrunError(`D-Bus: ${member} takes ${types.length} arguments (${sig}), got ${args.length}`);
      types.forEach((t, k) => append(l, m, t, args[k]!));
    } catch (err) {
      l.unref(m);
      throw err;
    }
    return m;
  }

  /**
   * Call a method and read its reply's basic values (`replySig`, e.g. "o", or
   * "v" for a property holding a basic value). Throws DBusError when answered
   * with an error.
   */
  call(dest: string, path: string, iface: string, member: string, sig: string, args: readonly DBusValue[], replySig = '', timeoutMs = 30_000): Array<string | number | bigint | boolean> {
    const l = load();
    const m = this.message(dest, path, iface, member, sig, args);
    const err = Buffer.alloc(24); // sd_bus_error: name, message, _need_free
    const reply: Ptr[] = [null];
    try {
      const r = l.call(this.handle, m, BigInt(timeoutMs) * 1000n, err, reply);
      if (r < 0) {
        const name = readCString(err, 0);
        const message = readCString(err, 8);
        l.errorFree(err);
        if (name) throw new DBusError(name, message || name);
        throw new TsrunError(`D-Bus: ${member}: ${errnoName(-r)}`, { errno: errnoName(-r) });
      }
      const out = [...replySig].map((t) => readValue(l, reply[0], t));
      return out;
    } finally {
      if (reply[0]) l.unref(reply[0]);
      l.unref(m);
    }
  }

  /** Ask the bus daemon for systemd's JobRemoved signals (not needed on the private socket). Sent, not awaited: the daemon keeps our order. */
  subscribeJobs(): void {
    if (!this.viaDaemon) return;
    const l = load();
    const m = this.message('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus', 'AddMatch', 's', [
      "type='signal',sender='org.freedesktop.systemd1',path='/org/freedesktop/systemd1',interface='org.freedesktop.systemd1.Manager',member='JobRemoved'",
    ]);
    try {
      check(l.setExpectReply(m, 0), 'AddMatch');
      check(l.send(this.handle, m, null), 'AddMatch');
    } finally {
      l.unref(m);
    }
  }

  /** Wait for systemd's JobRemoved of `job` (an object path); its result: "done", "failed", "canceled", "timeout", "dependency", "skipped". */
  waitJob(job: string, timeoutMs = 30_000): string {
    const l = load();
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const seen = this.jobs.get(job);
      if (seen !== undefined) {
        this.jobs.delete(job);
        return seen;
      }
      const out: Ptr[] = [null];
      const r = check(l.process(this.handle, out), 'process');
      const m = out[0];
      if (m) {
        try {
          if (l.isSignal(m, 'org.freedesktop.systemd1.Manager', 'JobRemoved') > 0) {
            const [, path, , result] = ['u', 'o', 's', 's'].map((t) => readValue(l, m, t));
            this.jobs.set(String(path), String(result));
          }
        } finally {
          l.unref(m);
        }
      }
      if (r > 0) continue;
      const left = deadline - Date.now();
      if (left <= 0) throw new TsrunError(`timed out waiting for systemd job ${job}`);
      check(l.wait(this.handle, BigInt(left) * 1000n), 'wait');
    }
  }
}

function readCString(buf: Buffer, offset: number): string {
  if (new BigUint64Array(buf.buffer, buf.byteOffset + offset, 1)[0] === 0n) return '';
  return String(koffiMod!.decode(buf, offset, 'const char *'));
}
