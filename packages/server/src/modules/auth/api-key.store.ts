import type { Db } from '../../storage/database.js';
import type { ApiKeysTable, KeyRole } from '../../storage/schema.js';
import type { Selectable } from 'kysely';

/** An API key as stored: never the key itself, only its hash and a short prefix to recognise it. */
export interface ApiKeyRecord {
  readonly id: string;
  /** The app an `app` key is scoped to; null for admin keys. */
  readonly appId: string | null;
  readonly role: KeyRole;
  readonly name: string;
  readonly prefix: string;
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
  readonly revokedAt: number | null;
}

/** Persistence of API keys. */
export interface ApiKeyStore {
  insert(key: ApiKeyRecord, hash: string): Promise<void>;
  findByHash(hash: string): Promise<ApiKeyRecord | undefined>;
  get(id: string): Promise<ApiKeyRecord | undefined>;
  /** Keys of one app, or every key when `appId` is undefined; oldest first. */
  list(filter?: {
    readonly appId?: string;
    readonly includeRevoked?: boolean;
  }): Promise<readonly ApiKeyRecord[]>;
  /** Marks a key revoked; false when there is no such live key. */
  revoke(id: string, at: number): Promise<boolean>;
  touch(id: string, at: number): Promise<void>;
  /** How many live admin-role keys exist (first start creates one when there are none). */
  countLiveAdminKeys(): Promise<number>;
}

function toRecord(r: Selectable<ApiKeysTable>): ApiKeyRecord {
  return {
    id: r.id,
    appId: r.app_id,
    role: r.role,
    name: r.name,
    prefix: r.prefix,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    revokedAt: r.revoked_at,
  };
}

/**
 * The Kysely API key store.
 * @example const keys = createApiKeyStore(db); await keys.findByHash(sha256(bearer));
 */
export function createApiKeyStore(db: Db): ApiKeyStore {
  const k = db.kysely;
  return {
    async insert(key, hash) {
      await k
        .insertInto('api_keys')
        .values({
          id: key.id,
          app_id: key.appId,
          role: key.role,
          name: key.name,
          prefix: key.prefix,
          key_hash: hash,
          created_at: key.createdAt,
          last_used_at: key.lastUsedAt,
          revoked_at: key.revokedAt,
        })
        .execute();
    },
    async findByHash(hash) {
      const r = await k.selectFrom('api_keys').selectAll().where('key_hash', '=', hash).executeTakeFirst();
      return r && toRecord(r);
    },
    async get(id) {
      const r = await k.selectFrom('api_keys').selectAll().where('id', '=', id).executeTakeFirst();
      return r && toRecord(r);
    },
    async list(filter = {}) {
      let q = k.selectFrom('api_keys').selectAll();
      if (filter.appId !== undefined) q = q.where('app_id', '=', filter.appId);
      if (!filter.includeRevoked) q = q.where('revoked_at', 'is', null);
      const rows = await q.orderBy('created_at').orderBy('id').execute();
      return rows.map(toRecord);
    },
    async revoke(id, at) {
      const r = await k
        .updateTable('api_keys')
        .set({ revoked_at: at })
        .where('id', '=', id)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },
    async touch(id, at) {
      await k.updateTable('api_keys').set({ last_used_at: at }).where('id', '=', id).execute();
    },
    async countLiveAdminKeys() {
      const r = await k
        .selectFrom('api_keys')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('app_id', 'is', null)
        .where('role', '=', 'admin')
        .where('revoked_at', 'is', null)
        .executeTakeFirstOrThrow();
      return Number(r.n);
    },
  };
}
