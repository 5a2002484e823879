// Which config versions tsrun runs: every 1.x up to the spec it implements.
// A newer minor may add fields whose meaning we would silently ignore, so it
// is refused rather than half-run.
import { TsrunError } from '../errors.js';

export const SUPPORTED_MIN = '1.0.0';
export const SUPPORTED_MAX = '1.3.0';
const maxMinor = 3;

// SemVer 2.0.0 (semver.org), written out from its grammar: numeric parts
// without leading zeros; dot-separated prerelease identifiers, numeric ones
// without leading zeros; build metadata. The semver package would do the
// same, but its eager regex tables cost ~1.8 ms of create's start-up.
const num = '(0|[1-9][0-9]*)';
const preId = '(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)';
const semverRe = new RegExp(`^${num}\\.${num}\\.${num}(?:-(${preId}(?:\\.${preId})*))?(?:\\+[0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*)?$`);

export interface SemVer {
  major: number;
  minor: number;
  patch: number;
  prerelease: string[];
}

/** A SemVer 2.0.0 version, or null if `version` is not one. */
export function parseSemver(version: string): SemVer | null {
  const m = semverRe.exec(version);
  if (!m) return null;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), prerelease: m[4] ? m[4].split('.') : [] };
}

/** Throws unless `version` is a semantic version from 1.0.0(-pre) to 1.3.x. */
export function checkOciVersion(version: string, file: string): void {
  const v = parseSemver(version);
  const field = '/ociVersion';
  if (!v) {
    throw new TsrunError(`${JSON.stringify(version)} is not a semantic version (MAJOR.MINOR.PATCH[-PRERELEASE])`, { file, field });
  }
  if (v.major !== 1 || v.minor > maxMinor) {
    const which = v.major < 1 ? 'older than' : 'newer than';
    throw new TsrunError(
      `unsupported version ${JSON.stringify(version)}: ${which} the versions tsrun runs (${SUPPORTED_MIN} to 1.${maxMinor}.x)`,
      { file, field },
    );
  }
}
