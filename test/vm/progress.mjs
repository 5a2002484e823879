// A line per step on stderr with the time since the run began, and a
// heartbeat while a long step runs: building and booting the VM take minutes
// under software emulation, and a silent terminal looks hung.
const t0 = Date.now();

export function elapsed() {
  const s = (Date.now() - t0) / 1000;
  return s < 60 ? `${s.toFixed(1)}s` : `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
}

export function step(text) {
  process.stderr.write(`[vm ${elapsed().padStart(6)}] ${text}\n`);
}

/**
 * Runs `fn` and says every `everyMs` that it still runs, with what
 * `detail()` returns (the last line of a log, a count).
 */
export async function withHeartbeat(text, fn, { everyMs = 15_000, detail = () => '' } = {}) {
  const start = Date.now();
  step(`${text} ...`);
  const timer = setInterval(() => {
    const d = detail();
    step(`  ${text}: ${Math.round((Date.now() - start) / 1000)}s${d ? ` (${d})` : ''}`);
  }, everyMs);
  try {
    const r = await fn();
    step(`${text}: done in ${((Date.now() - start) / 1000).toFixed(1)}s`);
    return r;
  } finally {
    clearInterval(timer);
  }
}
