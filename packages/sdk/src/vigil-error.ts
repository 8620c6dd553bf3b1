/**
 * Failures the SDK itself detects (the server's own codes, such as `validation_failed` or
 * `unauthorized`, come from its error body).
 * @example if (err.code === 'timeout') metrics.inc('vigil_timeout');
 */
export const CLIENT_ERROR_CODES = [
  /** The call did not finish within `timeoutMs` (retries included). */
  'timeout',
  /** No HTTP answer: connection refused, DNS failure, reset. */
  'network_error',
  /** The server answered something the SDK cannot read (not JSON, wrong shape). */
  'invalid_response',
  /** An error status whose body is not Vigil's `{ error, message }`. */
  'http_error',
  /** The caller's AbortSignal fired. */
  'aborted',
  /** Wrong SDK options or arguments (raised before any request). */
  'invalid_argument',
] as const;
/** @example const c: ClientErrorCode = 'timeout'; */
export type ClientErrorCode = (typeof CLIENT_ERROR_CODES)[number];

/** One detail of a server error: where in the input and what is wrong. @example err.details[0]?.path; // '/amount' */
export interface VigilErrorDetail {
  readonly path: string;
  readonly message: string;
}

/** Options of a {@link VigilError}. @example new VigilError('timeout', 'too slow', { cause: e }); */
export interface VigilErrorOptions {
  readonly status?: number;
  readonly details?: readonly VigilErrorDetail[];
  readonly retryAfterMs?: number;
  readonly cause?: unknown;
}

/**
 * Every failed SDK call rejects with a VigilError: `code` is the server's error code (for
 * example `validation_failed`, `unauthorized`, `rate_limited`) or one of
 * {@link CLIENT_ERROR_CODES}; `status` is the HTTP status when there was an answer.
 * @example
 * try { await vigil.score(event); }
 * catch (err) { if (err instanceof VigilError && err.code === 'validation_failed') console.log(err.details); }
 */
export class VigilError extends Error {
  readonly code: ClientErrorCode | (string & Record<never, never>);
  /** HTTP status, undefined when no answer arrived (timeout, network). */
  readonly status: number | undefined;
  readonly details: readonly VigilErrorDetail[];
  /** From Retry-After on 429/503 answers. */
  readonly retryAfterMs: number | undefined;
  constructor(code: string, message: string, opts: VigilErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'VigilError';
    this.code = code;
    this.status = opts.status;
    this.details = opts.details ?? [];
    this.retryAfterMs = opts.retryAfterMs;
  }

  /**
   * True when Vigil could not answer (timeout, network, 5xx, 429): the cases the fail-open /
   * fail-closed policy is about, and the ones worth retrying.
   * @example if (err.unavailable) return allowAnyway();
   */
  get unavailable(): boolean {
    if (this.code === 'timeout' || this.code === 'network_error') return true;
    return this.status !== undefined && (this.status >= 500 || this.status === 429);
  }
}

/** @example if (isVigilError(err, 'timeout')) retryLater(); */
export function isVigilError(err: unknown, code?: string): err is VigilError {
  return err instanceof VigilError && (code === undefined || err.code === code);
}
