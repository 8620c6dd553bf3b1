import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Config } from './config.js';
import { registerAuth } from './http/auth-hook.js';
import { registerErrorHandling } from './http/error-handler.js';
import { registerJsonParser } from './http/json-body.js';
import type { Metrics } from './http/metrics.js';
import type { RateLimiter } from './http/rate-limit.js';
import { ErrorSchema } from './http/schemas.js';
import { validatorCompiler } from './http/validator.js';
import type { AppService } from './modules/apps/app.service.js';
import { appRoutes } from './modules/apps/app.routes.js';
import { backtestRoutes } from './modules/backtests/backtest.routes.js';
import { batchRoutes } from './modules/batch/batch.routes.js';
import type { BatchService } from './modules/batch/batch.service.js';
import type { BacktestService } from './modules/backtests/backtest.service.js';
import type { AuthService } from './modules/auth/auth.service.js';
import { keyRoutes } from './modules/auth/key.routes.js';
import type { KeyService } from './modules/auth/key.service.js';
import type { Shield } from './modules/enforcement/shield.js';
import type { EventIngest } from './modules/events/event-ingest.js';
import { eventRoutes } from './modules/events/event.routes.js';
import { DecisionSchema } from './modules/events/event.schemas.js';
import { systemRoutes } from './modules/system/system.routes.js';
import { userRoutes } from './modules/users/user.routes.js';
import { webhookRoutes } from './modules/webhooks/webhook.routes.js';
import { listRoutes } from './modules/lists/list.routes.js';
import { modelRoutes } from './modules/models/model.routes.js';
import type { ModelService } from './modules/models/model.service.js';
import { accessRoutes } from './modules/access/access.routes.js';
import type { AccessService } from './modules/access/access.service.js';
import type { PasskeyService } from './modules/access/passkey.service.js';
import { compatRoutes } from './modules/compat/compat.routes.js';
import { configRoutes } from './modules/config/config.routes.js';
import type { ConfigService } from './modules/config/config.service.js';
import { entityRoutes } from './modules/entities/entity.routes.js';
import type { EntityService } from './modules/entities/entity.service.js';
import type { ListService } from './modules/lists/list.service.js';
import type { WebhookService } from './modules/webhooks/webhook.service.js';
import type { Clock } from './clock.js';
import type { Db } from './storage/database.js';
import { ulid } from './storage/ulid.js';

/** Everything the HTTP layer needs, already wired (see runtime.ts). */
export interface AppDeps {
  readonly config: Pick<Config, 'bodyLimitBytes' | 'jsonMaxDepth'>;
  readonly db: Db;
  readonly auth: AuthService;
  readonly limiter: RateLimiter;
  readonly apps: AppService;
  readonly keys: KeyService;
  readonly metrics: Metrics;
  readonly ingest: EventIngest;
  readonly webhooks: WebhookService;
  /** Enforcement, cases and shared-intelligence routes. */
  readonly shield?: Pick<Shield, 'routes'>;
  readonly clock: Clock;
  readonly lists: ListService;
  readonly configs: ConfigService;
  readonly access: AccessService;
  readonly passkeys: PasskeyService;
  readonly entities: EntityService;
  /** The model registry (routes absent without it). */
  readonly models?: ModelService;
  /** Backtests of candidate configurations (routes absent without it). */
  readonly backtests?: BacktestService;
  readonly batches?: BatchService;
  /** False while feature state is being restored (readyz answers 503). */
  readonly isReady: () => boolean;
  /** A pino logger; absent means no logging (tests). */
  readonly logger?: FastifyBaseLogger;
}

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Builds the Fastify instance with every route, hook and plugin. Never listens: `main.ts` does,
 * tests use `app.inject()`.
 * @example
 * const app = await buildApp(runtime); const res = await app.inject({ method: 'GET', url: '/healthz' });
 */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const base = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    bodyLimit: deps.config.bodyLimitBytes,
    logController: new LogController({ disableRequestLogging: true }),
    requestIdHeader: false,
    genReqId: (req) => {
      const h = req.headers['x-request-id'];
      return typeof h === 'string' && REQUEST_ID_RE.test(h) ? h : ulid();
    },
    return503OnClosing: true,
  });
  const app = base.withTypeProvider<TypeBoxTypeProvider>();

  await app.register(swagger, {
    // shared schemas appear under their $id (#/components/schemas/Decision)
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) =>
        typeof json['$id'] === 'string' ? json['$id'] : `def-${i}`,
    },
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Vigil API',
        version: '0.1.0',
        description:
          'Real-time fraud, abuse and bot defence. Send events, get decisions. Errors always answer `{ error, message, details }`.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  app.addSchema(ErrorSchema);
  app.addSchema(DecisionSchema);

  app.setValidatorCompiler(validatorCompiler);
  registerErrorHandling(app);
  registerJsonParser(app, { maxDepth: deps.config.jsonMaxDepth });
  // callback-style hooks: an async hook costs a promise and a microtask turn on every request.
  // Before the auth hook, so every answer carries the id (401s, 404s and other errors included).
  app.addHook('onRequest', (req, reply, done) => {
    void reply.header('x-request-id', req.id);
    done();
  });
  registerAuth(app, { auth: deps.auth, limiter: deps.limiter });

  app.addHook('onResponse', (req, reply, done) => {
    const route = req.is404 ? '(unmatched)' : (req.routeOptions.url ?? '(unmatched)');
    const status = reply.statusCode;
    deps.metrics.httpRequests.inc({ method: req.method, route, status: String(status) });
    deps.metrics.httpDuration.observe({ method: req.method, route }, reply.elapsedTime / 1000);
    req.log.debug({ method: req.method, url: req.url, status, ms: reply.elapsedTime }, 'request');
    done();
  });

  await app.register(systemRoutes({ db: deps.db, metrics: deps.metrics, isReady: deps.isReady }));
  await app.register(appRoutes({ apps: deps.apps }));
  await app.register(keyRoutes({ keys: deps.keys }));
  await app.register(eventRoutes({ db: deps.db, ingest: deps.ingest }));
  await app.register(userRoutes({ db: deps.db, clock: deps.clock }));
  await app.register(webhookRoutes({ webhooks: deps.webhooks }));
  if (deps.shield !== undefined) await app.register(deps.shield.routes());
  await app.register(listRoutes({ lists: deps.lists, clock: deps.clock }));
  await app.register(configRoutes({ configs: deps.configs }));
  await app.register(accessRoutes({ access: deps.access, passkeys: deps.passkeys }));
  await app.register(entityRoutes({ entities: deps.entities }));
  if (deps.models !== undefined) await app.register(modelRoutes({ models: deps.models }));
  if (deps.backtests !== undefined) await app.register(backtestRoutes({ backtests: deps.backtests }));
  if (deps.batches !== undefined) await app.register(batchRoutes({ batches: deps.batches }));
  await app.register(
    compatRoutes({
      db: deps.db,
      clock: deps.clock,
      ingest: deps.ingest,
      apps: deps.apps,
      configs: deps.configs,
      access: deps.access,
      entities: deps.entities,
      lists: deps.lists,
    }),
  );

  app.get('/openapi.json', { config: { auth: 'none' }, schema: { hide: true } }, async () => app.swagger());
  await app.register(swaggerUi, { routePrefix: '/docs' });
  return app;
}
