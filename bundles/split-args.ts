// --args of the bundle maker: one string split into argv the simple way a
// shell would (quotes group words, backslash escapes), without running a shell.
/** Split a command line the simple way a shell would: quotes group, backslash escapes. */
export function splitArgs(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | null = null;
  let any = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = null;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) cur += line[++i];
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      any = true;
    } else if (c === '\\' && i + 1 < line.length) {
      cur += line[++i];
      any = true;
    } else if (/\s/.test(c)) {
      if (any || cur) out.push(cur);
      cur = '';
      any = false;
    } else cur += c;
  }
  if (quote) throw new Error(`unterminated ${quote} in --args`);
  if (any || cur) out.push(cur);
  return out;
}
