import { randomBytes } from 'node:crypto';
import {
  createEngine,
  createMemoryFeatureStore,
  DEFAULT_ENGINE_CONFIG,
  type EngineConfig,
} from '@vigil/engine';
import { createTestServer, type TestServer } from '../../testing/test-server.js';
import { accessRoutes } from '../access/access.routes.js';
import { createAccessService, type AccessService } from '../access/access.service.js';
import { createPasskeyService, type PasskeyService } from '../access/passkey.service.js';
import { createAppEngines, type AppEngines } from '../config/app-engines.js';
import { configRoutes } from '../config/config.routes.js';
import { createConfigService, type ConfigService } from '../config/config.service.js';
import { entityRoutes } from '../entities/entity.routes.js';
import { createEntityService, type EntityService } from '../entities/entity.service.js';
import { entityIndexesMigration } from '../../storage/entity-indexes.migration.js';
import { createEventIngest, type EventIngest } from '../events/event-ingest.js';
import { createListRegistry, withAppLists } from '../lists/list-registry.js';
import { createListService, type ListService } from '../lists/list.service.js';
import { createUserStore } from '../users/user.store.js';
import { compatRoutes } from './compat.routes.js';

/** A test server with the config, access, entity and compatibility modules wired in. */
export interface WiredTestServer extends TestServer {
  readonly engines: AppEngines;
  readonly configs: ConfigService;
  /** The intake the wired routes use (scoring with each app's engine). */
  readonly ingest: EventIngest;
  readonly lists: ListService;
  readonly access: AccessService;
  readonly passkeys: PasskeyService;
  readonly entities: EntityService;
}

const WIRED_ROUTES = [
  { method: 'PUT', url: '/v1/config' },
  { method: 'POST', url: '/v1/access/validate' },
  { method: 'GET', url: '/v1/wallets/:address' },
  { method: 'POST', url: '/api/bse/process' },
] as const;

/**
 * Builds the foundation's test server and wires these modules the way the runtime should (see the
 * module report): one feature store shared by per-app engines behind `createAppEngines`, the list
 * registry, the config service installing engines, an intake scoring with them, the entity
 * indexes migration, and the four route plugins registered before the app is ready.
 * @example const s = await createWiredTestServer(); const shop = await s.createApp('shop');
 */
export async function createWiredTestServer(env: Record<string, string> = {}): Promise<WiredTestServer> {
  const s = await createTestServer(env);
  try {
    for (const r of WIRED_ROUTES) {
      if (s.app.hasRoute(r)) {
        throw new Error(
          `${r.method} ${r.url} is already wired by buildApp: use the runtime's services in tests`,
        );
      }
    }
    const { db } = s.rt;
    await entityIndexesMigration(db.dialect).up(db.kysely);
    const registry = createListRegistry();
    const lists = createListService({ db, clock: s.clock, registry, apps: s.rt.apps });
    await lists.load();
    const store = createMemoryFeatureStore();
    const make = (config: EngineConfig) =>
      withAppLists(createEngine({ config, store, lists: registry.lookup }), registry);
    const engines = createAppEngines({ base: make(DEFAULT_ENGINE_CONFIG), make });
    const configs = createConfigService({ db, clock: s.clock, apps: s.rt.apps, prepare: engines.prepare });
    await configs.load();
    const ingest = createEventIngest({ db, engine: engines, clock: s.clock });
    const access = createAccessService({ db, clock: s.clock, users: createUserStore(db), configs });
    const passkeys = createPasskeyService({ db, clock: s.clock, secret: randomBytes(32) });
    const entities = createEntityService({ db, lists });

    await s.app.register(configRoutes({ configs }));
    await s.app.register(accessRoutes({ access, passkeys }));
    await s.app.register(entityRoutes({ entities }));
    await s.app.register(
      compatRoutes({ db, clock: s.clock, ingest, apps: s.rt.apps, configs, access, entities, lists }),
    );
    return {
      ...s,
      engines,
      configs,
      ingest,
      lists,
      access,
      passkeys,
      entities,
      async close() {
        await ingest.close();
        await s.close();
      },
    };
  } catch (err) {
    await s.close();
    throw err;
  }
}
