import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../../storage/database.js';
import { canonicalJson, parseStoredJson } from '../../storage/json.js';
import { isUniqueViolation } from '../../storage/sql-errors.js';
import { ulid } from '../../storage/ulid.js';

/** The previous hash of the first row. */
export const AUDIT_GENESIS_HASH = '0'.repeat(64);

/** What happened, who did it, to what. */
export interface AuditEntry {
  /** Who: `key:<id>`, `cli`, `system`. */
  readonly actor: string;
  /** What, as `noun.verb`: `app.create`, `key.revoke`. */
  readonly action: string;
  readonly appId?: string | null;
  /** The id of the thing acted on. */
  readonly target?: string | null;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** A stored audit row: hash = sha256(prevHash + canonical row). */
export interface AuditRecord {
  readonly seq: number;
  readonly id: string;
  readonly at: number;
  readonly actor: string;
  readonly action: string;
  readonly appId: string | null;
  readonly target: string | null;
  readonly details: Readonly<Record<string, unknown>>;
  readonly prevHash: string;
  readonly hash: string;
}

/** Append-only audit log. */
export interface AuditStore {
  /** Appends one entry at the end of the chain (serialised across writers). */
  append(entry: AuditEntry, at: number): Promise<AuditRecord>;
  /** Newest first; `beforeSeq` pages back. */
  list(filter?: {
    readonly appId?: string;
    readonly beforeSeq?: number;
    readonly limit?: number;
  }): Promise<readonly AuditRecord[]>;
}

/** Result of {@link verifyAuditChain}. */
export type AuditVerification =
  | { readonly ok: true; readonly rows: number; readonly lastHash: string }
  | { readonly ok: false; readonly rows: number; readonly brokenAtSeq: number; readonly reason: string };

/** The hash of a row given its predecessor's hash. @example auditHash(AUDIT_GENESIS_HASH, row) */
export function auditHash(
  prevHash: string,
  row: {
    readonly id: string;
    readonly at: number;
    readonly actor: string;
    readonly action: string;
    readonly appId: string | null;
    readonly target: string | null;
    readonly details: string;
  },
): string {
  const canonical = canonicalJson([
    row.id,
    row.at,
    row.actor,
    row.action,
    row.appId,
    row.target,
    row.details,
  ]);
  return createHash('sha256').update(prevHash).update(canonical).digest('hex');
}

const AUDIT_LOCK_KEY = 7_446_201;
const MAX_ATTEMPTS = 8;

function isBusy(err: unknown): boolean {
  if (typeof err !== 'object' || err === null || !('code' in err)) return false;
  return typeof err.code === 'string' && err.code.startsWith('SQLITE_BUSY');
}

/**
 * The Kysely audit store. On PostgreSQL a transaction-scoped advisory lock serialises writers; on
 * both dialects the unique `prev_hash` makes a forked chain impossible, and a loser retries.
 * @example await createAuditStore(db).append({ actor: 'cli', action: 'app.create', target: app.id }, Date.now());
 */
export function createAuditStore(db: Db): AuditStore {
  const appendOnce = (entry: AuditEntry, at: number): Promise<AuditRecord> =>
    db.transaction(async (tx) => {
      if (tx.dialect === 'postgres')
        await sql`SELECT pg_advisory_xact_lock(${AUDIT_LOCK_KEY})`.execute(tx.kysely);
      const last = await tx.kysely
        .selectFrom('audit_log')
        .select(['hash'])
        .orderBy('seq', 'desc')
        .limit(1)
        .executeTakeFirst();
      const prevHash = last?.hash ?? AUDIT_GENESIS_HASH;
      const row = {
        id: ulid(at),
        at,
        actor: entry.actor,
        action: entry.action,
        appId: entry.appId ?? null,
        target: entry.target ?? null,
        details: canonicalJson(entry.details ?? {}),
      };
      const hash = auditHash(prevHash, row);
      const inserted = await tx.kysely
        .insertInto('audit_log')
        .values({
          id: row.id,
          at: row.at,
          actor: row.actor,
          action: row.action,
          app_id: row.appId,
          target: row.target,
          details: row.details,
          prev_hash: prevHash,
          hash,
        })
        .returning(['seq'])
        .executeTakeFirstOrThrow();
      return { ...row, seq: Number(inserted.seq), details: entry.details ?? {}, prevHash, hash };
    });

  return {
    async append(entry, at) {
      for (let attempt = 1; ; attempt++) {
        try {
          return await appendOnce(entry, at);
        } catch (err) {
          // another process extended the chain first: read the new tail and try again
          if (db.inTransaction || attempt >= MAX_ATTEMPTS || !(isUniqueViolation(err) || isBusy(err)))
            throw err;
        }
      }
    },
    async list(filter = {}) {
      let q = db.kysely.selectFrom('audit_log').selectAll();
      if (filter.appId !== undefined) q = q.where('app_id', '=', filter.appId);
      if (filter.beforeSeq !== undefined) q = q.where('seq', '<', filter.beforeSeq);
      const rows = await q
        .orderBy('seq', 'desc')
        .limit(Math.min(1000, Math.max(1, filter.limit ?? 100)))
        .execute();
      return rows.map((r) => ({
        seq: Number(r.seq),
        id: r.id,
        at: r.at,
        actor: r.actor,
        action: r.action,
        appId: r.app_id,
        target: r.target,
        details: parseStoredJson<Record<string, unknown>>(r.details),
        prevHash: r.prev_hash,
        hash: r.hash,
      }));
    },
  };
}

/**
 * Walks the whole audit log in order and recomputes every hash: a changed, deleted or inserted row
 * breaks the chain at that row.
 * @example const v = await verifyAuditChain(db); if (!v.ok) console.error(v.brokenAtSeq, v.reason);
 */
export async function verifyAuditChain(db: Db, pageSize = 5000): Promise<AuditVerification> {
  let prevHash = AUDIT_GENESIS_HASH;
  let afterSeq = 0;
  let rows = 0;
  for (;;) {
    const page = await db.kysely
      .selectFrom('audit_log')
      .selectAll()
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(pageSize)
      .execute();
    for (const r of page) {
      const seq = Number(r.seq);
      if (r.prev_hash !== prevHash) {
        return { ok: false, rows, brokenAtSeq: seq, reason: 'prev_hash does not match the previous row' };
      }
      const expected = auditHash(prevHash, {
        id: r.id,
        at: r.at,
        actor: r.actor,
        action: r.action,
        appId: r.app_id,
        target: r.target,
        details: r.details,
      });
      if (expected !== r.hash)
        return { ok: false, rows, brokenAtSeq: seq, reason: 'row content does not match its hash' };
      prevHash = r.hash;
      afterSeq = seq;
      rows++;
    }
    if (page.length < pageSize) return { ok: true, rows, lastHash: prevHash };
  }
}
