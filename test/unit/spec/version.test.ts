// ociVersion: our SemVer 2.0.0 parser agrees with the semver package, and
// the supported range is 1.0.0(-pre) to 1.3.x.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import parse from 'semver/functions/parse.js';
import { checkOciVersion, parseSemver } from '../../../src/spec/version.js';

const samples = [
  '1.0.0', '1.0.2-dev', '1.1.0-rc.1', '1.3.0', '1.3.7+build.5', '0.5.0-dev', '2.0.0', '1.4.0', '1.0.0-alpha.beta.1',
  '1.0.0-0.3.7', '1.0.0-x.7.z.92', '1.0.0-rc.1+exp.sha.5114f85', '10.20.30',
  // invalid
  '1.0', '1', '01.0.0', '1.01.0', '1.0.0-', '1.0.0-01', '1.0.0+', '1.0.0-rc..1', 'latest', '',
  '1.0.0-rc_1', '1.2.3.4',
];

test('the semver package forgives a leading "v" or spaces; the spec (and we) do not', () => {
  for (const s of ['v1.0.0', ' 1.0.0', 'v1.3.0-rc.1']) {
    assert.ok(parse(s), s);
    assert.equal(parseSemver(s), null, s);
  }
});

test('parseSemver agrees with the semver package', () => {
  for (const s of samples) {
    const ours = parseSemver(s);
    const theirs = parse(s);
    assert.equal(ours === null, theirs === null, `validity of ${JSON.stringify(s)}`);
    if (ours && theirs) {
      assert.deepEqual([ours.major, ours.minor, ours.patch], [theirs.major, theirs.minor, theirs.patch], s);
      assert.deepEqual(ours.prerelease, theirs.prerelease.map(String), s);
    }
  }
});

test('checkOciVersion accepts 1.0.0 to 1.3.x with prereleases, and nothing else', () => {
  for (const ok of ['1.0.0', '1.0.2-dev', '1.1.0-rc.1', '1.2.1', '1.3.0', '1.3.9', '1.3.0-rc.2', '1.0.0-rc5']) {
    assert.doesNotThrow(() => checkOciVersion(ok, 'config.json'), ok);
  }
  assert.throws(() => checkOciVersion('1.4.0', 'config.json'), /\/ociVersion.*unsupported version "1\.4\.0": newer than/);
  assert.throws(() => checkOciVersion('1.4.0-rc.1', 'config.json'), /newer than/);
  assert.throws(() => checkOciVersion('2.0.0', 'config.json'), /newer than/);
  assert.throws(() => checkOciVersion('0.6.0', 'config.json'), /older than/);
  assert.throws(() => checkOciVersion('1.0', 'config.json'), /"1\.0" is not a semantic version/);
});
