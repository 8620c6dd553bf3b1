import type { Kysely } from 'kysely';
import type { Db } from '../../storage/database.js';
import type { DB, ModelsTable } from '../../storage/schema.js';
import { ulid } from '../../storage/ulid.js';

/** Registry statuses of a model version. */
export const MODEL_STATUSES = ['trained', 'deployed', 'shadow', 'retired'] as const;
/** One status. */
export type ModelStatus = (typeof MODEL_STATUSES)[number];

/** The `models` table with the registry columns of migration 0950. */
interface RegistryModelsTable extends ModelsTable {
  package: string | null;
  deployed_at: number | null;
  retired_at: number | null;
}

type RegistryDB = Omit<DB, 'models'> & { models: RegistryModelsTable };

function k(db: Db): Kysely<RegistryDB> {
  return db.kysely.withTables<{ models: RegistryModelsTable }>();
}

/** One stored model version (the package stays text until someone loads it). */
export interface ModelRecord {
  readonly id: string;
  readonly appId: string;
  readonly name: string;
  readonly version: number;
  readonly kind: string;
  readonly status: ModelStatus;
  readonly params: string;
  readonly metrics: string;
  readonly createdAt: number;
  readonly deployedAt: number | null;
  readonly retiredAt: number | null;
}

/** A record with its package text. */
export interface ModelRecordWithPackage extends ModelRecord {
  readonly package: string | null;
}

function status(s: string): ModelStatus {
  return (MODEL_STATUSES as readonly string[]).includes(s) ? (s as ModelStatus) : 'retired';
}

function toRecord(r: RegistryModelsTable): ModelRecordWithPackage {
  return {
    id: r.id,
    appId: r.app_id,
    name: r.name,
    version: Number(r.version),
    kind: r.kind,
    status: status(r.status),
    params: r.params,
    metrics: r.metrics,
    createdAt: Number(r.created_at),
    deployedAt: r.deployed_at === null ? null : Number(r.deployed_at),
    retiredAt: r.retired_at === null ? null : Number(r.retired_at),
    package: r.package,
  };
}

function withoutPackage(r: ModelRecordWithPackage): ModelRecord {
  const { package: _p, ...rest } = r;
  return rest;
}

/** Row access of the model registry. */
export interface ModelStore {
  insert(m: {
    readonly appId: string;
    readonly name: string;
    readonly kind: string;
    readonly params: string;
    readonly metrics: string;
    readonly package: string;
    readonly now: number;
  }): Promise<ModelRecord>;
  list(appId: string, name?: string): Promise<readonly ModelRecord[]>;
  get(appId: string, id: string): Promise<ModelRecordWithPackage | undefined>;
  /** Every deployed or shadow version of every app, with packages. */
  active(): Promise<readonly ModelRecordWithPackage[]>;
  setStatus(id: string, status: ModelStatus, now: number): Promise<void>;
}

/**
 * The registry store over SQLite or PostgreSQL. Versions are numbered per app and name from 1.
 * @example const store = createModelStore(db); await store.list(appId);
 */
export function createModelStore(db: Db): ModelStore {
  return {
    async insert(m) {
      return db.transaction(async (tx) => {
        const top = await k(tx)
          .selectFrom('models')
          .select((eb) => eb.fn.max('version').as('v'))
          .where('app_id', '=', m.appId)
          .where('name', '=', m.name)
          .executeTakeFirst();
        const version = Number(top?.v ?? 0) + 1;
        const row: RegistryModelsTable = {
          id: ulid(m.now),
          app_id: m.appId,
          name: m.name,
          version,
          kind: m.kind,
          status: 'trained',
          params: m.params,
          metrics: m.metrics,
          artifact: null,
          created_at: m.now,
          package: m.package,
          deployed_at: null,
          retired_at: null,
        };
        await k(tx).insertInto('models').values(row).execute();
        return withoutPackage(toRecord(row));
      });
    },
    async list(appId, name) {
      let q = k(db)
        .selectFrom('models')
        .select([
          'id',
          'app_id',
          'name',
          'version',
          'kind',
          'status',
          'params',
          'metrics',
          'artifact',
          'created_at',
          'deployed_at',
          'retired_at',
        ])
        .where('app_id', '=', appId);
      if (name !== undefined) q = q.where('name', '=', name);
      const rows = await q.orderBy('name').orderBy('version', 'desc').execute();
      return rows.map((r) => withoutPackage(toRecord({ ...r, package: null })));
    },
    async get(appId, id) {
      const r = await k(db)
        .selectFrom('models')
        .selectAll()
        .where('app_id', '=', appId)
        .where('id', '=', id)
        .executeTakeFirst();
      return r === undefined ? undefined : toRecord(r);
    },
    async active() {
      const rows = await k(db)
        .selectFrom('models')
        .selectAll()
        .where('status', 'in', ['deployed', 'shadow'])
        .orderBy('app_id')
        .orderBy('name')
        .orderBy('version')
        .execute();
      return rows.map(toRecord);
    },
    async setStatus(id, s, now) {
      const set: Partial<RegistryModelsTable> = { status: s };
      if (s === 'deployed' || s === 'shadow') set.deployed_at = now;
      if (s === 'retired') set.retired_at = now;
      await k(db).updateTable('models').set(set).where('id', '=', id).execute();
    },
  };
}
