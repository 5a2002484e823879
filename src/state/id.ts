// Container ids, checked as runc checks them (libcontainer validateID): the id
// becomes a directory name under --root, so anything that could leave that
// directory or clash with our own files is refused.
import { RuncText, TsrunError } from '../errors.js';

/**
 * Longest id accepted. runc sets no explicit bound and fails later with
 * ENAMETOOLONG; we refuse early instead. The real limit is NAME_MAX (255) for
 * the state directory, so anything past 1024 can never name a container.
 */
export const MAX_ID_LENGTH = 1024;

const ID_CHARS = /^[A-Za-z0-9_+.-]+$/;

export function isValidId(id: string): boolean {
  return id.length <= MAX_ID_LENGTH && ID_CHARS.test(id) && id !== '.' && id !== '..';
}

/** Throws `invalid container ID format` unless `id` is a safe container id. */
export function validateId(id: string): void {
  if (!isValidId(id)) throw new TsrunError(RuncText.invalidId);
}
