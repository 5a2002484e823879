// criu's messages come from the rpc.proto its package installs (never a copy
// in this repo): without it the error names the file and the package.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { PROTO_PATHS, loadRpc } from '../../../src/criu/rpc.js';

test('a missing rpc.proto is named, with the package that ships it', () => {
  const saved = process.env.TSRUN_CRIU_PROTO;
  delete process.env.TSRUN_CRIU_PROTO;
  try {
    assert.throws(() => loadRpc(['/nonexistent/criu/rpc.proto']), /criu's RPC definition is missing \(looked for \/nonexistent\/criu\/rpc\.proto\): install the criu package/);
  } finally {
    if (saved !== undefined) process.env.TSRUN_CRIU_PROTO = saved;
  }
});

const installed = PROTO_PATHS.find((p) => existsSync(p));
test('requests encode and responses decode with criu\'s field names', { skip: installed ? false : `needs criu's rpc.proto (${PROTO_PATHS.join(' or ')}: apt-get install criu)` }, () => {
  const rpc = loadRpc();
  const req = { type: rpc.reqType('DUMP'), opts: { images_dir_fd: 7, pid: 42, ext_mnt: [{ key: '/a', val: '/a' }], manage_cgroups_mode: rpc.cgMode('SOFT') } };
  const bytes = rpc.encodeRequest(req);
  assert.ok(bytes.length > 10);
  assert.equal(rpc.reqTypeName(rpc.reqType('NOTIFY')), 'NOTIFY');
  // a response built the way criu sends one
  const protobuf = require('protobufjs') as typeof import('protobufjs');
  const { readFileSync } = require('node:fs') as typeof import('node:fs');
  const Resp = protobuf.parse(readFileSync(installed!, 'utf8'), { keepCase: true }).root.lookupType('criu_resp');
  const wire = Buffer.from(Resp.encode(Resp.fromObject({ type: rpc.reqType('NOTIFY'), success: true, notify: { script: 'post-restore', pid: 99 } })).finish());
  assert.deepEqual(rpc.decodeResponse(wire), { type: rpc.reqType('NOTIFY'), success: true, notify: { script: 'post-restore', pid: 99 } });
  assert.throws(() => rpc.encodeRequest({ type: rpc.reqType('DUMP'), opts: { images_dir_fd: 1, pid: 'x' } }), /opts\.pid: integer expected/);
  // a field this criu's definition lacks is refused, not dropped
  assert.throws(() => rpc.encodeRequest({ type: rpc.reqType('DUMP'), opts: { images_dir_fd: 1, ext_mnt: [{ key: 'a', val: 'b', bogus: 1 }] } }), /has no field criu_req\.opts\.ext_mnt\.bogus/);
});
