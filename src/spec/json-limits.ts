// Bounds on the JSON the runtime reads (config.json, process.json, update's
// resources): a size cap, and a nesting depth checked before anything
// recursive sees it, so a hostile file fails with a message naming the limit
// rather than with an out-of-memory kill or "Maximum call stack size exceeded".

/** config.json and process.json: far above any real one, and what a state record can carry (state/store.ts). */
export const MAX_CONFIG_BYTES = 16 << 20;
/** Nesting a config never needs; the recursive steps after the parse (validation, the record's JSON.stringify) overflow the stack near 5000. */
export const MAX_JSON_DEPTH = 256;

/** Whether `text` nests arrays and objects deeper than `limit` (strings skipped): one pass, no parse. */
export function nestedDeeperThan(text: string, limit: number): boolean {
  if (text.length <= limit) return false;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      // a string: skip to its closing quote, past escapes
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 92) i++;
        else if (d === 34) break;
      }
    } else if (c === 123 || c === 91) {
      if (++depth > limit) return true;
    } else if (c === 125 || c === 93) depth--;
  }
  return false;
}

/** The JSON pointer of the first string (or key) holding a NUL byte, or undefined. */
export function nulAt(value: unknown, at: string): string | undefined {
  if (typeof value === 'string') return value.includes('\0') ? at : undefined;
  if (value === null || typeof value !== 'object') return undefined;
  for (const [k, v] of Object.entries(value)) {
    const here = `${at}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    if (k.includes('\0')) return here;
    const found = nulAt(v, here);
    if (found !== undefined) return found;
  }
  return undefined;
}
