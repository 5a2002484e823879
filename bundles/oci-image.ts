// A busybox image tarball made from the host's static busybox, for engines
// that cannot pull (no registry here). One tar serves both loaders: the OCI
// image layout (oci-layout, index.json, blobs/sha256/...) that `ctr images
// import` and `podman load` read, and a docker-archive manifest.json whose
// Config/Layers point at the same blobs, for `docker load`. The layer is an
// uncompressed tar, so its digest is also its diff_id.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import tar, { type Header } from 'tar-stream';
import { appletPaths, HOST_BUSYBOX } from './busybox.js';

export const DEFAULT_IMAGE_REF = 'localhost/tsrun-busybox:test';

export const MEDIA = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar',
} as const;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string };
}

export interface ImageTarOptions {
  /** Full reference, e.g. localhost/tsrun-busybox:test. */
  ref?: string;
  busybox?: string;
  /** Image Cmd; default ["sh"]. */
  cmd?: string[];
}

export interface ImageTar {
  tar: Buffer;
  ref: string;
  manifest: Descriptor;
  config: Descriptor;
  layer: Descriptor;
}

// Fixed so that the same busybox gives the same digests (reproducible image).
const EPOCH = new Date(0);
const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n';
const GROUP = 'root:x:0:\nnobody:x:65534:\n';

function sha256(buf: Buffer): string {
  return `sha256:${createHash('sha256').update(buf).digest('hex')}`;
}

function blobPath(digest: string): string {
  return `blobs/sha256/${digest.slice('sha256:'.length)}`;
}

interface Entry {
  header: { name: string; type?: 'file' | 'directory' | 'symlink'; mode: number; linkname?: string };
  body?: Buffer;
}

async function packTar(entries: Entry[]): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    pack.on('data', (c: unknown) => chunks.push(c as Buffer));
    pack.on('end', () => resolve(Buffer.concat(chunks)));
    pack.on('error', reject);
  });
  for (const e of entries) {
    const header: Partial<Header> = { type: 'file', ...e.header, uid: 0, gid: 0, mtime: EPOCH, size: e.body?.length ?? 0 };
    if (e.body) pack.entry(header as Header, e.body);
    else pack.entry(header as Header);
  }
  pack.finalize();
  return done;
}

/** The layer's entries: directories, bin/busybox, applet links, /etc files. */
export function layerEntries(busybox = HOST_BUSYBOX): Entry[] {
  const dirs: Array<[string, number]> = [
    ['bin', 0o755], ['sbin', 0o755], ['usr', 0o755], ['usr/bin', 0o755], ['usr/sbin', 0o755],
    ['etc', 0o755], ['proc', 0o555], ['sys', 0o555], ['dev', 0o755], ['tmp', 0o1777],
    ['root', 0o700], ['home', 0o755], ['var', 0o755], ['run', 0o755],
  ];
  const entries: Entry[] = dirs.map(([name, mode]) => ({ header: { name: `${name}/`, type: 'directory', mode } }));
  entries.push({ header: { name: 'bin/busybox', type: 'file', mode: 0o755 }, body: readFileSync(busybox) });
  const seen = new Set(['bin/busybox']);
  for (const applet of appletPaths(busybox)) {
    if (seen.has(applet)) continue;
    seen.add(applet);
    entries.push({ header: { name: applet, type: 'symlink', linkname: '/bin/busybox', mode: 0o777 } });
  }
  entries.push({ header: { name: 'etc/passwd', type: 'file', mode: 0o644 }, body: Buffer.from(PASSWD) });
  entries.push({ header: { name: 'etc/group', type: 'file', mode: 0o644 }, body: Buffer.from(GROUP) });
  return entries;
}

function goArch(): string {
  const map: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  return map[process.arch] ?? process.arch;
}

/** Build the image tar in memory. */
export async function makeBusyboxImageTar(opts: ImageTarOptions = {}): Promise<ImageTar> {
  const ref = opts.ref ?? DEFAULT_IMAGE_REF;
  const layerTar = await packTar(layerEntries(opts.busybox));
  const layer: Descriptor = { mediaType: MEDIA.layer, digest: sha256(layerTar), size: layerTar.length };

  const configJson = Buffer.from(
    JSON.stringify({
      created: EPOCH.toISOString(),
      architecture: goArch(),
      os: 'linux',
      config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: opts.cmd ?? ['sh'] },
      rootfs: { type: 'layers', diff_ids: [layer.digest] },
      history: [{ created: EPOCH.toISOString(), created_by: 'tsrun bundles/oci-image.ts' }],
    }),
  );
  const config: Descriptor = { mediaType: MEDIA.config, digest: sha256(configJson), size: configJson.length };

  const manifestJson = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.manifest, config, layers: [layer] }),
  );
  const manifest: Descriptor = {
    mediaType: MEDIA.manifest,
    digest: sha256(manifestJson),
    size: manifestJson.length,
    annotations: {
      // containerd's importer names the image from this one first; podman and
      // the OCI layout read ref.name.
      'io.containerd.image.name': ref,
      'org.opencontainers.image.ref.name': ref,
    },
    platform: { architecture: goArch(), os: 'linux' },
  };
  const index = { schemaVersion: 2, mediaType: MEDIA.index, manifests: [manifest] };
  const dockerManifest = [{ Config: blobPath(config.digest), RepoTags: [ref], Layers: [blobPath(layer.digest)] }];

  const outer = await packTar([
    { header: { name: 'blobs/', type: 'directory', mode: 0o755 } },
    { header: { name: 'blobs/sha256/', type: 'directory', mode: 0o755 } },
    { header: { name: blobPath(layer.digest), mode: 0o644 }, body: layerTar },
    { header: { name: blobPath(config.digest), mode: 0o644 }, body: configJson },
    { header: { name: blobPath(manifest.digest), mode: 0o644 }, body: manifestJson },
    { header: { name: 'oci-layout', mode: 0o644 }, body: Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' })) },
    { header: { name: 'index.json', mode: 0o644 }, body: Buffer.from(JSON.stringify(index)) },
    { header: { name: 'manifest.json', mode: 0o644 }, body: Buffer.from(JSON.stringify(dockerManifest)) },
  ]);
  return { tar: outer, ref, manifest, config, layer };
}
