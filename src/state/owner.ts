// Owner names for `list`, as runc shows them: the user name from
// /etc/passwd, or "#<uid>" when there is none.
import { readFileSync } from 'node:fs';

export function userNames(passwd = '/etc/passwd'): Map<number, string> {
  const names = new Map<number, string>();
  let text = '';
  try {
    text = readFileSync(passwd, 'utf8');
  } catch {
    return names;
  }
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 3 || f[0]!.startsWith('#')) continue;
    const uid = Number(f[2]);
    // The first entry for a uid wins, as getpwuid does.
    if (Number.isInteger(uid) && !names.has(uid)) names.set(uid, f[0]!);
  }
  return names;
}

export function ownerName(uid: number, names: Map<number, string>): string {
  return names.get(uid) ?? `#${uid}`;
}
