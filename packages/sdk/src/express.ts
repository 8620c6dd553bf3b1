/**
 * Express middleware (`@vigil/sdk/express`). Typed structurally, so the SDK does not depend on
 * Express; any Express 4 or 5 app (or Connect-style framework) fits.
 */
import { resolveAccess, type DefaultRequest, type StatusCheckOptions } from './access-check.js';
import type { HeaderBag } from './request-info.js';
import type { Vigil } from './vigil.js';
import type { WebhookPayload } from './wire-types.js';
import { WebhookVerificationError } from './webhook-verify.js';

export type { AccessDenial, AccessDenialCode, StatusCheckOptions } from './access-check.js';

/** What the middleware uses of an Express response. @example const r: ExpressLikeResponse = res; */
export interface ExpressLikeResponse {
  status(code: number): ExpressLikeResponse;
  json(body: unknown): unknown;
  end(): unknown;
}

/** Express's `next`. @example const n: ExpressNext = next; */
export type ExpressNext = (err?: unknown) => void;

/** An Express middleware over the request type `Req`. @example app.use(mw as ExpressMiddleware<express.Request>); */
export type ExpressMiddleware<Req> = (req: Req, res: ExpressLikeResponse, next: ExpressNext) => void;

function middleware<Req>(opts: StatusCheckOptions<Req>, feature: string | undefined): ExpressMiddleware<Req> {
  return (req, res, next) => {
    resolveAccess(req, opts, feature).then((verdict) => {
      if (verdict.allowed) next();
      else res.status(verdict.httpStatus).json(verdict.body);
    }, next);
  };
}

/**
 * Blocks blocked and suspended users (403 `user_blocked` / `user_suspended`); when Vigil cannot
 * answer within the client's `timeoutMs`, lets the request through (fail-open) or answers 503
 * `vigil_unavailable` (fail-closed).
 * @example
 * import { checkStatus } from '@vigil/sdk/express';
 * app.use('/account', checkStatus({ vigil, getUserId: (req: express.Request) => req.session?.userId }));
 */
export function checkStatus<Req = DefaultRequest>(opts: StatusCheckOptions<Req>): ExpressMiddleware<Req> {
  return middleware(opts, undefined);
}

/**
 * Like {@link checkStatus}, and also refuses users for whom `feature` is restricted (403
 * `feature_restricted`), on the routes it guards only.
 * @example
 * app.post('/withdrawals', checkFeatureAccess('withdrawals', { vigil, getUserId }), withdraw);
 */
export function checkFeatureAccess<Req = DefaultRequest>(
  feature: string,
  opts: StatusCheckOptions<Req>,
): ExpressMiddleware<Req> {
  return middleware(opts, feature);
}

/** Options of {@link webhookHandler}. @example webhookHandler(vigil, { onPayload: (p) => log.info(p.type) }); */
export interface WebhookHandlerOptions {
  /** Runs after verification (and cache invalidation); a rejection answers 500 so Vigil retries. */
  readonly onPayload?: (payload: WebhookPayload) => void | Promise<void>;
}

/**
 * A route handler for Vigil's webhooks: verifies the signature with the client's
 * `webhookSecret`, drops cached statuses it concerns, answers 204 (400 with `{ error }` when
 * verification fails). Mount it behind `express.raw({ type: 'application/json' })`: the
 * signature covers the exact bytes.
 * @example
 * app.post('/vigil/webhook', express.raw({ type: 'application/json' }), webhookHandler(vigil));
 */
export function webhookHandler(
  vigil: Pick<Vigil, 'handleWebhook'>,
  opts: WebhookHandlerOptions = {},
): (
  req: { readonly headers: HeaderBag; readonly body?: unknown },
  res: ExpressLikeResponse,
  next: ExpressNext,
) => void {
  return (req, res, next) => {
    const body = req.body;
    if (typeof body !== 'string' && !(body instanceof Uint8Array)) {
      res.status(400).json({
        error: 'invalid_body',
        message:
          'webhookHandler needs the raw body: mount express.raw({ type: "application/json" }) before it',
      });
      return;
    }
    let payload: WebhookPayload;
    try {
      payload = vigil.handleWebhook(req.headers, body);
    } catch (err) {
      if (err instanceof WebhookVerificationError) {
        res.status(400).json({ error: err.code, message: err.message });
        return;
      }
      next(err);
      return;
    }
    Promise.resolve(opts.onPayload?.(payload)).then(() => {
      res.status(204).end();
    }, next);
  };
}
