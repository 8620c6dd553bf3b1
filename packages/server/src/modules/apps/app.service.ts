import type { Clock } from '../../clock.js';
import { DomainError } from '../../errors.js';
import type { Db } from '../../storage/database.js';
import { ulid } from '../../storage/ulid.js';
import { createAuditStore } from '../audit/audit.store.js';
import { createApiKeyStore } from '../auth/api-key.store.js';
import { issueKey } from '../auth/auth.service.js';
import { createAppStore, type App } from './app.store.js';

/** A new app and its first API key (shown once). */
export interface CreatedApp {
  readonly app: App;
  readonly apiKey: string;
  readonly keyId: string;
}

/** App management. */
export interface AppService {
  /** Creates an app with one app key, audit-logged, in one transaction. Throws `app_exists`, `validation_failed`. */
  create(name: string, actor: string): Promise<CreatedApp>;
  list(): Promise<readonly App[]>;
  /** Throws `app_not_found`. */
  get(id: string): Promise<App>;
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9 _.-]{0,99}$/;

/**
 * @example const { app, apiKey } = await createAppService({ db, clock }).create('shop', 'cli');
 */
export function createAppService(deps: { readonly db: Db; readonly clock: Clock }): AppService {
  const { db, clock } = deps;
  return {
    async create(name, actor) {
      const trimmed = name.trim();
      if (!NAME_RE.test(trimmed)) {
        throw new DomainError('validation_failed', 'invalid app name', {
          details: [
            {
              path: '/name',
              message:
                '1 to 100 letters, digits, spaces, dots, dashes or underscores, starting with a letter or digit',
            },
          ],
        });
      }
      return db.transaction(async (tx) => {
        const now = clock.now();
        const app: App = { id: ulid(now), name: trimmed, createdAt: now };
        await createAppStore(tx).create(app);
        const issued = await issueKey(
          { keys: createApiKeyStore(tx), clock },
          { appId: app.id, role: 'app', name: 'default' },
        );
        await createAuditStore(tx).append(
          {
            actor,
            action: 'app.create',
            appId: app.id,
            target: app.id,
            details: { name: app.name, keyId: issued.record.id },
          },
          now,
        );
        return { app, apiKey: issued.key, keyId: issued.record.id };
      });
    },
    list: () => createAppStore(db).list(),
    async get(id) {
      const app = await createAppStore(db).get(id);
      if (app === undefined) throw new DomainError('app_not_found', `no app with id '${id}'`);
      return app;
    },
  };
}
