import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { sql } from 'kysely';
import Type from 'typebox';
import { DomainError } from '../../errors.js';
import type { Metrics } from '../../http/metrics.js';
import { responses } from '../../http/schemas.js';
import type { Db } from '../../storage/database.js';

/**
 * `GET /healthz` (the process answers), `GET /readyz` (database reachable and feature state
 * restored), `GET /metrics` (Prometheus text format). All public.
 * @example await app.register(systemRoutes({ db, metrics, isReady: () => true }));
 */
export function systemRoutes(deps: {
  readonly db: Db;
  readonly metrics: Metrics;
  readonly isReady: () => boolean;
}): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get(
      '/healthz',
      {
        config: { auth: 'none' },
        schema: {
          tags: ['system'],
          summary: 'Liveness',
          response: { 200: Type.Object({ status: Type.Literal('ok') }) },
        },
      },
      async () => ({ status: 'ok' as const }),
    );

    app.get(
      '/readyz',
      {
        config: { auth: 'none' },
        schema: {
          tags: ['system'],
          summary: 'Readiness: database reachable and feature state restored',
          response: responses({
            200: Type.Object({ status: Type.Literal('ready') }),
            503: Type.Ref('Error'),
          }),
        },
      },
      async () => {
        if (!deps.isReady()) throw new DomainError('unavailable', 'restoring feature state');
        try {
          await sql`SELECT 1`.execute(deps.db.kysely);
        } catch (err) {
          throw new DomainError('unavailable', 'database unreachable', { cause: err });
        }
        return { status: 'ready' as const };
      },
    );

    app.get(
      '/metrics',
      {
        config: { auth: 'none' },
        schema: { tags: ['system'], summary: 'Prometheus metrics (text exposition format)' },
      },
      async (_req, reply) => {
        const text = await deps.metrics.registry.metrics();
        return reply.header('content-type', deps.metrics.registry.contentType).send(text);
      },
    );
  };
}
