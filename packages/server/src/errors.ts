/** Every expected failure, by code. The HTTP layer maps each to a status (see http/error-handler.ts). */
export const ERROR_CODES = [
  'bad_request',
  'invalid_json',
  'json_too_deep',
  'validation_failed',
  'batch_too_large',
  'payload_too_large',
  'unsupported_media_type',
  'unauthorized',
  'forbidden',
  'not_found',
  'app_not_found',
  'user_not_found',
  'key_not_found',
  'route_not_found',
  'app_exists',
  'conflict',
  'rate_limited',
  'unavailable',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** One detail of an error: where in the input and what is wrong. */
export interface ErrorDetail {
  readonly path: string;
  readonly message: string;
}

/** Options of a {@link DomainError}. */
export interface DomainErrorOptions {
  readonly details?: readonly ErrorDetail[];
  readonly cause?: unknown;
  /** Seconds until a retry can succeed (rate limits). */
  readonly retryAfterSeconds?: number;
}

/**
 * An expected failure: a code from a closed set, a message for humans, optional details. It never
 * carries an HTTP status; the edge maps the code.
 * @example throw new DomainError('user_not_found', "no user 'u1' in this app");
 */
export class DomainError extends Error {
  readonly code: ErrorCode;
  readonly details: readonly ErrorDetail[];
  readonly retryAfterSeconds: number | undefined;
  constructor(code: ErrorCode, message: string, opts: DomainErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'DomainError';
    this.code = code;
    this.details = opts.details ?? [];
    this.retryAfterSeconds = opts.retryAfterSeconds;
  }
}

/** @example if (isDomainError(err, 'app_exists')) ... */
export function isDomainError(err: unknown, code?: ErrorCode): err is DomainError {
  return err instanceof DomainError && (code === undefined || err.code === code);
}
