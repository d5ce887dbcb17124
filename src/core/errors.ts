/**
 * A user error: bad input, missing file, unavailable device. The CLI prints its message (and its
 * hint) without a stack trace and exits with `exitCode`. Anything else is a bug and keeps its stack.
 */
export class UserError extends Error {
  readonly exitCode: number;
  readonly hint?: string;
  constructor(message: string, options: { hint?: string; exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'UserError';
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? 2;
  }
}

/** Raised when a device cannot run here; `reason` says why and how to fix it. */
export class DeviceUnavailableError extends UserError {
  readonly device: string;
  constructor(device: string, reason: string, options: { hint?: string; cause?: unknown } = {}) {
    super(`device '${device}' is not available here: ${reason}`, { ...options, exitCode: 3 });
    this.name = 'DeviceUnavailableError';
    this.device = device;
  }
}

/**
 * This device cannot run this one model (an op its runtime does not implement, a model it cannot build or
 * load), while it may run others: a profiler records the model as not timed, with this message, and goes on.
 */
export class UnrunnableModelError extends UserError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options);
    this.name = 'UnrunnableModelError';
  }
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError;
}

/** Exit code of an I/O failure (sysexits' EX_IOERR; 4 and 5 are verify's check results). */
export const EXIT_IO = 74;

/** Writing (or reading) a file failed: full disk, read-only file system, permissions. Exit code 74. */
export class IoError extends UserError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, { ...options, exitCode: EXIT_IO });
    this.name = 'IoError';
  }
}

/**
 * Text from a file or a flag, made safe to quote in a one-line message: control characters (a newline
 * inside a key, a JSON parser's excerpt) escaped, and very long values shortened.
 */
export function oneLine(text: string, max = 300): string {
  const escaped = text.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
  return escaped.length > max ? `${escaped.slice(0, max)}…` : escaped;
}
