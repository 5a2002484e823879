// RFC 6901 JSON pointers, for --drop-field.

/** @param {string} ptr */
export function parsePointer(ptr) {
  if (ptr === '') return [];
  if (!ptr.startsWith('/')) throw new Error(`not a JSON pointer: ${ptr}`);
  return ptr.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Remove the value at `ptr` from a deep copy of `doc`; throws when it is absent. */
export function withoutPointer(doc, ptr) {
  const copy = structuredClone(doc);
  const parts = parsePointer(ptr);
  if (parts.length === 0) throw new Error('cannot drop the whole document');
  let cur = copy;
  for (const p of parts.slice(0, -1)) {
    if (cur === null || typeof cur !== 'object' || !(p in cur)) throw new Error(`${ptr}: no such field`);
    cur = cur[p];
  }
  const last = parts[parts.length - 1];
  if (cur === null || typeof cur !== 'object' || !(last in cur)) throw new Error(`${ptr}: no such field`);
  if (Array.isArray(cur)) cur.splice(Number(last), 1);
  else delete cur[last];
  return copy;
}
