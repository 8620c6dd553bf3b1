import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import Type from 'typebox';
import { DomainError, isDomainError } from '../../errors.js';
import { appScope, principalOf, requiredAppScope } from '../../http/auth-hook.js';
import { responses } from '../../http/schemas.js';
import { hasAdminRole } from '../auth/auth.service.js';
import { BACKTEST_BASELINES } from './backtest-report.js';
import { BACKTEST_LIST_MAX, type BacktestService } from './backtest.service.js';
import { BACKTEST_STATUSES, type BacktestRecord } from './backtest.store.js';

const AppQuery = {
  app: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Admin keys: which app' })),
};

const Time = Type.Union([
  Type.String({ minLength: 1, maxLength: 40, description: 'ISO 8601 time' }),
  Type.Integer({ minimum: 0, description: 'epoch milliseconds' }),
]);

const CostsSchema = Type.Object(
  {
    missedFraudRate: Type.Optional(
      Type.Number({
        minimum: 0,
        description: 'Cost per unit of amount of a fraud event allowed (default 1)',
      }),
    ),
    reviewCost: Type.Optional(
      Type.Number({ minimum: 0, description: 'Cost of each event sent to review or challenge (default 2)' }),
    ),
    falseBlockCost: Type.Optional(
      Type.Number({ minimum: 0, description: 'Cost of each legitimate event blocked (default 20)' }),
    ),
  },
  { additionalProperties: false },
);

const PostBodySchema = Type.Object(
  {
    config: Type.Unknown({
      description:
        'The candidate configuration document, as for PUT /v1/config (overrides of the defaults: rules, weights, thresholds, model modes)',
    }),
    from: Time,
    to: Time,
    baseline: Type.Optional(
      Type.Enum(BACKTEST_BASELINES, {
        description:
          'config (default): the current configuration replayed the same way; live: the stored decisions',
      }),
    ),
    costs: Type.Optional(CostsSchema),
  },
  { additionalProperties: false },
);

const BacktestSchema = Type.Object({
  id: Type.String(),
  app: Type.String(),
  status: Type.Enum(BACKTEST_STATUSES),
  baseline: Type.Enum(BACKTEST_BASELINES),
  baselineVersion: Type.Integer({ minimum: 0 }),
  from: Type.String({ description: 'ISO time (inclusive)' }),
  to: Type.String({ description: 'ISO time (inclusive)' }),
  progress: Type.Object({ processed: Type.Integer(), total: Type.Integer() }),
  costs: Type.Record(Type.String(), Type.Number()),
  result: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()], {
    description:
      'The report once done: events, counts by level and outcome, transitions, users, labels, metrics, cost',
  }),
  message: Type.Union([Type.String(), Type.Null()]),
  createdAt: Type.Integer(),
  startedAt: Type.Union([Type.Integer(), Type.Null()]),
  finishedAt: Type.Union([Type.Integer(), Type.Null()]),
  createdBy: Type.String(),
});

const SummarySchema = Type.Omit(BacktestSchema, ['result']);

function shown(b: BacktestRecord, withResult: boolean) {
  return {
    id: b.id,
    app: b.appId,
    status: b.status,
    baseline: b.baseline,
    baselineVersion: b.baselineVersion,
    from: new Date(b.from).toISOString(),
    to: new Date(b.to).toISOString(),
    progress: { processed: b.processed, total: b.total },
    costs: { ...b.costs },
    ...(withResult ? { result: b.result === null ? null : { ...b.result } } : {}),
    message: b.message,
    createdAt: b.createdAt,
    startedAt: b.startedAt,
    finishedAt: b.finishedAt,
    createdBy: b.createdBy,
  };
}

/**
 * A time given as ISO 8601 text or epoch ms; `bad_request` naming the field otherwise.
 * @example parseTime('2026-01-01T00:00:00Z', '/from'); // 1767225600000
 */
export function parseTime(value: string | number, path: string): number {
  const ms = typeof value === 'number' ? value : Date.parse(value);
  if (!Number.isFinite(ms)) {
    throw new DomainError('bad_request', `invalid time ${JSON.stringify(value)}`, {
      details: [{ path, message: 'must be an ISO 8601 time or epoch milliseconds' }],
    });
  }
  return ms;
}

/** An app key's own app, or the `?app=` of an admin key with at least the analyst role. */
function startScope(req: FastifyRequest, app: string | undefined): string {
  const p = principalOf(req);
  if (p.role !== 'app' && !hasAdminRole(p.role, 'analyst')) {
    throw new DomainError(
      'forbidden',
      'starting a backtest needs an app key or an admin key with the analyst role',
    );
  }
  return requiredAppScope(req, app);
}

/**
 * `POST /v1/backtests` (202 with the job id), `GET /v1/backtests/:id` (progress and, once done,
 * the report) and `GET /v1/backtests`. App keys see their own app's backtests only; admin keys
 * name the app with `?app=` to start one (analyst role) and may list every app's.
 * @example await app.register(backtestRoutes({ backtests }));
 */
export function backtestRoutes(deps: { readonly backtests: BacktestService }): FastifyPluginAsyncTypebox {
  const { backtests } = deps;
  return async (app) => {
    app.post(
      '/v1/backtests',
      {
        config: { auth: 'app-or-viewer' },
        schema: {
          tags: ['backtests'],
          summary: 'Replay stored events through a candidate configuration (background job)',
          querystring: Type.Object(AppQuery, { additionalProperties: false }),
          body: PostBodySchema,
          response: responses({ 202: Type.Object({ id: Type.String() }) }),
        },
      },
      async (req, reply) => {
        const appId = startScope(req, req.query.app);
        const { body } = req;
        const from = parseTime(body.from, '/from');
        const to = parseTime(body.to, '/to');
        let id: string;
        try {
          id = await backtests.start(appId, body.config, {
            from,
            to,
            createdBy: `key:${principalOf(req).keyId}`,
            ...(body.baseline !== undefined ? { baseline: body.baseline } : {}),
            ...(body.costs !== undefined ? { costs: body.costs } : {}),
          });
        } catch (err) {
          // the candidate's problems are reported under the body's `config` field
          if (isDomainError(err, 'validation_failed') && err.message === 'invalid candidate configuration') {
            throw new DomainError('validation_failed', err.message, {
              details: err.details.map((d) => ({
                path: d.path === '/' ? '/config' : `/config${d.path}`,
                message: d.message,
              })),
            });
          }
          throw err;
        }
        return reply.code(202).send({ id });
      },
    );

    app.get(
      '/v1/backtests/:id',
      {
        config: { auth: 'app-or-viewer' },
        schema: {
          tags: ['backtests'],
          summary: 'A backtest: progress, and its report once done',
          params: Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) }),
          querystring: Type.Object(AppQuery, { additionalProperties: false }),
          response: responses({ 200: BacktestSchema }),
        },
      },
      async (req) => shown(await backtests.get(req.params.id, appScope(req, req.query.app)), true),
    );

    app.get(
      '/v1/backtests',
      {
        config: { auth: 'app-or-viewer' },
        schema: {
          tags: ['backtests'],
          summary: 'Backtests, newest first (without their reports)',
          querystring: Type.Object(
            {
              ...AppQuery,
              limit: Type.Optional(
                Type.Integer({ minimum: 1, maximum: BACKTEST_LIST_MAX, description: 'default 50' }),
              ),
            },
            { additionalProperties: false },
          ),
          response: responses({ 200: Type.Object({ items: Type.Array(SummarySchema) }) }),
        },
      },
      async (req) => {
        const items = await backtests.list(appScope(req, req.query.app), req.query.limit);
        return { items: items.map((b) => shown(b, false)) };
      },
    );
  };
}
