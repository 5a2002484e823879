// The plan encoding shared with C: header, handshake fields, and the C
// reader under a mutation fuzzer with ASan/UBSan (native/exec/fuzz_plan.c).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileCreate, encodePlan } from '../../../src/plan/index.js';
import { BUILD_ID, PLAN_MAGIC, PROTOCOL_VERSION, opDescs } from '../../../src/plan/generated/ops.js';
import { op } from '../../../src/plan/types.js';
import { defaultSpec } from '../../../src/spec/default.js';
import { sanitizerSkip } from '../../helpers/sanitizer.js';

const root = process.env.TSRUN_ROOT_DIR ?? process.cwd();

function samplePlan() {
  const s = defaultSpec();
  s.process!.terminal = false;
  s.linux!.namespaces!.push({ type: 'user' });
  s.linux!.uidMappings = [{ containerID: 0, hostID: 1000, size: 1 }];
  s.process!.user!.additionalGids = [1, 2, 3];
  s.process!.execCPUAffinity = { final: '0' };
  return compileCreate(s, { id: 'f', bundle: '/b', rootfs: '/b/r', stateDir: '/s' }).plan;
}

test('header: magic, protocol version, flags, build id, op count, body length', () => {
  const plan = samplePlan();
  const buf = encodePlan({ ...plan, flags: 1 });
  assert.equal(buf.readUInt32LE(0), PLAN_MAGIC);
  assert.equal(buf.readUInt16LE(4), PROTOCOL_VERSION);
  assert.equal(buf.readUInt16LE(6), 1);
  assert.equal(buf.readUInt32LE(8), BUILD_ID);
  assert.equal(buf.readUInt32LE(12), plan.ops.length);
  assert.equal(buf.readUInt32LE(16), buf.length - 24);
  // first op: code, field count
  assert.equal(buf.readUInt16LE(24), opDescs[plan.ops[0]!.op].code);
});

test('in a frame: the sync socket\'s header (body length, type, zero) and then exactly the plain encoding', () => {
  const plan = samplePlan();
  const plain = encodePlan(plan);
  const framed = encodePlan(plan, undefined, 1);
  assert.equal(framed.readUInt32LE(0), plain.length);
  assert.equal(framed.readUInt16LE(4), 1);
  assert.equal(framed.readUInt16LE(6), 0);
  assert.deepEqual(framed.subarray(8), plain);
});

test('strings carry one NUL; a NUL inside a string is refused before C sees it', () => {
  const buf = encodePlan({ flags: 0, ops: [op('hostname', { name: 'ab' })] });
  // op header 8 + field header 8 + "ab\0"
  assert.deepEqual([...buf.subarray(24 + 16)], [0x61, 0x62, 0]);
  assert.throws(() => encodePlan({ flags: 0, ops: [op('hostname', { name: 'a\0b' })] }), /plan op 0 \(hostname\)\.name: string contains a NUL/);
});

test('strings are UTF-8 (ASCII by a fast path, the rest by Buffer), lists and 64-bit fields by their layout; the buffer grows past 16 KiB', () => {
  for (const name of ['plain', 'caf\u00e9-\u65e5\u672c', 'a\u{1f600}b', 'x'.repeat(20000)]) {
    const buf = encodePlan({ flags: 0, ops: [op('hostname', { name })] });
    assert.deepEqual(buf.subarray(24 + 16), Buffer.from(`${name}\0`), name.slice(0, 20));
    assert.equal(buf.readUInt32LE(24 + 12), Buffer.byteLength(name) + 1);
  }
  const env = ['A=1', 'B=\u00fc'];
  const buf = encodePlan({ flags: 0, ops: [op('exec', { args: ['sh'], env, preserve_fds: 2 })] });
  // args: count, then length + bytes per item
  let at = 24 + 8 + 8;
  assert.equal(buf.readUInt32LE(at), 1);
  assert.equal(buf.readUInt32LE(at + 4), 3);
  at += 4 + 4 + 3 + 8;
  assert.equal(buf.readUInt32LE(at), 2);
  assert.deepEqual(buf.subarray(at + 8, at + 8 + 4), Buffer.from('A=1\0'));
  assert.deepEqual(buf.subarray(at + 8 + 4 + 4, at + 8 + 4 + 4 + 5), Buffer.from('B=\u00fc\0'));
  const clone = encodePlan({ flags: 0, ops: [op('clone', { flags: 0x7c020000 })] });
  assert.equal(clone.readBigUInt64LE(24 + 16), 0x7c020000n);
  const caps = encodePlan({ flags: 0, ops: [op('caps_bounding', { mask: 2n ** 40n + 5n })] });
  assert.equal(caps.readBigUInt64LE(24 + 16), 2n ** 40n + 5n);
});

test('the C plan reader survives 30000 mutated plans under ASan/UBSan', { timeout: 120_000, skip: sanitizerSkip() }, () => {
  const make = spawnSync('make', ['-s', '-C', join(root, 'native'), 'fuzz'], { encoding: 'utf8' });
  assert.equal(make.status, 0, `make -C native fuzz failed:\n${make.stderr}`);
  const dir = mkdtempSync(join(tmpdir(), 'tsrun-fuzz-'));
  try {
    const seed = join(dir, 'seed.plan');
    writeFileSync(seed, encodePlan(samplePlan()));
    const res = spawnSync(join(root, 'native', 'build', 'fuzz-plan'), [seed, '30000'], { encoding: 'utf8', env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0' } });
    assert.equal(res.status, 0, `fuzz-plan failed:\n${res.stderr}`);
    assert.match(res.stdout, /30000 iterations, [1-9]\d* decoded/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('handshake: the executor refuses a plan from another build and says so', async () => {
  const { spawn } = await import('node:child_process');
  const exe = join(root, 'native', 'build', 'tsrun-exec');
  const child = spawn(exe, ['3'], { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
  const sock = child.stdio[3] as import('node:stream').Duplex;
  const chunks: Buffer[] = [];
  sock.on('data', (d: Buffer) => chunks.push(d));
  const body = encodePlan(samplePlan(), BUILD_ID ^ 0x5a5a5a5a);
  const head = Buffer.alloc(8);
  head.writeUInt32LE(body.length, 0);
  head.writeUInt16LE(1, 4); // plan
  sock.write(Buffer.concat([head, body]));
  // the exit code, and the reply read to the socket's end (it can come after 'exit')
  const [code] = await Promise.all([
    new Promise<number | null>((resolve) => child.on('exit', resolve)),
    new Promise<void>((resolve) => sock.on('close', () => resolve())),
  ]);
  const reply = Buffer.concat(chunks);
  assert.equal(code, 1);
  assert.equal(reply.readUInt16LE(4), 5, 'an error frame');
  assert.match(reply.subarray(8 + 12).toString(), /executor build mismatch/);
});
