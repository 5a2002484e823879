// The plan as the executor reads it: a versioned TLV (native/exec/plan.c).
// Header: u32 magic, u16 protocol, u16 flags, u32 build id, u32 op count,
// u32 body length, u32 reserved. Op: u16 code, u16 field count, u32 length,
// then fields {u16 index, u16 type, u32 length, data}.
import { BUILD_ID, FieldType, PLAN_MAGIC, PROTOCOL_VERSION, opDescs, type FieldTypeName } from './generated/ops.js';
import type { Plan } from './types.js';

class Writer {
  private chunks: Buffer[] = [];
  length = 0;
  push(b: Buffer): void {
    this.chunks.push(b);
    this.length += b.length;
  }
  u16(v: number): void {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(v);
    this.push(b);
  }
  u32(v: number): void {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    this.push(b);
  }
  done(): Buffer {
    return Buffer.concat(this.chunks, this.length);
  }
}

function cstr(s: string, what: string): Buffer {
  if (s.includes('\0')) throw new Error(`${what}: string contains a NUL byte`);
  return Buffer.from(s + '\0', 'utf8');
}

function encodeField(type: FieldTypeName, value: unknown, what: string): Buffer {
  switch (type) {
    case 'u32': {
      const b = Buffer.alloc(4);
      b.writeUInt32LE(Number(value) >>> 0);
      return b;
    }
    case 'i32': {
      const b = Buffer.alloc(4);
      b.writeInt32LE(Number(value) | 0);
      return b;
    }
    case 'u64': {
      const b = Buffer.alloc(8);
      b.writeBigUInt64LE(BigInt.asUintN(64, BigInt(value as bigint | number)));
      return b;
    }
    case 'i64': {
      const b = Buffer.alloc(8);
      b.writeBigInt64LE(BigInt.asIntN(64, BigInt(value as bigint | number)));
      return b;
    }
    case 'str':
      return cstr(String(value), what);
    case 'strs': {
      const w = new Writer();
      const list = value as string[];
      w.u32(list.length);
      for (const s of list) {
        const b = cstr(s, what);
        w.u32(b.length);
        w.push(b);
      }
      return w.done();
    }
    case 'u32s': {
      const list = value as number[];
      const b = Buffer.alloc(4 + 4 * list.length);
      b.writeUInt32LE(list.length);
      list.forEach((v, i) => b.writeUInt32LE(v >>> 0, 4 + 4 * i));
      return b;
    }
    case 'bytes':
      return Buffer.from(value as Uint8Array);
  }
}

export function encodePlan(plan: Plan, buildId: number = BUILD_ID): Buffer {
  const body = new Writer();
  for (const [i, o] of plan.ops.entries()) {
    const desc = opDescs[o.op];
    const fields = new Writer();
    desc.fields.forEach(([name, type], k) => {
      const value = (o.args as Record<string, unknown>)[name];
      if (value === undefined) throw new Error(`plan op ${i} (${o.op}): field ${name} missing`);
      const data = encodeField(type, value, `plan op ${i} (${o.op}).${name}`);
      fields.u16(k);
      fields.u16(FieldType[type]);
      fields.u32(data.length);
      fields.push(data);
    });
    body.u16(desc.code);
    body.u16(desc.fields.length);
    body.u32(fields.length);
    body.push(fields.done());
  }
  const head = Buffer.alloc(24);
  head.writeUInt32LE(PLAN_MAGIC, 0);
  head.writeUInt16LE(PROTOCOL_VERSION, 4);
  head.writeUInt16LE(plan.flags, 6);
  head.writeUInt32LE(buildId >>> 0, 8);
  head.writeUInt32LE(plan.ops.length, 12);
  head.writeUInt32LE(body.length, 16);
  head.writeUInt32LE(0, 20);
  return Buffer.concat([head, body.done()]);
}
