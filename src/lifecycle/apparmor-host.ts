// Whether this host enforces AppArmor: what runc's apparmor.IsEnabled reads.
// Read only when a profile is asked for, so other creates pay nothing.
import { readFileSync } from 'node:fs';

export const APPARMOR_ENABLED_FILE = '/sys/module/apparmor/parameters/enabled';

export function apparmorEnabled(file = APPARMOR_ENABLED_FILE): boolean {
  try {
    return readFileSync(file, 'utf8').startsWith('Y');
  } catch {
    return false;
  }
}
