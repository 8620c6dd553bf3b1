import type { Db } from '../../storage/database.js';

/** One stored version of an app's configuration document. */
export interface ConfigRecord {
  readonly appId: string;
  /** 1, 2, 3, ... per app. */
  readonly version: number;
  /** The document as canonical JSON. */
  readonly body: string;
  readonly createdAt: number;
  readonly createdBy: string;
}

/** A version without its body (listings). */
export type ConfigVersionInfo = Omit<ConfigRecord, 'body'>;

/** Persistence of versioned app configurations (the `configs` table). */
export interface ConfigStore {
  /** The newest version of one app. */
  latest(appId: string): Promise<ConfigRecord | undefined>;
  /** The newest version of every app that has one. */
  latestOfEveryApp(): Promise<readonly ConfigRecord[]>;
  get(appId: string, version: number): Promise<ConfigRecord | undefined>;
  /** Versions newest first; `before` pages back. */
  list(
    appId: string,
    q: { readonly before?: number | undefined; readonly limit: number },
  ): Promise<readonly ConfigVersionInfo[]>;
  /** Inserts a version; a version already taken is a unique violation. */
  insert(record: ConfigRecord): Promise<void>;
}

function toRecord(r: {
  app_id: string;
  version: number;
  body: string;
  created_at: number;
  created_by: string;
}): ConfigRecord {
  return {
    appId: r.app_id,
    version: Number(r.version),
    body: r.body,
    createdAt: Number(r.created_at),
    createdBy: r.created_by,
  };
}

/**
 * The Kysely config store; the primary key (app_id, version) serves every query.
 * @example const latest = await createConfigStore(db).latest(appId);
 */
export function createConfigStore(db: Db): ConfigStore {
  const k = db.kysely;
  return {
    async latest(appId) {
      const r = await k
        .selectFrom('configs')
        .selectAll()
        .where('app_id', '=', appId)
        .orderBy('version', 'desc')
        .limit(1)
        .executeTakeFirst();
      return r && toRecord(r);
    },
    async latestOfEveryApp() {
      const rows = await k
        .selectFrom('configs as c')
        .innerJoin(
          (eb) =>
            eb
              .selectFrom('configs')
              .select((s) => ['app_id', s.fn.max('version').as('v')])
              .groupBy('app_id')
              .as('m'),
          (join) => join.onRef('m.app_id', '=', 'c.app_id').onRef('m.v', '=', 'c.version'),
        )
        .selectAll('c')
        .orderBy('c.app_id')
        .execute();
      return rows.map(toRecord);
    },
    async get(appId, version) {
      const r = await k
        .selectFrom('configs')
        .selectAll()
        .where('app_id', '=', appId)
        .where('version', '=', version)
        .executeTakeFirst();
      return r && toRecord(r);
    },
    async list(appId, q) {
      let query = k
        .selectFrom('configs')
        .select(['app_id', 'version', 'created_at', 'created_by'])
        .where('app_id', '=', appId);
      if (q.before !== undefined) query = query.where('version', '<', q.before);
      const rows = await query.orderBy('version', 'desc').limit(q.limit).execute();
      return rows.map((r) => ({
        appId: r.app_id,
        version: Number(r.version),
        createdAt: Number(r.created_at),
        createdBy: r.created_by,
      }));
    },
    async insert(r) {
      await k
        .insertInto('configs')
        .values({
          app_id: r.appId,
          version: r.version,
          body: r.body,
          created_at: r.createdAt,
          created_by: r.createdBy,
        })
        .execute();
    },
  };
}
