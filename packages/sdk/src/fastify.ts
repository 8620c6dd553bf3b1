/**
 * Fastify hooks (`@vigil/sdk/fastify`). Typed structurally, so the SDK does not depend on Fastify.
 */
import { resolveAccess, type DefaultRequest, type StatusCheckOptions } from './access-check.js';
import type { HeaderBag } from './request-info.js';
import type { Vigil } from './vigil.js';
import type { WebhookPayload } from './wire-types.js';
import { WebhookVerificationError } from './webhook-verify.js';

export type { AccessDenial, AccessDenialCode, StatusCheckOptions } from './access-check.js';

/** What the hooks use of a Fastify reply. @example const r: FastifyLikeReply = reply; */
export interface FastifyLikeReply {
  code(statusCode: number): FastifyLikeReply;
  send(payload?: unknown): FastifyLikeReply;
}

/**
 * An async `preHandler` (or `onRequest`) hook. It returns the reply once it has answered, as
 * Fastify asks of async hooks that respond early.
 * @example app.get('/bets', { preHandler: hook }, handler);
 */
export type FastifyPreHandler<Req> = (
  req: Req,
  reply: FastifyLikeReply,
) => Promise<FastifyLikeReply | undefined>;

function hook<Req>(opts: StatusCheckOptions<Req>, feature: string | undefined): FastifyPreHandler<Req> {
  return async (req, reply) => {
    const verdict = await resolveAccess(req, opts, feature);
    if (verdict.allowed) return undefined;
    return reply.code(verdict.httpStatus).send(verdict.body);
  };
}

/**
 * A preHandler that blocks blocked and suspended users (403 `user_blocked` / `user_suspended`);
 * when Vigil cannot answer within the client's `timeoutMs`, lets the request through
 * (fail-open) or answers 503 `vigil_unavailable` (fail-closed).
 * @example
 * import { checkStatus } from '@vigil/sdk/fastify';
 * app.addHook('preHandler', checkStatus({ vigil, getUserId: (req: FastifyRequest) => req.user?.id }));
 */
export function checkStatus<Req = DefaultRequest>(opts: StatusCheckOptions<Req>): FastifyPreHandler<Req> {
  return hook(opts, undefined);
}

/**
 * Like {@link checkStatus}, and also refuses users for whom `feature` is restricted (403
 * `feature_restricted`), on the routes it guards only.
 * @example
 * app.post('/bets', { preHandler: checkFeatureAccess('betting', { vigil, getUserId }) }, placeBet);
 */
export function checkFeatureAccess<Req = DefaultRequest>(
  feature: string,
  opts: StatusCheckOptions<Req>,
): FastifyPreHandler<Req> {
  return hook(opts, feature);
}

/** The part of a Fastify instance {@link vigilWebhookPlugin} uses. @example const i: FastifyLikeInstance = app; */
export interface FastifyLikeInstance {
  addContentTypeParser(
    contentType: string,
    opts: { parseAs: 'buffer' },
    parser: (req: unknown, body: Buffer, done: (err: Error | null, body?: unknown) => void) => void,
  ): unknown;
  post(
    path: string,
    handler: (
      req: { readonly headers: HeaderBag; readonly body: unknown },
      reply: FastifyLikeReply,
    ) => Promise<unknown>,
  ): unknown;
}

/** Options of {@link vigilWebhookPlugin}. @example vigilWebhookPlugin(vigil, { path: '/hooks/vigil' }); */
export interface WebhookPluginOptions {
  /** Route path; default `/vigil/webhook`. */
  readonly path?: string;
  /** Runs after verification (and cache invalidation); a rejection answers 500 so Vigil retries. */
  readonly onPayload?: (payload: WebhookPayload) => void | Promise<void>;
}

/**
 * A Fastify plugin with one route receiving Vigil's webhooks: it keeps the raw JSON body (the
 * signature covers the exact bytes; the parser is scoped to this plugin), verifies it with the
 * client's `webhookSecret`, drops cached statuses it concerns and answers 204, or 400 with
 * `{ error }` when verification fails.
 * @example
 * await app.register(vigilWebhookPlugin(vigil, { onPayload: (p) => app.log.info({ type: p.type }, 'vigil') }));
 */
export function vigilWebhookPlugin(
  vigil: Pick<Vigil, 'handleWebhook'>,
  opts: WebhookPluginOptions = {},
): (app: FastifyLikeInstance) => Promise<void> {
  return async (app) => {
    app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) =>
      done(null, body),
    );
    app.post(opts.path ?? '/vigil/webhook', async (req, reply) => {
      const body = req.body;
      if (typeof body !== 'string' && !(body instanceof Uint8Array)) {
        return reply.code(400).send({ error: 'invalid_body', message: 'expected a JSON body' });
      }
      let payload: WebhookPayload;
      try {
        payload = vigil.handleWebhook(req.headers, body);
      } catch (err) {
        if (err instanceof WebhookVerificationError) {
          return reply.code(400).send({ error: err.code, message: err.message });
        }
        throw err;
      }
      await opts.onPayload?.(payload);
      return reply.code(204).send();
    });
  };
}
