// What `tsrun events` prints: runc's event objects, one JSON line each.
import { TsrunError } from '../errors.js';
import { type CgroupStats, eventData } from './stats.js';

// A limit of "max" is read as Infinity; runc reports it as the largest
// uint64, which a double cannot hold, so it is spliced in as text.
const MAX_UINT64 = '18446744073709551615';
// No event string can hold it: ids are [A-Za-z0-9_.+-] and ops are words.
const INF = '@@max-uint64@@';

export function statsEvent(id: string, stats: CgroupStats): string {
  const text = JSON.stringify({ type: 'stats', id, data: eventData(stats) }, (_k, v: unknown) => (v === Infinity ? INF : v));
  return text.split(`"${INF}"`).join(MAX_UINT64) + '\n';
}

export function oomEvent(id: string): string {
  return JSON.stringify({ type: 'oom', id }) + '\n';
}

const unitMs: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go's time.ParseDuration, in milliseconds: "5s", "250ms", "1m30s", "1.5h". */
export function parseGoDuration(text: string): number {
  if (text === '0') return 0;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/gy;
  let total = 0;
  let pos = 0;
  let m: RegExpExecArray | null;
  const sign = text.startsWith('-') ? -1 : 1;
  const body = text.replace(/^[-+]/, '');
  while ((m = re.exec(body)) !== null) {
    total += Number(m[1]) * unitMs[m[2]!]!;
    pos = re.lastIndex;
  }
  if (pos === 0 || pos !== body.length) {
    throw new TsrunError(`invalid value ${JSON.stringify(text)} for flag -interval: parse error`);
  }
  return sign * total;
}
