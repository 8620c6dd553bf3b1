import type { FastifyBaseLogger } from 'fastify';
import type { AppDeps } from './app.js';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import { createMetrics } from './http/metrics.js';
import { createRateLimiter } from './http/rate-limit.js';
import { createAppService } from './modules/apps/app.service.js';
import { createApiKeyStore } from './modules/auth/api-key.store.js';
import { createAuthService } from './modules/auth/auth.service.js';
import { createKeyService } from './modules/auth/key.service.js';
import { openDatabase } from './storage/database.js';
import { migrateToLatest, type MigrationReport } from './storage/migrations.js';

/** Options of {@link createRuntime}. */
export interface RuntimeOptions {
  readonly config: Config;
  /** Default: the wall clock. */
  readonly clock?: Clock;
  /** A pino logger; absent means silent. */
  readonly logger?: FastifyBaseLogger;
}

/** The wired server minus the HTTP instance: what `buildApp`, `main.ts` and the CLI share. */
export interface Runtime extends AppDeps {
  readonly clock: Clock;
  readonly migrations: MigrationReport;
  /** Flushes pending work and closes the database. */
  close(): Promise<void>;
}

/**
 * Opens the database, runs pending migrations and wires every service.
 * @example const rt = await createRuntime({ config: loadConfig(process.env) }); const app = await buildApp(rt);
 */
export async function createRuntime(opts: RuntimeOptions): Promise<Runtime> {
  const { config } = opts;
  const clock = opts.clock ?? systemClock;
  const db = await openDatabase(config.database);
  let migrations: MigrationReport;
  try {
    migrations = await migrateToLatest(db);
  } catch (err) {
    await db.close();
    throw err;
  }
  const logger = opts.logger;
  const auth = createAuthService(
    { keys: createApiKeyStore(db), clock },
    { onTouchError: (err) => logger?.warn({ err }, 'recording key use failed') },
  );
  const metrics = createMetrics();
  let closed = false;
  const runtime: Runtime = {
    config,
    db,
    clock,
    migrations,
    auth,
    limiter: createRateLimiter(config.rateLimit, clock),
    apps: createAppService({ db, clock }),
    keys: createKeyService({ db, clock, auth }),
    metrics,
    isReady: () => !closed,
    ...(logger ? { logger } : {}),
    async close() {
      if (closed) return;
      closed = true;
      await db.close();
    },
  };
  return runtime;
}
