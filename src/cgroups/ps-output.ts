// `tsrun ps` in table mode: the host's ps output cut down to the
// container's processes (found by the PID column of the header).
import { TsrunError } from '../errors.js';

/** Keep the header and the lines of `output` whose PID column is in `pids`. */
export function filterPsOutput(output: string, pids: number[]): string {
  const lines = output.split('\n');
  const header = lines[0] ?? '';
  const pidIndex = header.trim().split(/\s+/).indexOf('PID');
  if (pidIndex < 0) throw new TsrunError("couldn't find PID field in ps output");
  const want = new Set(pids);
  const out = [header];
  for (const line of lines.slice(1)) {
    if (line === '') continue;
    const field = line.trim().split(/\s+/)[pidIndex] ?? '';
    const pid = Number(field);
    if (!/^\d+$/.test(field)) throw new TsrunError(`unable to parse pid: ${JSON.stringify(field)}`);
    if (want.has(pid)) out.push(line);
  }
  return out.join('\n') + '\n';
}
