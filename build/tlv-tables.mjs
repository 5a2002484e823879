// What the two TLV generators (gen-ops.mjs for the plan, gen-fast.mjs for
// the fast form) share: the field types both sides decode with the plan
// reader, the build id hash, and a write that leaves an unchanged file's
// mtime alone (so make does not rebuild native/ for nothing).
import { readFileSync, writeFileSync } from 'node:fs';

export const FIELD_TYPES = { u32: 1, i32: 2, u64: 3, i64: 4, str: 5, strs: 6, u32s: 7, bytes: 8 };
export const C_TYPES = {
  u32: 'uint32_t', i32: 'int32_t', u64: 'uint64_t', i64: 'int64_t',
  str: 'const char *', strs: 'struct plan_strs', u32s: 'struct plan_u32s', bytes: 'struct plan_bytes',
};

/** FNV-1a, 32 bits: enough to tell two builds of a definition apart. */
export function fnv1a(text) {
  let h = 0x811c9dc5;
  for (const b of Buffer.from(text)) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h >>> 0;
}

export function writeIfChanged(path, text) {
  let old = null;
  try {
    old = readFileSync(path, 'utf8');
  } catch {
    /* first build */
  }
  if (old !== text) writeFileSync(path, text);
}
