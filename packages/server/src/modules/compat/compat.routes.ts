import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { Clock } from '../../clock.js';
import type { Db } from '../../storage/database.js';
import type { AccessService } from '../access/access.service.js';
import type { AppService } from '../apps/app.service.js';
import type { ConfigService } from '../config/config.service.js';
import type { EntityService } from '../entities/entity.service.js';
import type { EventIngest } from '../events/event-ingest.js';
import type { ListService } from '../lists/list.service.js';
import { automationRoutes } from './automation.routes.js';
import { behaviorRoutes } from './behavior.routes.js';
import { createCompatStore } from './compat.store.js';
import { shieldRoutes } from './shield.routes.js';
import { transactionRoutes } from './transaction.routes.js';

/** What the compatibility routes need. */
export interface CompatDeps {
  readonly db: Db;
  readonly clock: Clock;
  readonly ingest: Pick<EventIngest, 'submit'>;
  readonly apps: Pick<AppService, 'get'>;
  readonly configs: Pick<ConfigService, 'current'>;
  readonly access: AccessService;
  readonly entities: EntityService;
  readonly lists: Pick<ListService, 'count'>;
}

/**
 * Every compatibility route: the source systems' own request and response shapes mapped onto the
 * same engine through the durable, idempotent event intake. `POST /api/bse/process`,
 * `/api/maf/detect`, `/api/agk/validate`, `/api/shield/ingest`, `GET /api/shield/events|enforcements|stats`,
 * `POST /v1/score`, `POST /analyze`, `GET /wallet/:address`, `GET /stats`, `POST /api/behavior/track`.
 * (The oracle's `POST /blacklist` and `/whitelist` are list routes.)
 * @example await app.register(compatRoutes({ db, clock, ingest, apps, configs, access, entities, lists }));
 */
export function compatRoutes(deps: CompatDeps): FastifyPluginAsyncTypebox {
  const store = createCompatStore(deps.db);
  return async (app) => {
    await app.register(automationRoutes(deps));
    await app.register(shieldRoutes({ ...deps, store }));
    await app.register(transactionRoutes({ ...deps, store }));
    await app.register(behaviorRoutes(deps));
  };
}
