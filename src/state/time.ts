// Timestamps as Go's time.RFC3339Nano prints them (runc's `created`): UTC,
// "Z", and the fraction with trailing zeros dropped (none at all when zero).

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** Format nanoseconds since the epoch. */
export function rfc3339Nano(epochNs: bigint): string {
  const ms = Number(epochNs / 1_000_000n);
  const d = new Date(ms);
  const frac = Number(epochNs % 1_000_000_000n);
  let text =
    `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}` +
    `T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  if (frac !== 0) text += '.' + String(frac).padStart(9, '0').replace(/0+$/, '');
  return text + 'Z';
}

/**
 * Now, to the millisecond: the first touch of the global `performance`
 * loads perf_hooks (~1 ms of every create) for digits nobody reads.
 */
function nowNs(): bigint {
  return BigInt(Date.now()) * 1_000_000n;
}

export function nowRfc3339Nano(): string {
  return rfc3339Nano(nowNs());
}
