import type { Db } from '../../storage/database.js';
import { DomainError } from '../../errors.js';
import { isUniqueViolation } from '../../storage/sql-errors.js';

/** A tenant: every event, user, list and key belongs to one app. */
export interface App {
  readonly id: string;
  readonly name: string;
  readonly createdAt: number;
}

/** Persistence of apps. */
export interface AppStore {
  /** Throws `app_exists` when the name is taken. */
  create(app: App): Promise<void>;
  get(id: string): Promise<App | undefined>;
  findByName(name: string): Promise<App | undefined>;
  /** Every app, oldest first. */
  list(): Promise<readonly App[]>;
}

function toApp(r: { id: string; name: string; created_at: number }): App {
  return { id: r.id, name: r.name, createdAt: r.created_at };
}

/**
 * The Kysely app store (SQLite and PostgreSQL).
 * @example const apps = createAppStore(db); await apps.create({ id: ulid(), name: 'shop', createdAt: Date.now() });
 */
export function createAppStore(db: Db): AppStore {
  const k = db.kysely;
  return {
    async create(app) {
      try {
        await k
          .insertInto('apps')
          .values({ id: app.id, name: app.name, created_at: app.createdAt })
          .execute();
      } catch (err) {
        if (isUniqueViolation(err)) throw new DomainError('app_exists', `an app named '${app.name}' exists`);
        throw err;
      }
    },
    async get(id) {
      const r = await k.selectFrom('apps').selectAll().where('id', '=', id).executeTakeFirst();
      return r && toApp(r);
    },
    async findByName(name) {
      const r = await k.selectFrom('apps').selectAll().where('name', '=', name).executeTakeFirst();
      return r && toApp(r);
    },
    async list() {
      const rows = await k.selectFrom('apps').selectAll().orderBy('created_at').orderBy('id').execute();
      return rows.map(toApp);
    },
  };
}
