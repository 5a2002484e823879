// Reading the checker's TAP: which numbered checks passed, and why not.

/**
 * @param {string} text TAP from the checker (a terminal may add \r)
 * @returns {{plan: number|null, results: Map<number, {ok: boolean, name: string, detail: string}>}}
 */
export function parseTap(text) {
  const results = new Map();
  let plan = null;
  for (const raw of text.split('\n')) {
    // a terminal may add \r, and control bytes (raw or echoed as ^@, ^D) before a line
    const line = raw.replace(/\r$/, '').replace(/^(?:[\x00-\x1f]|\^[@A-Z])+/, '');
    const p = /^1\.\.(\d+)\s*$/.exec(line);
    if (p) {
      plan = Number(p[1]);
      continue;
    }
    const m = /^(not )?ok (\d+)(?: - ([^#]*))?(?:#\s?(.*))?$/.exec(line);
    if (!m) continue;
    results.set(Number(m[2]), { ok: !m[1], name: (m[3] ?? '').trim(), detail: (m[4] ?? '').trim() });
  }
  return { plan, results };
}
