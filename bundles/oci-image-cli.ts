// `node dist/bundle-oci-image.cjs <out.tar> [--ref localhost/tsrun-busybox:test]`:
// write a busybox image tarball that `ctr images import`, `docker load` and
// `podman load` accept.
import { writeFileSync } from 'node:fs';
import { DEFAULT_IMAGE_REF, makeBusyboxImageTar } from './oci-image.js';

const USAGE = `usage: bundle-oci-image <out.tar> [--ref ${DEFAULT_IMAGE_REF}]\n`;

async function main(argv: string[]): Promise<number> {
  let out: string | undefined;
  let ref: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--ref') ref = argv[++i];
    else if (a.startsWith('--ref=')) ref = a.slice(6);
    else if (a === '-h' || a === '--help') {
      process.stdout.write(USAGE);
      return 0;
    } else if (!a.startsWith('-') && out === undefined) out = a;
    else {
      process.stderr.write(USAGE);
      return 2;
    }
  }
  if (!out || ref === '') {
    process.stderr.write(USAGE);
    return 2;
  }
  const image = await makeBusyboxImageTar({ ref });
  writeFileSync(out, image.tar);
  process.stdout.write(`${out} ${image.ref} ${image.manifest.digest}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err: Error) => {
    process.stderr.write(`bundle-oci-image: ${err.message}\n`);
    process.exitCode = 1;
  },
);
