import { LIST_KINDS, type ListKind } from '@vigil/engine';
import type { Db } from '../../storage/database.js';
import { chunks, rowsPerInsert } from '../../storage/json.js';

/**
 * Verdicts a stored entry can have. `flag` is a reputation listing (Tor exits, bad-IP feeds,
 * disposable domains, crawlers): recorded and shown, but never a forced block by itself.
 */
export const STORED_LIST_VERDICTS = ['block', 'allow', 'flag'] as const;
export type StoredListVerdict = (typeof STORED_LIST_VERDICTS)[number];

/** The scope of lists that apply to every app (imported feeds). App ids are ULIDs, so it never collides. */
export const GLOBAL_LIST_SCOPE = '*';

/** One stored list entry. `scope` is an app id or {@link GLOBAL_LIST_SCOPE}. */
export interface ListRecord {
  readonly id: string;
  readonly scope: string;
  readonly kind: ListKind;
  /** Canonical value (normalised by the engine's rules). */
  readonly value: string;
  readonly verdict: StoredListVerdict;
  readonly label: string;
  readonly weight: number;
  readonly expiresAt: number | null;
  readonly createdAt: number;
  readonly createdBy: string;
}

/** Filter and position of a page of one scope's list of one kind, ordered by value. */
export interface ListPageQuery {
  readonly scope: string;
  readonly kind: ListKind;
  readonly verdict?: StoredListVerdict | undefined;
  readonly label?: string | undefined;
  /** Values after this one (the previous page's last value). */
  readonly after?: string | undefined;
  readonly limit: number;
}

/** Persistence of block/allow/flag lists. */
export interface ListStore {
  /** Inserts or replaces entries by (scope, kind, value); within `rows` the last one for a value wins. */
  upsertMany(rows: readonly ListRecord[]): Promise<void>;
  get(scope: string, kind: ListKind, value: string): Promise<ListRecord | undefined>;
  /** Deletes one entry; true when it existed. */
  remove(scope: string, kind: ListKind, value: string): Promise<boolean>;
  /** One page ordered by value; `more` says whether another page follows. */
  page(q: ListPageQuery): Promise<{ readonly items: readonly ListRecord[]; readonly more: boolean }>;
  /** Every entry of every scope, in pages (used to load the in-memory lists). */
  scan(pageSize?: number): AsyncIterable<readonly ListRecord[]>;
  /** Deletes entries whose expiry is at or before `now`; returns how many. */
  deleteExpired(now: number): Promise<number>;
  /** Deletes a scope's entries of one kind and label set before `before` (a feed re-import dropping what left the feed). */
  deleteStale(scope: string, kind: ListKind, label: string, before: number): Promise<number>;
  /** Entries per verdict in one scope (optionally of one kind). */
  count(scope: string, kind?: ListKind): Promise<Readonly<Record<StoredListVerdict, number>>>;
}

interface ListRow {
  id: string;
  app_id: string;
  kind: string;
  value: string;
  verdict: string;
  label: string;
  weight: number;
  expires_at: number | null;
  created_at: number;
  created_by: string;
}

/** Whether a string is one of the engine's list kinds. @example isListKind('ip'); // true */
export function isListKind(s: string): s is ListKind {
  return (LIST_KINDS as readonly string[]).includes(s);
}

/** Whether a string is a stored verdict. @example isStoredListVerdict('flag'); // true */
export function isStoredListVerdict(s: string): s is StoredListVerdict {
  return (STORED_LIST_VERDICTS as readonly string[]).includes(s);
}

/** A row as a record; undefined for a row no writer of this store could have produced. */
function toRecord(r: ListRow): ListRecord | undefined {
  if (!isListKind(r.kind) || !isStoredListVerdict(r.verdict)) return undefined;
  return {
    id: r.id,
    scope: r.app_id,
    kind: r.kind,
    value: r.value,
    verdict: r.verdict,
    label: r.label,
    weight: r.weight,
    expiresAt: r.expires_at,
    createdAt: r.created_at,
    createdBy: r.created_by,
  };
}

function records(rows: readonly ListRow[]): ListRecord[] {
  const out: ListRecord[] = [];
  for (const r of rows) {
    const rec = toRecord(r);
    if (rec !== undefined) out.push(rec);
  }
  return out;
}

function toRow(r: ListRecord): ListRow {
  return {
    id: r.id,
    app_id: r.scope,
    kind: r.kind,
    value: r.value,
    verdict: r.verdict,
    label: r.label,
    weight: r.weight,
    expires_at: r.expiresAt,
    created_at: r.createdAt,
    created_by: r.createdBy,
  };
}

const COLUMNS = 10;

/**
 * The Kysely list store (SQLite and PostgreSQL), over the `lists` table and its unique
 * (app_id, kind, value) index, which also serves pages and scans in value order.
 * @example
 * const store = createListStore(db);
 * await store.upsertMany([{ id: ulid(), scope: appId, kind: 'ip', value: '10.0.0.0/8', verdict: 'block', label: 'blocklist', weight: 1, expiresAt: null, createdAt: now, createdBy: 'cli' }]);
 */
export function createListStore(db: Db): ListStore {
  const k = db.kysely;
  return {
    async upsertMany(rows) {
      // PostgreSQL refuses to update one row twice in a statement: keep the last row per value
      const last = new Map<string, ListRecord>();
      for (const r of rows) last.set(`${r.scope}\u0000${r.kind}\u0000${r.value}`, r);
      for (const part of chunks([...last.values()], rowsPerInsert(COLUMNS))) {
        await k
          .insertInto('lists')
          .values(part.map(toRow))
          .onConflict((oc) =>
            oc.columns(['app_id', 'kind', 'value']).doUpdateSet((eb) => ({
              verdict: eb.ref('excluded.verdict'),
              label: eb.ref('excluded.label'),
              weight: eb.ref('excluded.weight'),
              expires_at: eb.ref('excluded.expires_at'),
              created_at: eb.ref('excluded.created_at'),
              created_by: eb.ref('excluded.created_by'),
            })),
          )
          .execute();
      }
    },
    async get(scope, kind, value) {
      const r = await k
        .selectFrom('lists')
        .selectAll()
        .where('app_id', '=', scope)
        .where('kind', '=', kind)
        .where('value', '=', value)
        .executeTakeFirst();
      return r && toRecord(r);
    },
    async remove(scope, kind, value) {
      const r = await k
        .deleteFrom('lists')
        .where('app_id', '=', scope)
        .where('kind', '=', kind)
        .where('value', '=', value)
        .executeTakeFirst();
      return r.numDeletedRows > 0n;
    },
    async page(q) {
      let query = k.selectFrom('lists').selectAll().where('app_id', '=', q.scope).where('kind', '=', q.kind);
      if (q.verdict !== undefined) query = query.where('verdict', '=', q.verdict);
      if (q.label !== undefined) query = query.where('label', '=', q.label);
      if (q.after !== undefined) query = query.where('value', '>', q.after);
      const rows = await query
        .orderBy('value')
        .limit(q.limit + 1)
        .execute();
      const more = rows.length > q.limit;
      return { items: records(more ? rows.slice(0, q.limit) : rows), more };
    },
    async *scan(pageSize = 5000) {
      let after: { scope: string; kind: string; value: string } | undefined;
      for (;;) {
        let query = k.selectFrom('lists').selectAll();
        if (after !== undefined) {
          const a = after;
          query = query.where((eb) =>
            eb.or([
              eb('app_id', '>', a.scope),
              eb.and([eb('app_id', '=', a.scope), eb('kind', '>', a.kind)]),
              eb.and([eb('app_id', '=', a.scope), eb('kind', '=', a.kind), eb('value', '>', a.value)]),
            ]),
          );
        }
        const rows = await query.orderBy('app_id').orderBy('kind').orderBy('value').limit(pageSize).execute();
        if (rows.length === 0) return;
        yield records(rows);
        const tail = rows[rows.length - 1];
        if (tail === undefined || rows.length < pageSize) return;
        after = { scope: tail.app_id, kind: tail.kind, value: tail.value };
      }
    },
    async deleteExpired(now) {
      const r = await k
        .deleteFrom('lists')
        .where('expires_at', 'is not', null)
        .where('expires_at', '<=', now)
        .executeTakeFirst();
      return Number(r.numDeletedRows);
    },
    async deleteStale(scope, kind, label, before) {
      const r = await k
        .deleteFrom('lists')
        .where('app_id', '=', scope)
        .where('kind', '=', kind)
        .where('label', '=', label)
        .where('created_at', '<', before)
        .executeTakeFirst();
      return Number(r.numDeletedRows);
    },
    async count(scope, kind) {
      let query = k
        .selectFrom('lists')
        .select(['verdict', (eb) => eb.fn.countAll<number | string>().as('n')])
        .where('app_id', '=', scope);
      if (kind !== undefined) query = query.where('kind', '=', kind);
      const rows = await query.groupBy('verdict').execute();
      const out: Record<StoredListVerdict, number> = { block: 0, allow: 0, flag: 0 };
      for (const r of rows) if (isStoredListVerdict(r.verdict)) out[r.verdict] = Number(r.n);
      return out;
    },
  };
}
