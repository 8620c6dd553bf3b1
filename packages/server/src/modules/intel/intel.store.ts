import { randomBytes } from 'node:crypto';
import type { Db } from '../../storage/database.js';
import type { Selectable } from 'kysely';
import { shieldKysely, type IntelEntriesTable } from '../../storage/shield-tables.js';
import {
  DEFAULT_INTEL_SETTINGS,
  INTEL_SOURCES,
  isIntelKind,
  type IntelEntry,
  type IntelKind,
  type IntelSettings,
  type IntelSource,
} from './intel.model.js';

/** A shared identifier to store (hash already computed). */
export interface NewIntelEntry {
  readonly id: string;
  readonly kind: IntelKind;
  readonly hash: string;
  readonly sourceApp: string;
  readonly source: IntelSource;
  readonly reason: string;
  readonly caseId: string | null;
  readonly createdBy: string;
  readonly createdAt: number;
  readonly expiresAt: number | null;
}

/** What the in-memory registry needs of an entry. */
export interface IntelMark {
  readonly kind: IntelKind;
  readonly hash: string;
  readonly sourceApp: string;
  readonly source: IntelSource;
  readonly expiresAt: number | null;
}

/** Persistence of shared intelligence: hashed entries, per-app settings, the pepper. */
export interface IntelStore {
  /** The server-wide pepper, created on first use. */
  pepper(): Promise<string>;
  /** Stores entries; one already shared by the same app (kind, hash) is kept. Returns those stored now. */
  insert(rows: readonly NewIntelEntry[]): Promise<readonly NewIntelEntry[]>;
  /** An app's entry for an identifier. */
  find(sourceApp: string, kind: IntelKind, hash: string): Promise<IntelEntry | undefined>;
  /** Withdraws an app's entry; true when it existed. */
  remove(sourceApp: string, kind: IntelKind, hash: string): Promise<boolean>;
  /** An app's own entries, newest first. */
  list(
    sourceApp: string,
    q: {
      readonly kind?: IntelKind | undefined;
      readonly beforeId?: string | undefined;
      readonly limit: number;
    },
  ): Promise<{ readonly items: readonly IntelEntry[]; readonly more: boolean }>;
  /** Every unexpired entry (registry load). */
  marks(now: number): Promise<readonly IntelMark[]>;
  settings(appId: string): Promise<IntelSettings>;
  /** Apps whose settings differ from the default. */
  allSettings(): Promise<ReadonlyMap<string, IntelSettings>>;
  putSettings(appId: string, s: IntelSettings, now: number): Promise<void>;
}

function sourceOf(s: string): IntelSource {
  return INTEL_SOURCES.find((x) => x === s) ?? 'manual';
}

function toEntry(r: Selectable<IntelEntriesTable>): IntelEntry | undefined {
  if (!isIntelKind(r.kind)) return undefined;
  return {
    id: r.id,
    kind: r.kind,
    hash: r.hash,
    source: sourceOf(r.source),
    reason: r.reason,
    caseId: r.case_id,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
  };
}

/**
 * The Kysely intel store (SQLite and PostgreSQL).
 * @example const pepper = await createIntelStore(db).pepper();
 */
export function createIntelStore(db: Db): IntelStore {
  const k = shieldKysely(db);
  return {
    async pepper() {
      const found = await k
        .selectFrom('intel_pepper')
        .select('value')
        .where('id', '=', 'default')
        .executeTakeFirst();
      if (found !== undefined) return found.value;
      await k
        .insertInto('intel_pepper')
        .values({ id: 'default', value: randomBytes(32).toString('base64url'), created_at: Date.now() })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
      const row = await k
        .selectFrom('intel_pepper')
        .select('value')
        .where('id', '=', 'default')
        .executeTakeFirstOrThrow();
      return row.value;
    },

    async insert(rows) {
      const stored: NewIntelEntry[] = [];
      for (const r of rows) {
        const res = await k
          .insertInto('intel_entries')
          .values({
            id: r.id,
            kind: r.kind,
            hash: r.hash,
            source_app: r.sourceApp,
            source: r.source,
            reason: r.reason,
            case_id: r.caseId,
            created_by: r.createdBy,
            created_at: r.createdAt,
            expires_at: r.expiresAt,
          })
          .onConflict((oc) => oc.columns(['kind', 'hash', 'source_app']).doNothing())
          .executeTakeFirst();
        if (Number(res.numInsertedOrUpdatedRows ?? 0n) > 0) stored.push(r);
      }
      return stored;
    },

    async find(sourceApp, kind, hash) {
      const r = await k
        .selectFrom('intel_entries')
        .selectAll()
        .where('source_app', '=', sourceApp)
        .where('kind', '=', kind)
        .where('hash', '=', hash)
        .executeTakeFirst();
      return r === undefined ? undefined : toEntry(r);
    },

    async remove(sourceApp, kind, hash) {
      const r = await k
        .deleteFrom('intel_entries')
        .where('source_app', '=', sourceApp)
        .where('kind', '=', kind)
        .where('hash', '=', hash)
        .executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    },

    async list(sourceApp, q) {
      let s = k.selectFrom('intel_entries').selectAll().where('source_app', '=', sourceApp);
      if (q.kind !== undefined) s = s.where('kind', '=', q.kind);
      if (q.beforeId !== undefined) s = s.where('id', '<', q.beforeId);
      const rows = await s
        .orderBy('id', 'desc')
        .limit(q.limit + 1)
        .execute();
      const items: IntelEntry[] = [];
      for (const r of rows.slice(0, q.limit)) {
        const e = toEntry(r);
        if (e !== undefined) items.push(e);
      }
      return { items, more: rows.length > q.limit };
    },

    async marks(now) {
      const rows = await k
        .selectFrom('intel_entries')
        .select(['kind', 'hash', 'source_app', 'source', 'expires_at'])
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
        .execute();
      const out: IntelMark[] = [];
      for (const r of rows) {
        if (!isIntelKind(r.kind)) continue;
        out.push({
          kind: r.kind,
          hash: r.hash,
          sourceApp: r.source_app,
          source: sourceOf(r.source),
          expiresAt: r.expires_at,
        });
      }
      return out;
    },

    async settings(appId) {
      const r = await k
        .selectFrom('intel_settings')
        .selectAll()
        .where('app_id', '=', appId)
        .executeTakeFirst();
      return r === undefined
        ? DEFAULT_INTEL_SETTINGS
        : { contribute: r.contribute === 1, consume: r.consume === 1 };
    },

    async allSettings() {
      const rows = await k.selectFrom('intel_settings').selectAll().execute();
      return new Map(
        rows.map((r) => [r.app_id, { contribute: r.contribute === 1, consume: r.consume === 1 }]),
      );
    },

    async putSettings(appId, s, now) {
      await k
        .insertInto('intel_settings')
        .values({
          app_id: appId,
          contribute: s.contribute ? 1 : 0,
          consume: s.consume ? 1 : 0,
          updated_at: now,
        })
        .onConflict((oc) =>
          oc
            .column('app_id')
            .doUpdateSet({ contribute: s.contribute ? 1 : 0, consume: s.consume ? 1 : 0, updated_at: now }),
        )
        .execute();
    },
  };
}
