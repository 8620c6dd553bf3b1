import { normalizeListValue } from '@vigil/engine';
import type { Clock } from '../../clock.js';
import { DomainError } from '../../errors.js';
import type { Db } from '../../storage/database.js';
import { ulid } from '../../storage/ulid.js';
import { createAuditStore } from '../audit/audit.store.js';
import type { IntelEntry, IntelKind, IntelSettings, IntelSource } from './intel.model.js';
import { createIntelRegistry, type IntelRegistry } from './intel.registry.js';
import { createIntelStore, type IntelMark, type NewIntelEntry } from './intel.store.js';

/** An identifier to share, as the app knows it (it is normalised and hashed before storage). */
export interface IntelItem {
  readonly kind: IntelKind;
  readonly value: string;
}

/** How and why identifiers are shared. */
export interface ShareOptions {
  readonly source: IntelSource;
  readonly reason: string;
  readonly actor: string;
  readonly caseId?: string | null | undefined;
  readonly expiresAt?: number | null | undefined;
}

/** Shared intelligence across the apps of one Vigil. */
export interface IntelService {
  readonly registry: IntelRegistry;
  /** (Re)loads entries and settings from the database into memory. */
  load(): Promise<{ readonly entries: number }>;
  /**
   * Shares identifiers of an app (no-op when the app does not contribute), in the caller's
   * transaction. Returns the marks to {@link IntelService.applyCommitted} once it committed.
   */
  shareInTx(
    tx: Db,
    appId: string,
    items: readonly IntelItem[],
    opts: ShareOptions,
    now: number,
  ): Promise<readonly IntelMark[]>;
  /** Makes committed shares visible to scoring. */
  applyCommitted(marks: readonly IntelMark[]): void;
  /**
   * Shares one identifier now (audit-logged). `validation_failed` for a value that is not one of
   * its kind (IP ranges are not shared); `conflict` when the app does not contribute.
   */
  share(
    appId: string,
    item: IntelItem,
    opts: ShareOptions,
  ): Promise<{ readonly entry: IntelEntry; readonly created: boolean }>;
  /**
   * Withdraws an app's shared identifier. `not_found` when the app has not shared it (or, with
   * `onlySource`, shared it for another reason: a list entry's removal leaves a confirmed-fraud share).
   */
  withdraw(
    appId: string,
    item: IntelItem,
    actor: string,
    opts?: { readonly onlySource?: IntelSource },
  ): Promise<void>;
  list(
    appId: string,
    q: {
      readonly kind?: IntelKind | undefined;
      readonly cursor?: string | undefined;
      readonly limit?: number | undefined;
    },
  ): Promise<{ readonly items: readonly IntelEntry[]; readonly nextCursor: string | null }>;
  settings(appId: string): Promise<IntelSettings>;
  putSettings(appId: string, patch: Partial<IntelSettings>, actor: string): Promise<IntelSettings>;
}

const ID_CURSOR_RE = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/**
 * The canonical form of an identifier (as events carry it), or the problems with it.
 * @example canonicalIdentifier('email', ' A@B.io '); // { ok: true, value: 'a@b.io' }
 */
export function canonicalIdentifier(
  kind: IntelKind,
  raw: string,
): { readonly ok: true; readonly value: string } | { readonly ok: false; readonly message: string } {
  const n = normalizeListValue(kind, raw);
  if (!n.ok) return { ok: false, message: n.problems.map((p) => p.message).join('; ') };
  if (kind === 'ip' && n.value.value.includes('/'))
    return { ok: false, message: 'share single addresses, not ranges' };
  return { ok: true, value: n.value.value };
}

/**
 * Creates the service: reads (or creates) the pepper and loads what is shared.
 * @example const intel = await createIntelService({ db, clock }); createIntelDetector(intel.registry);
 */
export async function createIntelService(
  deps: { readonly db: Db; readonly clock: Clock },
  opts: { readonly pepper?: string } = {},
): Promise<IntelService> {
  const { db, clock } = deps;
  const pepper = opts.pepper ?? (await createIntelStore(db).pepper());
  const registry = createIntelRegistry(pepper);

  const load = async () => {
    const store = createIntelStore(db);
    const marks = await store.marks(clock.now());
    registry.load(marks, await store.allSettings());
    return { entries: marks.length };
  };
  await load();

  const rowsFor = (
    appId: string,
    items: readonly IntelItem[],
    o: ShareOptions,
    now: number,
  ): NewIntelEntry[] => {
    const seen = new Set<string>();
    const rows: NewIntelEntry[] = [];
    for (const it of items) {
      const c = canonicalIdentifier(it.kind, it.value);
      if (!c.ok) continue;
      const hash = registry.hash(it.kind, c.value);
      if (seen.has(`${it.kind}:${hash}`)) continue;
      seen.add(`${it.kind}:${hash}`);
      rows.push({
        id: ulid(now),
        kind: it.kind,
        hash,
        sourceApp: appId,
        source: o.source,
        reason: o.reason,
        caseId: o.caseId ?? null,
        createdBy: o.actor,
        createdAt: now,
        expiresAt: o.expiresAt ?? null,
      });
    }
    return rows;
  };

  const markOf = (r: NewIntelEntry): IntelMark => ({
    kind: r.kind,
    hash: r.hash,
    sourceApp: r.sourceApp,
    source: r.source,
    expiresAt: r.expiresAt,
  });

  return {
    registry,
    load,

    async shareInTx(tx, appId, items, o, now) {
      const store = createIntelStore(tx);
      if (!(await store.settings(appId)).contribute) return [];
      const stored = await store.insert(rowsFor(appId, items, o, now));
      return stored.map(markOf);
    },

    applyCommitted(marks) {
      registry.add(marks);
    },

    async share(appId, item, o) {
      const c = canonicalIdentifier(item.kind, item.value);
      if (!c.ok) {
        throw new DomainError('validation_failed', `invalid ${item.kind}`, {
          details: [{ path: '/value', message: c.message }],
        });
      }
      const now = clock.now();
      const result = await db.transaction(async (tx) => {
        const store = createIntelStore(tx);
        if (!(await store.settings(appId)).contribute) {
          throw new DomainError(
            'conflict',
            'this app does not contribute to shared intelligence (settings.contribute is false)',
          );
        }
        const [row] = rowsFor(appId, [{ kind: item.kind, value: c.value }], o, now);
        if (row === undefined) throw new Error('a valid identifier produced no row');
        const stored = await store.insert([row]);
        if (stored.length > 0) {
          await createAuditStore(tx).append(
            {
              actor: o.actor,
              action: 'intel.share',
              appId,
              target: row.id,
              details: { kind: row.kind, hash: row.hash, source: o.source },
            },
            now,
          );
        }
        const existing = await store.find(appId, row.kind, row.hash);
        return { row, created: stored.length > 0, existing };
      });
      if (result.created) registry.add([markOf(result.row)]);
      const entry: IntelEntry = result.existing ?? {
        id: result.row.id,
        kind: result.row.kind,
        hash: result.row.hash,
        source: result.row.source,
        reason: result.row.reason,
        caseId: result.row.caseId,
        createdAt: result.row.createdAt,
        expiresAt: result.row.expiresAt,
      };
      return { entry, created: result.created };
    },

    async withdraw(appId, item, actor, wo = {}) {
      const c = canonicalIdentifier(item.kind, item.value);
      if (!c.ok) {
        throw new DomainError('validation_failed', `invalid ${item.kind}`, {
          details: [{ path: '/value', message: c.message }],
        });
      }
      const hash = registry.hash(item.kind, c.value);
      const now = clock.now();
      await db.transaction(async (tx) => {
        const store = createIntelStore(tx);
        if (
          wo.onlySource !== undefined &&
          (await store.find(appId, item.kind, hash))?.source !== wo.onlySource
        ) {
          throw new DomainError('not_found', `this app has not shared that ${item.kind} (${wo.onlySource})`);
        }
        if (!(await store.remove(appId, item.kind, hash))) {
          throw new DomainError('not_found', `this app has not shared that ${item.kind}`);
        }
        await createAuditStore(tx).append(
          { actor, action: 'intel.withdraw', appId, target: hash, details: { kind: item.kind } },
          now,
        );
      });
      registry.remove(item.kind, hash, appId);
    },

    async list(appId, q) {
      const limit = Math.min(500, Math.max(1, q.limit ?? 50));
      let beforeId: string | undefined;
      if (q.cursor !== undefined) {
        beforeId = Buffer.from(q.cursor, 'base64url').toString('utf8');
        if (!ID_CURSOR_RE.test(beforeId)) {
          throw new DomainError('validation_failed', 'invalid cursor', {
            details: [{ path: '/cursor', message: 'not a cursor this API returned' }],
          });
        }
      }
      const page = await createIntelStore(db).list(appId, { kind: q.kind, beforeId, limit });
      const last = page.items[page.items.length - 1];
      return {
        items: page.items,
        nextCursor: page.more && last !== undefined ? Buffer.from(last.id).toString('base64url') : null,
      };
    },

    async settings(appId) {
      return createIntelStore(db).settings(appId);
    },

    async putSettings(appId, patch, actor) {
      const now = clock.now();
      const next = await db.transaction(async (tx) => {
        const store = createIntelStore(tx);
        const current = await store.settings(appId);
        const s: IntelSettings = {
          contribute: patch.contribute ?? current.contribute,
          consume: patch.consume ?? current.consume,
        };
        await store.putSettings(appId, s, now);
        await createAuditStore(tx).append(
          { actor, action: 'intel.settings', appId, target: appId, details: { ...s } },
          now,
        );
        return s;
      });
      registry.setSettings(appId, next);
      return next;
    },
  };
}
