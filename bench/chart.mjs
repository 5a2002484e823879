// The bench's picture: a horizontal bar chart (SVG, no library) of the
// median time of each lifecycle step per runtime, written beside RESULTS.md
// from the same run (bench/run.mjs).

const STEPS = [
  ['create', 'create'],
  ['start', 'start'],
  ['state', 'state (running)'],
  ['kill', 'kill KILL'],
  ['delete', 'delete (stopped)'],
  ['cycle', 'create+start+wait+delete'],
  ['run', 'run (foreground)'],
  ['crowd-state', 'state, 100 present'],
  ['crowd-list', 'list, 100 present'],
];
const COLORS = ['#2b6cb0', '#c05621', '#2f855a', '#6b46c1'];

const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** medians: step id -> ms; runtimes: [{key, name}] in legend order. */
export function barChart(medians, runtimes, date) {
  const rows = STEPS.filter(([s]) => runtimes.some((r) => medians.get(`${r.key}-${s}`) !== undefined));
  const max = Math.max(1, ...rows.flatMap(([s]) => runtimes.map((r) => medians.get(`${r.key}-${s}`) ?? 0)));
  const bar = 13;
  const gap = 12;
  const left = 190;
  const plot = 560;
  const top = 58;
  const groupH = runtimes.length * bar + gap;
  const height = top + rows.length * groupH + 30;
  const width = left + plot + 90;
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="10" y="20" font-size="15" font-weight="bold">tsrun, runc and crun: median ms per call (npm run bench, ${esc(date)})</text>`);
  runtimes.forEach((r, i) => {
    const x = 10 + i * 230;
    out.push(`<rect x="${x}" y="32" width="12" height="12" fill="${COLORS[i % COLORS.length]}"/>`);
    out.push(`<text x="${x + 17}" y="43">${esc(r.name)}</text>`);
  });
  rows.forEach(([s, label], g) => {
    const y0 = top + g * groupH;
    out.push(`<text x="${left - 8}" y="${y0 + (runtimes.length * bar) / 2 + 4}" text-anchor="end">${esc(label)}</text>`);
    runtimes.forEach((r, i) => {
      const v = medians.get(`${r.key}-${s}`);
      if (v === undefined) return;
      const w = Math.max(1, (v / max) * plot);
      const y = y0 + i * bar;
      out.push(`<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="${bar - 2}" fill="${COLORS[i % COLORS.length]}"/>`);
      out.push(`<text x="${(left + w + 4).toFixed(1)}" y="${y + bar - 3}" font-size="10">${v.toFixed(2)}</text>`);
    });
  });
  out.push(`<line x1="${left}" y1="${top - 4}" x2="${left}" y2="${height - 24}" stroke="#888"/>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}
