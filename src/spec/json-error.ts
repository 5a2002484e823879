// Where a JSON text goes wrong. V8 reports some syntax errors without an
// offset ("Unexpected token ']', ... is not valid JSON"), so after JSON.parse
// fails we scan the text once more with a small strict parser that only
// tracks the position. Runs on the failure path only.

export interface JsonFault {
  /** Offset of the first character that cannot continue valid JSON. */
  offset: number;
  line: number;
  column: number;
  what: string;
}

class Fault extends Error {
  constructor(
    readonly offset: number,
    readonly what: string,
  ) {
    super(what);
  }
}

function scan(text: string): void {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const describe = () => (i >= text.length ? 'unexpected end of input' : `unexpected ${JSON.stringify(text[i])}`);
  const expect = (ch: string) => {
    if (text[i] !== ch) throw new Fault(i, `${describe()}, expected ${JSON.stringify(ch)}`);
    i++;
  };
  const string = () => {
    expect('"');
    for (;;) {
      if (i >= text.length) throw new Fault(i, 'unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) return void i++;
      if (c < 0x20) throw new Fault(i, 'control character in string');
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) throw new Fault(i, 'bad \\u escape');
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else throw new Fault(i, 'bad escape in string');
      } else i++;
    }
  };
  const number = () => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!m || m[0] === '' || m[0] === '-') throw new Fault(i, `${describe()}, expected a value`);
    i += m[0].length;
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') return void i++;
      for (;;) {
        ws();
        if (text[i] !== '"') throw new Fault(i, `${describe()}, expected a property name`);
        string();
        ws();
        expect(':');
        value();
        ws();
        if (text[i] === ',') i++;
        else return expect('}');
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') return void i++;
      for (;;) {
        value();
        ws();
        if (text[i] === ',') i++;
        else return expect(']');
      }
    }
    if (c === '"') return string();
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, i)) return void (i += word.length);
    }
    number();
  };
  value();
  ws();
  if (i < text.length) throw new Fault(i, `${describe()} after the JSON value`);
}

/** The first syntax fault of `text`, or undefined if it is valid JSON. */
export function jsonFault(text: string): JsonFault | undefined {
  try {
    scan(text);
    return undefined;
  } catch (err) {
    if (!(err instanceof Fault)) throw err;
    const before = text.slice(0, err.offset);
    const line = before.split('\n').length;
    const column = err.offset - before.lastIndexOf('\n');
    return { offset: err.offset, line, column, what: err.what };
  }
}
