import { createTestServer, type TestServer } from '../../testing/test-server.js';
import type { AccessService } from '../access/access.service.js';
import type { PasskeyService } from '../access/passkey.service.js';
import type { AppEngines } from '../config/app-engines.js';
import type { ConfigService } from '../config/config.service.js';
import type { EntityService } from '../entities/entity.service.js';
import type { EventIngest } from '../events/event-ingest.js';
import type { ListService } from '../lists/list.service.js';

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

/**
 * The foundation's test server: the runtime wires the config, access, entity and compatibility
 * modules (per-app engines behind `createAppEngines` sharing one feature store, the list registry,
 * the config service installing engines); this exposes those services to the tests.
 * @example const s = await createWiredTestServer(); const shop = await s.createApp('shop');
 */
export async function createWiredTestServer(env: Record<string, string> = {}): Promise<WiredTestServer> {
  const s = await createTestServer(env);
  const { rt } = s;
  return {
    ...s,
    engines: rt.engine,
    configs: rt.configs,
    ingest: rt.ingest,
    lists: rt.lists,
    access: rt.access,
    passkeys: rt.passkeys,
    entities: rt.entities,
  };
}
