// The busybox image tarball: one tar that is both an OCI image layout (ctr
// import, podman load) and a docker-archive (docker load), with digests and
// sizes that match the bytes they name.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import tar from 'tar-stream';
import { DEFAULT_IMAGE_REF, MEDIA, makeBusyboxImageTar } from '../../../bundles/oci-image.js';

const skip = existsSync('/bin/busybox') ? false : 'needs /bin/busybox (apt-get install busybox-static)';

interface Item {
  type: string;
  linkname?: string | null;
  mode?: number;
  body: Buffer;
}

async function untar(buf: Buffer): Promise<Map<string, Item>> {
  const out = new Map<string, Item>();
  const ex = tar.extract();
  const done = new Promise<void>((resolve, reject) => {
    ex.on('entry', (h, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => {
        out.set(h.name, { type: h.type ?? 'file', linkname: h.linkname, mode: h.mode, body: Buffer.concat(chunks) });
        next();
      });
      stream.resume();
    });
    ex.on('finish', resolve);
    ex.on('error', reject);
  });
  Readable.from([buf]).pipe(ex);
  await done;
  return out;
}

const digestOf = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const blob = (d: string) => `blobs/sha256/${d.slice(7)}`;

test('image tar: OCI layout and docker-archive views of the same blobs', { skip }, async () => {
  const img = await makeBusyboxImageTar();
  assert.equal(img.ref, DEFAULT_IMAGE_REF);
  const files = await untar(img.tar);

  assert.deepEqual(JSON.parse(files.get('oci-layout')!.body.toString()), { imageLayoutVersion: '1.0.0' });
  const index = JSON.parse(files.get('index.json')!.body.toString());
  assert.equal(index.schemaVersion, 2);
  assert.equal(index.manifests.length, 1);
  const desc = index.manifests[0];
  assert.equal(desc.mediaType, MEDIA.manifest);
  assert.equal(desc.annotations['org.opencontainers.image.ref.name'], DEFAULT_IMAGE_REF);
  assert.equal(desc.annotations['io.containerd.image.name'], DEFAULT_IMAGE_REF);

  // Every descriptor names bytes present in blobs/ with that digest and size.
  const manifestBytes = files.get(blob(desc.digest))!.body;
  assert.equal(digestOf(manifestBytes), desc.digest);
  assert.equal(manifestBytes.length, desc.size);
  const manifest = JSON.parse(manifestBytes.toString());
  assert.equal(manifest.schemaVersion, 2);
  assert.equal(manifest.config.mediaType, MEDIA.config);
  assert.equal(manifest.layers.length, 1);
  for (const d of [manifest.config, manifest.layers[0]]) {
    const bytes = files.get(blob(d.digest))!.body;
    assert.equal(digestOf(bytes), d.digest);
    assert.equal(bytes.length, d.size);
  }
  const config = JSON.parse(files.get(blob(manifest.config.digest))!.body.toString());
  assert.deepEqual(config.config.Cmd, ['sh']);
  assert.equal(config.os, 'linux');
  // Uncompressed layer: its digest is its diff_id (docker load checks this).
  assert.deepEqual(config.rootfs, { type: 'layers', diff_ids: [manifest.layers[0].digest] });

  const docker = JSON.parse(files.get('manifest.json')!.body.toString());
  assert.deepEqual(docker, [
    { Config: blob(manifest.config.digest), RepoTags: [DEFAULT_IMAGE_REF], Layers: [blob(manifest.layers[0].digest)] },
  ]);
});

test('image tar: the layer holds busybox, its applet links and /etc files', { skip }, async () => {
  const img = await makeBusyboxImageTar();
  const outer = await untar(img.tar);
  const layer = await untar(outer.get(blob(img.layer.digest))!.body);
  const bb = layer.get('bin/busybox')!;
  assert.equal(bb.type, 'file');
  assert.equal(bb.mode, 0o755);
  assert.ok(bb.body.subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46])), 'bin/busybox is an ELF file');
  assert.equal(layer.get('bin/sh')?.type, 'symlink');
  assert.equal(layer.get('bin/sh')?.linkname, '/bin/busybox');
  assert.match(layer.get('etc/passwd')!.body.toString(), /^root:x:0:0:/);
  assert.match(layer.get('etc/group')!.body.toString(), /^root:x:0:/);
  assert.equal(layer.get('tmp/')?.mode, 0o1777);
  assert.ok(![...layer.keys()].some((n) => n.startsWith('/') || n.includes('..')), 'no absolute or .. paths');
});

test('image tar: the same busybox and ref give the same digests', { skip }, async () => {
  const [a, b] = await Promise.all([makeBusyboxImageTar(), makeBusyboxImageTar({ ref: 'localhost/other:1' })]);
  assert.equal(a.layer.digest, b.layer.digest);
  assert.equal(a.config.digest, b.config.digest);
  // The ref lives in the index's annotations, not in the manifest's bytes.
  assert.equal(a.manifest.digest, b.manifest.digest);
  assert.equal(b.manifest.annotations?.['org.opencontainers.image.ref.name'], 'localhost/other:1');
});
