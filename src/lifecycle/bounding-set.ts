// tsrun's own capability bounding set, which caps what any process it starts
// can hold. Read once per create/exec from /proc/self/status.
import { readFileSync } from 'node:fs';

export function ownBoundingSet(): bigint | undefined {
  try {
    const m = /^CapBnd:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? BigInt(`0x${m[1]}`) : undefined;
  } catch {
    return undefined;
  }
}
