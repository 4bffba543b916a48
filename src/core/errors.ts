/**
 * Every failure a user can meet carries a stable code (for scripts and agents) and the exit code the
 * CLI maps it to. Exit codes follow SPEC section 3: 1 failure, 2 bad usage or input, 3 needs a
 * person's decision, 4 skipped because another session holds the work.
 */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  needsDecision: 3,
  held: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

const codeToExit = {
  E_USAGE: ExitCode.usage,
  E_INVALID_INPUT: ExitCode.usage,
  E_INVALID_TYPE: ExitCode.usage,
  E_INVALID_ID: ExitCode.usage,
  E_INVALID_STATUS: ExitCode.usage,
  // A refused password or a TLS failure is a setting to correct, not a backend that is down: the
  // unreachable-backend policies (run-unlocked, skip) never apply to it (SPEC 5).
  E_AUTH: ExitCode.usage,
  E_CONFIG: ExitCode.usage,
  E_NOT_FOUND: ExitCode.failure,
  E_SESSION_NOT_FOUND: ExitCode.failure,
  E_NO_ACTIVE_SESSION: ExitCode.failure,
  E_NO_PAUSED_SESSION: ExitCode.failure,
  E_INVALID_STATE: ExitCode.failure,
  E_CORRUPT: ExitCode.failure,
  E_FUTURE_VERSION: ExitCode.failure,
  E_NO_ROOT: ExitCode.failure,
  E_LOCK_TIMEOUT: ExitCode.failure,
  E_LEASE_LOST: ExitCode.failure,
  E_IO: ExitCode.failure,
  // A symbolic link where wfs writes (SPEC 1): refused, nothing outside is touched.
  E_SYMLINK: ExitCode.failure,
  E_UNREACHABLE: ExitCode.failure,
  E_STEP_FAILED: ExitCode.failure,
  E_INTERNAL: ExitCode.failure,
  E_NEEDS_DECISION: ExitCode.needsDecision,
  E_HELD: ExitCode.held,
  // The session is bound to another live agent conversation (SPEC 2): it holds the work.
  E_SESSION_BOUND: ExitCode.held,
} as const;
export type ErrorCode = keyof typeof codeToExit;

// A brand rather than `instanceof`: lazily loaded parts of the CLI are separate bundles, each with
// its own copy of this class.
const WFS_ERROR = Symbol.for('wfs.error');

export class WfsError extends Error {
  readonly [WFS_ERROR] = true;
  readonly code: ErrorCode;
  readonly exitCode: ExitCode;
  /** Extra fields a `--json` caller may rely on (for example the holder of a lock). */
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    options?: { cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WfsError';
    this.code = code;
    this.exitCode = codeToExit[code];
    this.details = options?.details;
  }
}

export function isWfsError(error: unknown): error is WfsError {
  return (
    typeof error === 'object' && error !== null && (error as { [WFS_ERROR]?: unknown })[WFS_ERROR] === true
  );
}

/** Node's system errors carry a string `code` (ENOENT, EEXIST, ...). */
export function errnoCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    return typeof code === 'string' ? code : undefined;
  }
  return undefined;
}

/** Faults of the machine or the environment, in words a person can act on (SPEC 3: never "internal error"). */
const FAULTS: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'the file system is read-only',
  ENOSPC: 'no space left on the device (the disk is full)',
  EDQUOT: 'the disk quota is exceeded',
  EFBIG: 'the file is too large for this system (a file size limit, ulimit -f?)',
  EISDIR: 'a folder stands where a file belongs',
  ENOTDIR: 'a file stands where a folder belongs',
  ENOTEMPTY: 'the folder is not empty',
  EEXIST: 'something already exists there',
  ENOENT: 'no such file or folder',
  EMFILE: 'too many open files in this process (raise the limit: ulimit -n)',
  ENFILE: 'too many open files on this system',
  EIO: 'an input/output error (a failing disk or a lost network file system?)',
  ENAMETOOLONG: 'the file name is too long',
  EBUSY: 'the file or folder is busy',
  ETXTBSY: 'the file is busy',
  EXDEV: 'the files are on different file systems',
  ESTALE: 'a stale network file handle',
  EAGAIN: 'the resource is temporarily unavailable',
  ENOMEM: 'out of memory',
};

const VERBS: Record<string, string> = {
  open: 'open',
  read: 'read',
  write: 'write',
  rename: 'rename',
  mkdir: 'create the folder',
  rmdir: 'remove the folder',
  unlink: 'remove',
  link: 'link',
  symlink: 'link',
  fsync: 'flush to disk',
  scandir: 'list',
  stat: 'look at',
  lstat: 'look at',
  copyfile: 'copy',
  utime: 'touch',
  chmod: 'change the mode of',
};

/**
 * A Node system error (ENOSPC, EACCES, ...) as an E_IO naming the path and the cause; a link met
 * where wfs does not follow one (ELOOP) as E_SYMLINK. Undefined for anything else.
 */
export function faultFromSystemError(error: unknown): WfsError | undefined {
  if (isWfsError(error)) return undefined;
  const code = errnoCode(error);
  if (code === undefined) return undefined;
  const e = error as NodeJS.ErrnoException & { dest?: string };
  const where = e.path ? ` ${e.path}${e.dest ? ` -> ${e.dest}` : ''}` : '';
  const action = e.syscall ? `cannot ${VERBS[e.syscall] ?? e.syscall}${where}` : `failed${where}`;
  if (code === 'ELOOP')
    return new WfsError(
      'E_SYMLINK',
      `A symbolic link stands where wfs does not follow one: ${action} (${code})`,
      {
        cause: error,
        details: { errno: code, ...(e.path ? { path: e.path } : {}) },
      },
    );
  const cause = FAULTS[code];
  if (cause === undefined && !/^E[A-Z0-9]+$/.test(code)) return undefined;
  return new WfsError('E_IO', `${cause ?? `system error ${code}`}: ${action} (${code})`, {
    cause: error,
    details: { errno: code, ...(e.path ? { path: e.path } : {}) },
  });
}

/** What went wrong, in one line: a WfsError's message, a system fault described, else the message. */
export function describeFault(error: unknown): string {
  if (isWfsError(error)) return error.message;
  return faultFromSystemError(error)?.message ?? (error as Error)?.message ?? String(error);
}
