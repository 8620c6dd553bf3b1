import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, type ErrorCode, type ErrorDetail } from '../errors.js';

/** The HTTP status of each error code. */
export const ERROR_STATUS = {
  bad_request: 400,
  invalid_json: 400,
  json_too_deep: 400,
  validation_failed: 400,
  batch_too_large: 400,
  payload_too_large: 413,
  unsupported_media_type: 415,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  app_not_found: 404,
  user_not_found: 404,
  key_not_found: 404,
  route_not_found: 404,
  app_exists: 409,
  conflict: 409,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
} as const satisfies Record<ErrorCode, number>;

/** The JSON body of every error response. */
export interface ErrorBody {
  readonly error: ErrorCode;
  readonly message: string;
  readonly details: readonly ErrorDetail[];
}

/** Fastify's own 4xx errors (body parsing, content type) mapped onto our codes. */
const FASTIFY_CODES: Readonly<Record<string, ErrorCode>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad_request',
};

function isFastifyError(err: unknown): err is FastifyError {
  return err instanceof Error && 'code' in err && typeof err.code === 'string';
}

/** Maps any thrown value to an error code, message and details. Unknown errors become `internal`. */
export function toErrorBody(err: unknown): ErrorBody {
  if (err instanceof DomainError) return { error: err.code, message: err.message, details: err.details };
  if (isFastifyError(err)) {
    if (err.validation !== undefined) {
      return {
        error: 'validation_failed',
        message: `invalid ${err.validationContext ?? 'request'}`,
        details: err.validation.map((v) => ({
          path: v.instancePath || '/',
          message: v.message ?? 'invalid',
        })),
      };
    }
    const mapped = FASTIFY_CODES[err.code];
    if (mapped !== undefined) return { error: mapped, message: err.message, details: [] };
    const status = err.statusCode ?? 500;
    if (status >= 400 && status < 500) return { error: 'bad_request', message: err.message, details: [] };
  }
  return { error: 'internal', message: 'internal error', details: [] };
}

/**
 * Registers the one error handler and the 404 handler: every error answers
 * `{ error, message, details }`; only unexpected throws answer 500 (and are logged as errors).
 * @example registerErrorHandling(app);
 */
export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: unknown, req: FastifyRequest, reply: FastifyReply) => {
    const body = toErrorBody(err);
    const status = ERROR_STATUS[body.error];
    if (status >= 500) req.log.error({ err }, 'request failed');
    else req.log.debug({ err: body }, 'request rejected');
    if (err instanceof DomainError && err.retryAfterSeconds !== undefined) {
      void reply.header('retry-after', String(err.retryAfterSeconds));
    }
    if (body.error === 'unauthorized') void reply.header('www-authenticate', 'Bearer');
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((req: FastifyRequest, reply: FastifyReply) => {
    const body: ErrorBody = {
      error: 'route_not_found',
      message: `no route ${req.method} ${req.url}`,
      details: [],
    };
    return reply.code(404).send(body);
  });
}
