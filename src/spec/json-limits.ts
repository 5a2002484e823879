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

/** The largest number a config field can hold (uint64: rlimits, memory limits...). */
export const MAX_UINT64 = 2n ** 64n - 1n;
/** A literal of 20 digits or more, or with an exponent of 2 digits or more: only these can pass MAX_UINT64. */
const MAYBE_BIG = /\d{20}|[eE]\+?\d\d/;

function pastUint64(literal: string): boolean {
  if (/^-?\d+$/.test(literal)) return BigInt(literal) > MAX_UINT64;
  return Math.abs(Number(literal)) >= 2 ** 64;
}

/**
 * The JSON pointer and text of the first number literal past uint64 in a
 * valid JSON text. Found in the text, not the parsed value: once a double,
 * 18446744073709551615 (RLIM_INFINITY, valid) and 18446744073709551616 are
 * the same number. A fast test first: a usual config has no such literal.
 */
export function numberPastUint64(text: string): { at: string; literal: string } | undefined {
  if (!MAYBE_BIG.test(text)) return undefined;
  // one frame per open container: its path part and, for an object, whether a key comes next
  const parts: (string | number)[] = [];
  const frames: { array: boolean; keyNext: boolean }[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const top = frames[frames.length - 1];
    if (c === '{' || c === '[') {
      frames.push({ array: c === '[', keyNext: c === '{' });
      parts.push(c === '[' ? 0 : '');
    } else if (c === '}' || c === ']') {
      frames.pop();
      parts.pop();
    } else if (c === ',') {
      if (top?.array) parts[parts.length - 1] = (parts[parts.length - 1] as number) + 1;
      else if (top) top.keyNext = true;
    } else if (c === '"') {
      let j = i + 1;
      for (; j < text.length && text[j] !== '"'; j++) if (text[j] === '\\') j++;
      if (top && !top.array && top.keyNext) {
        parts[parts.length - 1] = JSON.parse(text.slice(i, j + 1)) as string;
        top.keyNext = false;
      }
      i = j;
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      let j = i + 1;
      while (j < text.length && /[0-9eE.+-]/.test(text[j]!)) j++;
      const literal = text.slice(i, j);
      if (pastUint64(literal)) return { at: parts.map((p) => `/${String(p).replace(/~/g, '~0').replace(/\//g, '~1')}`).join(''), literal };
      i = j - 1;
    }
  }
  return undefined;
}
