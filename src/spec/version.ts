// Which config versions tsrun runs: every 1.x up to the spec it implements.
// A newer minor may add fields whose meaning we would silently ignore, so it
// is refused rather than half-run.
import parse from 'semver/functions/parse.js';
import { TsrunError } from '../errors.js';

export const SUPPORTED_MIN = '1.0.0';
export const SUPPORTED_MAX = '1.3.0';
const maxMinor = 3;

/** Throws unless `version` is a semantic version from 1.0.0(-pre) to 1.3.x. */
export function checkOciVersion(version: string, file: string): void {
  const v = parse(version);
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
