// `node dist/bundle-busybox.cjs <dir> [--args 'sh -c ...'] [--terminal]`
// (npm run bundle:busybox -- <dir> ...): make a ready-to-run busybox bundle.
import { makeBusyboxBundle } from './busybox.js';
import { splitArgs } from './split-args.js';

const USAGE = "usage: bundle-busybox <dir> [--args 'sh -c \"echo hi\"'] [--terminal]\n";

function main(argv: string[]): number {
  let dir: string | undefined;
  let args: string[] | undefined;
  let terminal = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--terminal' || a === '-t') terminal = true;
    else if (a === '--args' || a === '-a') args = splitArgs(argv[++i] ?? '');
    else if (a.startsWith('--args=')) args = splitArgs(a.slice(7));
    else if (a === '-h' || a === '--help') {
      process.stdout.write(USAGE);
      return 0;
    } else if (!a.startsWith('-') && dir === undefined) dir = a;
    else {
      process.stderr.write(USAGE);
      return 2;
    }
  }
  if (!dir) {
    process.stderr.write(USAGE);
    return 2;
  }
  makeBusyboxBundle(dir, { args, terminal });
  process.stdout.write(`${dir}\n`);
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`bundle-busybox: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
