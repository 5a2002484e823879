// One error type for everything the user sees. It is thrown once and printed
// once, at the CLI edge (src/main.ts), so every failure reaches --log as
// exactly one record: podman parses the whole log file as one object.

export interface ErrorDetail {
  /** JSON pointer into config.json (or process.json) that caused it: "/mounts/3". */
  field?: string;
  /** The file the field lives in: "config.json". */
  file?: string;
  /** errno name from a failed syscall: "ENOENT". */
  errno?: string;
  /** Exit status for this failure; 1 unless a command documents otherwise. */
  exitCode?: number;
  cause?: unknown;
}

export class TsrunError extends Error {
  readonly field?: string;
  readonly file?: string;
  readonly errno?: string;
  readonly exitCode: number;

  constructor(message: string, detail: ErrorDetail = {}) {
    super(message, detail.cause === undefined ? undefined : { cause: detail.cause });
    this.name = 'TsrunError';
    this.field = detail.field;
    this.file = detail.file;
    this.errno = detail.errno;
    this.exitCode = detail.exitCode ?? 1;
  }

  /** `config.json: /linux/namespaces/2/type: "pidd" is not one of ...` */
  override toString(): string {
    const where = [this.file, this.field].filter(Boolean).join(': ');
    return where ? `${where}: ${this.message}` : this.message;
  }
}

/** A usage mistake on the command line (unknown flag, wrong argument count). */
export class UsageError extends TsrunError {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** runc's texts (libcontainer/error.go): callers match on these substrings. */
export const RuncText = {
  exists: 'container with given ID already exists',
  notExist: 'container does not exist',
  invalidId: 'invalid container ID format',
  notRunning: 'container not running',
  paused: 'container paused',
  running: 'container still running',
  notPaused: 'container not paused',
} as const;

export function errorText(err: unknown): string {
  if (err instanceof TsrunError) return err.toString();
  if (err instanceof Error) return err.message;
  return String(err);
}
