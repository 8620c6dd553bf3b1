import type { Kysely } from 'kysely';
import type { Db } from '../../storage/database.js';
import type { DB, ModelsTable } from '../../storage/schema.js';
import { ulid } from '../../storage/ulid.js';

/** Registry statuses of a model version. */
export const MODEL_STATUSES = ['trained', 'deployed', 'shadow', 'retired'] as const;
/** One status. */
export type ModelStatus = (typeof MODEL_STATUSES)[number];

/** The `models` table with the registry columns of migrations 0950, 1030 and 1040. */
interface RegistryModelsTable extends ModelsTable {
  package: string | null;
  deployed_at: number | null;
  retired_at: number | null;
  state_seq: number | null;
  drift_reference: string | null;
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

/** Where the state of an active version began in the event log (see {@link ModelStore.stateStarts}). */
export interface ModelStateStart {
  readonly appId: string;
  readonly name: string;
  readonly version: number;
  /** The highest event seq logged before the version went live or into shadow. */
  readonly seq: number;
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
  /**
   * Sets a version's status. A version that becomes deployed or shadow from another status starts
   * a new state (stateful kinds): the log position then (the highest event seq) is recorded;
   * between deployed and shadow it is kept, as the running state goes along.
   */
  setStatus(id: string, status: ModelStatus, now: number): Promise<void>;
  /** The recorded state starts of every deployed or shadow version that has one. */
  stateStarts(): Promise<readonly ModelStateStart[]>;
  /** Records where a version's state began (a server that installed it live knows exactly). */
  setStateStart(appId: string, name: string, version: number, seq: number): Promise<void>;
  /**
   * A version's stored live drift reference (JSON text, null until complete) and the log position
   * where it first went live or into shadow (null when unknown: stored before migration 1030).
   */
  driftReference(
    id: string,
  ): Promise<{ readonly reference: string | null; readonly stateSeq: number | null } | undefined>;
  /** Stores a version's live drift reference unless it has one already (the first one stays). */
  setDriftReference(id: string, reference: string): Promise<void>;
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
          state_seq: null,
          drift_reference: null,
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
      return rows.map((r) =>
        withoutPackage(toRecord({ ...r, package: null, state_seq: null, drift_reference: null })),
      );
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
      const active = s === 'deployed' || s === 'shadow';
      if (active) set.deployed_at = now;
      if (s === 'retired') set.retired_at = now;
      if (active) {
        const top = await k(db)
          .selectFrom('events')
          .select((eb) => eb.fn.max('seq').as('seq'))
          .executeTakeFirst();
        await k(db)
          .updateTable('models')
          .set({ state_seq: Number(top?.seq ?? 0) })
          .where('id', '=', id)
          .where('status', 'not in', ['deployed', 'shadow'])
          .execute();
      }
      await k(db).updateTable('models').set(set).where('id', '=', id).execute();
    },
    async stateStarts() {
      const rows = await k(db)
        .selectFrom('models')
        .select(['app_id', 'name', 'version', 'state_seq'])
        .where('status', 'in', ['deployed', 'shadow'])
        .where('state_seq', 'is not', null)
        .execute();
      return rows.map((r) => ({
        appId: r.app_id,
        name: r.name,
        version: Number(r.version),
        seq: Number(r.state_seq),
      }));
    },
    async driftReference(id) {
      const r = await k(db)
        .selectFrom('models')
        .select(['drift_reference', 'state_seq'])
        .where('id', '=', id)
        .executeTakeFirst();
      return r === undefined
        ? undefined
        : { reference: r.drift_reference, stateSeq: r.state_seq === null ? null : Number(r.state_seq) };
    },
    async setDriftReference(id, reference) {
      await k(db)
        .updateTable('models')
        .set({ drift_reference: reference })
        .where('id', '=', id)
        .where('drift_reference', 'is', null)
        .execute();
    },
    async setStateStart(appId, name, version, seq) {
      await k(db)
        .updateTable('models')
        .set({ state_seq: seq })
        .where('app_id', '=', appId)
        .where('name', '=', name)
        .where('version', '=', version)
        .execute();
    },
  };
}
