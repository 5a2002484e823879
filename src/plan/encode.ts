// The plan as the executor reads it: a versioned TLV (native/exec/plan.c).
// Header: u32 magic, u16 protocol, u16 flags, u32 build id, u32 op count,
// u32 body length, u32 reserved. Op: u16 code, u16 field count, u32 length,
// then fields {u16 index, u16 type, u32 length, data}.
import { BUILD_ID, FieldType, PLAN_MAGIC, PROTOCOL_VERSION, opDescs, type FieldTypeName } from './generated/ops.js';
import { TsrunError } from '../errors.js';
import type { Plan, PlanOp } from './types.js';

/**
 * One growing buffer written at an offset through a DataView (V8 builtins:
 * a create encodes ~300 fields once, in a cold process, where each call into
 * Buffer's JS helpers costs more than the whole field).
 */
class Writer {
  buf = Buffer.allocUnsafe(16384);
  view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.length);
  at = 0;
  private room(n: number): void {
    if (this.at + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.at + n));
    this.buf.copy(next, 0, 0, this.at);
    this.buf = next;
    this.view = new DataView(next.buffer, next.byteOffset, next.length);
  }
  u16(v: number): void {
    this.room(2);
    this.view.setUint16(this.at, v, true);
    this.at += 2;
  }
  u32(v: number): void {
    this.room(4);
    this.view.setUint32(this.at, v >>> 0, true);
    this.at += 4;
  }
  /** Reserve a u32 to fill in later (a length known only after what follows). */
  hole(): number {
    this.u32(0);
    return this.at - 4;
  }
  fill(hole: number, v: number): void {
    this.view.setUint32(hole, v >>> 0, true);
  }
  cstr(s: string, what: () => string): void {
    if (s.includes('\0')) throw new Error(`${what()}: string contains a NUL byte`);
    this.room(s.length * 3 + 1); // the most UTF-8 a UTF-16 string can need
    const b = this.buf;
    let at = this.at;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c > 0x7f) {
        at = this.at + b.write(s, this.at); // not ASCII: Buffer's UTF-8 encoder
        break;
      }
      b[at++] = c;
    }
    b[at++] = 0;
    this.at = at;
  }
  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.at);
    this.at += b.length;
  }
}

function encodeField(w: Writer, type: FieldTypeName, value: unknown, what: () => string): void {
  switch (type) {
    case 'u32':
      w.u32(Number(value));
      return;
    case 'i32':
      w.u32(Number(value) | 0);
      return;
    case 'u64':
    case 'i64': {
      if (typeof value === 'number' && value >= 0 && value <= 0xffffffff) {
        w.u32(value);
        w.u32(0);
        return;
      }
      const v = BigInt.asUintN(64, BigInt(value as bigint | number));
      w.u32(Number(v & 0xffffffffn));
      w.u32(Number(v >> 32n));
      return;
    }
    case 'str':
      w.cstr(String(value), what);
      return;
    case 'strs': {
      const list = value as string[];
      w.u32(list.length);
      for (const s of list) {
        const len = w.hole();
        const from = w.at;
        w.cstr(s, what);
        w.fill(len, w.at - from);
      }
      return;
    }
    case 'u32s': {
      const list = value as number[];
      w.u32(list.length);
      for (const v of list) w.u32(v);
      return;
    }
    case 'bytes':
      w.bytes(value as Uint8Array);
      return;
  }
}

/**
 * The plan's bytes; with `frame`, inside the sync socket's frame header of
 * that message type (u32 body length, u16 type, u16 zero), ready to write.
 */
export function encodePlan(plan: Plan, buildId: number = BUILD_ID, frame?: number): Buffer {
  const w = new Writer();
  const head = frame === undefined ? 0 : 8;
  if (head) {
    w.hole();
    w.u16(frame!);
    w.u16(0);
  }
  w.u32(PLAN_MAGIC);
  w.u16(PROTOCOL_VERSION);
  w.u16(plan.flags);
  w.u32(buildId);
  w.u32(plan.ops.length);
  const bodyLength = w.hole();
  w.u32(0);
  let i = 0;
  try {
    for (; i < plan.ops.length; i++) encodeOp(w, plan.ops[i]!, i);
  } catch (err) {
    // a value the executor cannot take (a NUL inside a string): name the config field it came from
    throw new TsrunError((err as Error).message, { field: plan.ops[i]?.field });
  }
  w.fill(bodyLength, w.at - head - 24);
  if (head) w.fill(0, w.at - head);
  return w.buf.subarray(0, w.at);
}

function encodeOp(w: Writer, o: PlanOp, i: number): void {
  const desc = opDescs[o.op];
  encodeRecord(w, desc.code, desc.fields, o.args as Record<string, unknown>, `plan op ${i} (${o.op})`);
}

function encodeRecord(w: Writer, code: number, fields: readonly (readonly [string, FieldTypeName])[], args: Record<string, unknown>, what: string): void {
  w.u16(code);
  w.u16(fields.length);
  const opLength = w.hole();
  const opStart = w.at;
  for (let k = 0; k < fields.length; k++) {
    // not `const [name, type] =`: array destructuring runs the iterator protocol, ~1 us a field in a cold process
    const field = fields[k]!;
    const name = field[0];
    const type = field[1];
    const value = args[name];
    if (value === undefined) throw new Error(`${what}: field ${name} missing`);
    w.u16(k);
    w.u16(FieldType[type]);
    const len = w.hole();
    const from = w.at;
    // the field's name only for an error: built for every field, it cost more than the encoding
    encodeField(w, type, value, () => `${what}.${name}`);
    w.fill(len, w.at - from);
  }
  w.fill(opLength, w.at - opStart);
}

/** A TLV record of another table than the plan's (the fast form: src/state/fast-form.ts). */
export interface TlvRecord {
  code: number;
  fields: readonly (readonly [string, FieldTypeName])[];
  args: Record<string, unknown>;
}

/** FNV-1a, 32 bits, of `b`. */
export function fnv1a32(b: Uint8Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h >>> 0;
}

/**
 * The same header and records as a plan, with the caller's magic, version
 * and build id: native/exec/plan.c's tlv_decode reads it. The header's
 * reserved word holds FNV-1a of the body: a file read back (the fast form)
 * is checked whole, since a changed byte inside a string would still decode.
 */
export function encodeTlv(magic: number, version: number, buildId: number, records: TlvRecord[]): Buffer {
  const w = new Writer();
  w.u32(magic);
  w.u16(version);
  w.u16(0);
  w.u32(buildId);
  w.u32(records.length);
  const bodyLength = w.hole();
  w.u32(0);
  records.forEach((r, i) => encodeRecord(w, r.code, r.fields, r.args, `record ${i}`));
  w.fill(bodyLength, w.at - 24);
  w.fill(20, fnv1a32(w.buf.subarray(24, w.at)));
  return w.buf.subarray(0, w.at);
}
