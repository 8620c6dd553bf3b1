import { normalizeListValue, type ListHit, type ListKind } from '@vigil/engine';
import type { Clock } from '../../clock.js';
import { DomainError, type ErrorDetail } from '../../errors.js';
import type { Db } from '../../storage/database.js';
import { ulid } from '../../storage/ulid.js';
import type { AppService } from '../apps/app.service.js';
import { createAuditStore } from '../audit/audit.store.js';
import { isIntelKind, type IntelKind } from '../intel/intel.model.js';
import { canonicalIdentifier, type IntelService } from '../intel/intel.service.js';
import type { ListRegistry } from './list-registry.js';
import { validateListRow, type ValidListRow } from './list-row.js';
import { GLOBAL_LIST_SCOPE, createListStore, type ListRecord, type StoredListVerdict } from './list.store.js';

/** Per-row outcome of {@link ListService.add}: stored entries and every rejected row by index. */
export interface ListAddReport {
  readonly loaded: number;
  readonly failed: number;
  /** The stored entries, in input order. */
  readonly entries: readonly ListRecord[];
  readonly errors: readonly { readonly index: number; readonly details: readonly ErrorDetail[] }[];
  /** Stored entries the engine does not score (none while every stored verdict is an engine one). */
  readonly notScored: number;
}

/** A page of entries and the cursor of the next one (null on the last page). */
export interface ListPage {
  readonly items: readonly ListRecord[];
  readonly nextCursor: string | null;
}

/** What {@link ListService.load} found in the database. */
export interface ListLoadSummary {
  readonly loaded: number;
  readonly notScored: number;
  readonly scopes: number;
}

/** Block/allow/flag lists: durable in the database, mirrored in memory for the engine. */
export interface ListService {
  readonly registry: ListRegistry;
  /** (Re)loads every entry from the database into memory (at start, after an offline import). */
  load(): Promise<ListLoadSummary>;
  /**
   * Validates untrusted rows, stores the good ones in one transaction (audit-logged), then
   * updates memory. Throws `app_not_found` for an unknown app.
   */
  add(scope: string, kind: ListKind, rows: readonly unknown[], actor: string): Promise<ListAddReport>;
  /** Stores rows already validated (bulk imports): one transaction, one audit row. */
  addValid(
    scope: string,
    rows: readonly ValidListRow[],
    actor: string,
    audit?: Readonly<Record<string, unknown>>,
  ): Promise<{ readonly stored: number; readonly notScored: number }>;
  /** Removes the entry for a value (normalised first). Throws `validation_failed`, `not_found`. */
  remove(scope: string, kind: ListKind, value: string, actor: string): Promise<ListRecord>;
  /** The stored entry for a value. Throws `validation_failed`, `not_found`. */
  get(scope: string, kind: ListKind, value: string): Promise<ListRecord>;
  /** What the engine sees for a value in an app (own entries, then global ones; CIDR ranges match). */
  lookup(scope: string, kind: ListKind, value: string): ListHit | undefined;
  page(q: {
    readonly scope: string;
    readonly kind: ListKind;
    readonly verdict?: StoredListVerdict | undefined;
    readonly label?: string | undefined;
    readonly cursor?: string | undefined;
    readonly limit?: number | undefined;
  }): Promise<ListPage>;
  /** Entries per verdict. */
  count(scope: string, kind?: ListKind): Promise<Readonly<Record<StoredListVerdict, number>>>;
  /** Deletes expired entries from the database and memory; returns how many rows were deleted. */
  prune(): Promise<number>;
}

/** Default and largest page sizes of {@link ListService.page}. */
export const LIST_PAGE = { default: 100, max: 1000 } as const;

function cursorOf(value: string): string {
  return Buffer.from(value, 'utf8').toString('base64url');
}

const CURSOR_RE = /^[A-Za-z0-9_-]{1,1400}$/;

function afterOf(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  const value = CURSOR_RE.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  if (value === '' || cursorOf(value) !== cursor) {
    throw new DomainError('validation_failed', 'invalid cursor', {
      details: [{ path: '/cursor', message: 'not a cursor this API returned' }],
    });
  }
  return value;
}

function canonical(kind: ListKind, value: string): string {
  const n = normalizeListValue(kind, value);
  if (!n.ok) {
    throw new DomainError('validation_failed', `invalid ${kind} value`, {
      details: n.problems.map((p) => ({ path: p.path, message: p.message })),
    });
  }
  return n.value.value;
}

/**
 * Stores validated rows for one scope in one transaction with one `list.add` audit row (the
 * given details plus the count). Memory is not touched: a serving process applies the records to
 * its registry afterwards (the list service does); offline importers need not.
 * @example const records = await writeListRows(db, { scope: '*', rows, actor: 'cli', now: Date.now(), audit: { source: 'tor.txt' } });
 */
export async function writeListRows(
  db: Db,
  w: {
    readonly scope: string;
    readonly rows: readonly ValidListRow[];
    readonly actor: string;
    readonly now: number;
    readonly audit?: Readonly<Record<string, unknown>>;
    /** More work in the same transaction, after the rows are stored (sharing them). */
    readonly inTx?: (tx: Db, records: readonly ListRecord[]) => Promise<void>;
  },
): Promise<readonly ListRecord[]> {
  const records: ListRecord[] = w.rows.map((r) => ({
    id: ulid(w.now),
    scope: w.scope,
    ...r,
    createdAt: w.now,
    createdBy: w.actor,
  }));
  const head = records[0];
  if (head === undefined) return records;
  await db.transaction(async (tx) => {
    await createListStore(tx).upsertMany(records);
    await createAuditStore(tx).append(
      {
        actor: w.actor,
        action: 'list.add',
        appId: w.scope === GLOBAL_LIST_SCOPE ? null : w.scope,
        target: head.kind,
        details: { ...w.audit, count: records.length },
      },
      w.now,
    );
    await w.inTx?.(tx, records);
  });
  return records;
}

/**
 * Creates the list service. Writes run one at a time, so memory applies them in commit order.
 * @example
 * const lists = createListService({ db, clock, apps, registry: createListRegistry() });
 * await lists.load();
 * await lists.add(appId, 'ip', [{ value: '10.0.0.0/8', label: 'office' }], 'key:01J...');
 */
export function createListService(deps: {
  readonly db: Db;
  readonly clock: Clock;
  readonly registry: ListRegistry;
  readonly apps: Pick<AppService, 'get'>;
  /** Shared intelligence: entries posted with `shared: true` are shared, and withdrawn on removal. */
  readonly intel?: Pick<IntelService, 'shareInTx' | 'applyCommitted' | 'withdraw' | 'settings'>;
}): ListService {
  const { db, clock, registry, intel } = deps;
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = chain.then(fn, fn);
    chain = run.catch(() => undefined);
    return run;
  };

  const assertScope = async (scope: string): Promise<void> => {
    if (scope !== GLOBAL_LIST_SCOPE) await deps.apps.get(scope);
  };

  const store = async (
    scope: string,
    rows: readonly ValidListRow[],
    actor: string,
    details: Readonly<Record<string, unknown>>,
    now: number,
    share: readonly (ValidListRow & { readonly kind: IntelKind })[] = [],
  ): Promise<{ readonly records: readonly ListRecord[]; readonly notScored: number }> => {
    let marks: Awaited<ReturnType<IntelService['shareInTx']>> = [];
    const records = await writeListRows(db, {
      scope,
      rows,
      actor,
      now,
      audit: share.length > 0 ? { ...details, shared: share.length } : details,
      // shared in the list write's transaction: both or neither
      ...(intel !== undefined && share.length > 0
        ? {
            inTx: async (tx: Db) => {
              marks = [];
              for (const r of share) {
                const m = await intel.shareInTx(
                  tx,
                  scope,
                  [{ kind: r.kind, value: r.value }],
                  { source: 'list', reason: r.label, actor, expiresAt: r.expiresAt },
                  now,
                );
                marks = [...marks, ...m];
              }
            },
          }
        : {}),
    });
    if (marks.length > 0) intel?.applyCommitted(marks);
    return { records, notScored: registry.apply(records, now).notScored };
  };

  /** Why a row asking for `shared: true` cannot be shared, or undefined when it can. */
  const shareProblem = (scope: string, row: ValidListRow, contributes: boolean): string | undefined => {
    if (intel === undefined) return 'shared intelligence is not available on this server';
    if (scope === GLOBAL_LIST_SCOPE) return 'global entries apply to every app already; share from an app';
    if (!isIntelKind(row.kind)) return 'only device, ip, wallet and email entries can be shared';
    if (row.verdict !== 'block') return 'only block entries can be shared';
    const c = canonicalIdentifier(row.kind, row.value);
    if (!c.ok) return c.message;
    if (!contributes)
      return 'this app does not contribute to shared intelligence (PUT /v1/intel/settings {"contribute": true})';
    return undefined;
  };

  return {
    registry,
    load: () =>
      serial(async () => {
        const r = await registry.reload(createListStore(db).scan(), clock.now());
        return { loaded: r.applied, notScored: r.notScored, scopes: registry.sizes().size };
      }),

    add: (scope, kind, rows, actor) =>
      serial(async () => {
        await assertScope(scope);
        const now = clock.now();
        const good: ValidListRow[] = [];
        const share: (ValidListRow & { readonly kind: IntelKind })[] = [];
        const errors: { index: number; details: readonly ErrorDetail[] }[] = [];
        let contributes: boolean | undefined;
        for (const [index, raw] of rows.entries()) {
          const r = validateListRow(kind, raw, now);
          if (!r.ok) {
            errors.push({ index, details: r.details });
            continue;
          }
          if (r.shared) {
            if (contributes === undefined && intel !== undefined && scope !== GLOBAL_LIST_SCOPE)
              contributes = (await intel.settings(scope)).contribute;
            const problem = shareProblem(scope, r.row, contributes ?? false);
            const row = r.row;
            if (problem !== undefined || !isIntelKind(row.kind)) {
              errors.push({ index, details: [{ path: '/shared', message: problem ?? 'cannot be shared' }] });
              continue;
            }
            share.push({ ...row, kind: row.kind });
          }
          good.push(r.row);
        }
        let entries: readonly ListRecord[] = [];
        let notScored = 0;
        const first = good[0];
        if (first !== undefined) {
          const details =
            good.length === 1
              ? { kind, value: first.value, verdict: first.verdict, label: first.label }
              : { kind, values: good.slice(0, 20).map((e) => e.value) };
          ({ records: entries, notScored } = await store(scope, good, actor, details, now, share));
        }
        return { loaded: entries.length, failed: errors.length, entries, errors, notScored };
      }),

    addValid: (scope, rows, actor, audit = {}) =>
      serial(async () => {
        await assertScope(scope);
        if (rows.length === 0) return { stored: 0, notScored: 0 };
        const now = clock.now();
        const { records, notScored } = await store(scope, rows, actor, audit, now);
        return { stored: records.length, notScored };
      }),

    remove: (scope, kind, value, actor) =>
      serial(async () => {
        await assertScope(scope);
        const v = canonical(kind, value);
        const now = clock.now();
        const removed = await db.transaction(async (tx) => {
          const lists = createListStore(tx);
          const existing = await lists.get(scope, kind, v);
          if (existing === undefined) return undefined;
          await lists.remove(scope, kind, v);
          await createAuditStore(tx).append(
            {
              actor,
              action: 'list.remove',
              appId: scope === GLOBAL_LIST_SCOPE ? null : scope,
              target: kind,
              details: { kind, value: v, verdict: existing.verdict, label: existing.label },
            },
            now,
          );
          return existing;
        });
        if (removed === undefined) throw new DomainError('not_found', `'${v}' is not on the ${kind} list`);
        registry.remove(scope, kind, v);
        // an identifier this entry shared is withdrawn; one shared for another reason (a case) stays
        if (intel !== undefined && scope !== GLOBAL_LIST_SCOPE && isIntelKind(kind)) {
          try {
            await intel.withdraw(scope, { kind, value: v }, actor, { onlySource: 'list' });
          } catch (err) {
            if (
              !(err instanceof DomainError) ||
              (err.code !== 'not_found' && err.code !== 'validation_failed')
            )
              throw err;
          }
        }
        return removed;
      }),

    async get(scope, kind, value) {
      await assertScope(scope);
      const v = canonical(kind, value);
      const r = await createListStore(db).get(scope, kind, v);
      if (r === undefined) throw new DomainError('not_found', `'${v}' is not on the ${kind} list`);
      return r;
    },

    lookup: (scope, kind, value) => registry.forApp(scope).lookup(kind, value),

    async page(q) {
      await assertScope(q.scope);
      const limit = Math.min(Math.max(1, q.limit ?? LIST_PAGE.default), LIST_PAGE.max);
      const page = await createListStore(db).page({
        scope: q.scope,
        kind: q.kind,
        verdict: q.verdict,
        label: q.label,
        after: afterOf(q.cursor),
        limit,
      });
      const last = page.items[page.items.length - 1];
      return { items: page.items, nextCursor: page.more && last !== undefined ? cursorOf(last.value) : null };
    },

    async count(scope, kind) {
      return createListStore(db).count(scope, kind);
    },

    prune: () =>
      serial(async () => {
        const now = clock.now();
        const deleted = await createListStore(db).deleteExpired(now);
        registry.prune(now);
        return deleted;
      }),
  };
}
