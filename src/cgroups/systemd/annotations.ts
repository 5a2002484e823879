// `org.systemd.property.NAME` annotations: extra unit properties, passed to
// systemd as runc passes them. The value is GVariant text
// (https://docs.gtk.org/glib/gvariant-text-format.html); this reads the part
// unit properties use: booleans, numbers (with a type keyword like
// "uint64 10" or "@t 10"), strings, arrays ("['a', 'b']", "@as []") and
// tuples. A NAME ending in a lowercase letter + "Sec" (TimeoutStopSec) is
// sent as NAME-USec in microseconds, as runc does. Pure.
import { TsrunError } from '../../errors.js';
import type { DBusValue, Variant } from '../../sys/sd-bus.js';
import { variant } from '../../sys/sd-bus.js';
import type { Property } from './properties.js';

const PREFIX = 'org.systemd.property.';

const KEYWORDS: Record<string, string> = {
  boolean: 'b', byte: 'y', int16: 'n', uint16: 'q', int32: 'i', uint32: 'u', int64: 'x', uint64: 't',
  handle: 'h', double: 'd', string: 's', objectpath: 'o', signature: 'g',
};
const INTEGER = 'ynqiuxt';

class Parser {
  i = 0;
  constructor(readonly text: string) {}

  fail(what: string): never {
    throw new Error(`${what} at offset ${this.i}`);
  }
  ws(): void {
    while (/\s/.test(this.text[this.i] ?? '')) this.i++;
  }
  peek(): string {
    this.ws();
    return this.text[this.i] ?? '';
  }
  word(): string {
    this.ws();
    const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(this.text.slice(this.i));
    return m ? m[0] : '';
  }

  /** One value; `want` is the type it must have, if known. */
  value(want?: string): Variant {
    const c = this.peek();
    if (c === '@') {
      this.i++;
      const m = /^[a-z()[\]{}]+/.exec(this.text.slice(this.i));
      if (!m) this.fail('a type after @');
      this.i += m[0].length;
      return this.value(m[0]);
    }
    const w = this.word();
    if (w && KEYWORDS[w]) {
      this.i += w.length;
      return this.value(KEYWORDS[w]);
    }
    if (w === 'true' || w === 'false') {
      this.i += w.length;
      return this.typed(want ?? 'b', w === 'true', 'b');
    }
    if (c === "'" || c === '"') return this.typed(want ?? 's', this.string(), 's');
    if (c === '[') return this.array(want);
    if (c === '(') return this.tuple(want);
    const m = /^[-+]?(0x[0-9a-fA-F]+|\d+(\.\d*)?([eE][-+]?\d+)?|inf|nan)/.exec(this.text.slice(this.i));
    if (!m) this.fail('a value');
    this.i += m[0].length;
    const isFloat = /[.eE]|inf|nan/.test(m[0]) && !m[0].startsWith('0x');
    const t = want ?? (isFloat ? 'd' : 'i');
    if (t === 'd') return variant('d', Number(m[0]));
    if (!INTEGER.includes(t)) this.fail(`a number where ${t} is wanted`);
    if (isFloat) this.fail('a whole number');
    const n = BigInt(m[0].replace(/^\+/, ''));
    const range: Record<string, [bigint, bigint]> = {
      y: [0n, 255n], n: [-32768n, 32767n], q: [0n, 65535n], i: [-(2n ** 31n), 2n ** 31n - 1n], u: [0n, 2n ** 32n - 1n],
      x: [-(2n ** 63n), 2n ** 63n - 1n], t: [0n, 2n ** 64n - 1n],
    };
    const [lo, hi] = range[t]!;
    if (n < lo || n > hi) this.fail(`${m[0]} out of range for ${t}`);
    return variant(t, t === 'x' || t === 't' ? n : Number(n));
  }

  typed(want: string, v: DBusValue, natural: string): Variant {
    if (want !== natural && !(natural === 's' && (want === 'o' || want === 'g'))) this.fail(`a ${natural} value where ${want} is wanted`);
    return variant(want, v);
  }

  string(): string {
    const q = this.text[this.i++];
    let s = '';
    for (;;) {
      const c = this.text[this.i++];
      if (c === undefined) this.fail('an unterminated string');
      if (c === q) return s;
      if (c === '\\') {
        const e = this.text[this.i++];
        const map: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"' };
        if (e === undefined || !(e in map)) this.fail('an unknown escape');
        s += map[e];
      } else s += c;
    }
  }

  array(want?: string): Variant {
    if (want !== undefined && !want.startsWith('a')) this.fail(`an array where ${want} is wanted`);
    this.i++; // [
    let elem = want?.slice(1);
    const items: DBusValue[] = [];
    if (this.peek() === ']') {
      this.i++;
      if (elem === undefined) this.fail('an empty array without a type (write @as [])');
      return variant(`a${elem}`, []);
    }
    for (;;) {
      const v = this.value(elem);
      elem ??= v.sig;
      if (v.sig !== elem) this.fail('array elements of different types');
      items.push(v.value);
      const c = this.peek();
      this.i++;
      if (c === ']') break;
      if (c !== ',') this.fail('"," or "]"');
    }
    return variant(`a${elem}`, items);
  }

  tuple(want?: string): Variant {
    this.i++; // (
    const wanted = want ? splitTuple(want) : undefined;
    const items: Variant[] = [];
    if (this.peek() !== ')') {
      for (;;) {
        items.push(this.value(wanted?.[items.length]));
        const c = this.peek();
        this.i++;
        if (c === ')') break;
        if (c !== ',') this.fail('"," or ")"');
      }
    } else this.i++;
    const sig = `(${items.map((v) => v.sig).join('')})`;
    if (want && want !== sig) this.fail(`a tuple ${sig} where ${want} is wanted`);
    return variant(sig, items.map((v) => v.value));
  }
}

function splitTuple(sig: string): string[] {
  if (!sig.startsWith('(') || !sig.endsWith(')')) throw new Error(`a tuple where ${sig} is wanted`);
  const out: string[] = [];
  const inner = sig.slice(1, -1);
  for (let i = 0; i < inner.length; ) {
    let j = i;
    while (inner[j] === 'a') j++;
    if (inner[j] === '(') {
      let depth = 0;
      for (; j < inner.length; j++) {
        if (inner[j] === '(') depth++;
        if (inner[j] === ')' && --depth === 0) break;
      }
    }
    out.push(inner.slice(i, j + 1));
    i = j + 1;
  }
  return out;
}

/** Parse one GVariant text value (throws Error with what is wrong). */
export function parseGVariant(text: string): Variant {
  const p = new Parser(text);
  const v = p.value();
  if (p.peek() !== '') p.fail('text after the value');
  return v;
}

/** A number variant's value in microseconds, for NAME-Sec -> NAME-USec. */
function secondsToUsec(v: Variant): Variant {
  if (v.sig === 'd') return variant('t', BigInt(Math.trunc((v.value as number) * 1e6)));
  if (!INTEGER.includes(v.sig)) throw new Error('not a number');
  return variant('t', BigInt.asUintN(64, BigInt(v.value as number | bigint) * 1000000n));
}

/** The extra unit properties the config's annotations ask for, in key order; errors name the annotation. */
export function annotationProperties(annotations: Record<string, string> | undefined): Property[] {
  const out: Property[] = [];
  for (const [key, text] of Object.entries(annotations ?? {})) {
    if (!key.startsWith(PREFIX)) continue;
    const field = `/annotations/${key.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    let name = key.slice(PREFIX.length);
    if (!/^[A-Za-z][A-Za-z0-9]*$/.test(name)) {
      throw new TsrunError(`annotation ${key}: ${JSON.stringify(name)} is not a systemd property name`, { field });
    }
    let value: Variant;
    try {
      value = parseGVariant(text);
      const sec = /^(.*[a-z])Sec$/.exec(name);
      if (sec) {
        name = `${sec[1]}USec`;
        value = secondsToUsec(value);
      }
    } catch (err) {
      throw new TsrunError(`annotation ${key}=${JSON.stringify(text)}: value parse error: ${(err as Error).message}`, { field });
    }
    out.push([name, value]);
  }
  return out;
}
