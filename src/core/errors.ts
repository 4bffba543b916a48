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
