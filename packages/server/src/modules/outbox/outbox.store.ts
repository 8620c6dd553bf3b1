import { sql, type Selectable } from 'kysely';
import type { Db } from '../../storage/database.js';
import { chunks, rowsPerInsert } from '../../storage/json.js';
import type { OutboxTable } from '../../storage/schema.js';
import { ulid } from '../../storage/ulid.js';

/** Where an outbox message is: waiting (or being worked on), done, or given up on. */
export const OUTBOX_STATUSES = ['pending', 'delivered', 'dead'] as const;
export type OutboxStatus = (typeof OUTBOX_STATUSES)[number];

/** A side effect waiting to happen (or that happened), as stored. */
export interface OutboxMessage {
  readonly id: string;
  readonly app: string;
  /** Which handler runs it (e.g. `webhook`). */
  readonly kind: string;
  /** The handler's input, parsed from its stored JSON. */
  readonly payload: unknown;
  readonly createdAt: number;
  /** Not claimed before this time (retry backoff, or the lease of the dispatcher working on it). */
  readonly availableAt: number;
  /** Claims so far (each claim is one attempt). */
  readonly attempts: number;
  readonly status: OutboxStatus;
  readonly deliveredAt: number | null;
  readonly deadAt: number | null;
  readonly lastError: string | null;
}

/** A message a dispatcher holds: `token` proves the lease when the result is recorded. */
export interface ClaimedOutboxMessage extends OutboxMessage {
  readonly token: string;
}

/** A message to enqueue. */
export interface NewOutboxMessage {
  /** Default: a new ULID. */
  readonly id?: string;
  readonly app: string;
  readonly kind: string;
  /** Anything JSON can carry. */
  readonly payload: unknown;
  /** Default: the enqueue time (due at once). */
  readonly availableAt?: number;
}

/** What {@link OutboxStore.claim} takes. */
export interface ClaimRequest {
  readonly now: number;
  /** Most messages to claim. */
  readonly limit: number;
  /** How long the claim holds: after it, a message nobody settled is due again. */
  readonly leaseMs: number;
  /** Only messages of these kinds (the ones this process has handlers for). */
  readonly kinds: readonly string[];
}

/** Counts of messages per status. */
export type OutboxCounts = Readonly<Record<OutboxStatus, number>>;

/** The outbox table. One code path for SQLite and PostgreSQL. */
export interface OutboxStore {
  /** Inserts messages (pending) and returns their ids, in order. Use the decision's transaction. */
  enqueue(rows: readonly NewOutboxMessage[], now: number): Promise<readonly string[]>;
  /**
   * Atomically takes up to `limit` due pending messages, oldest due first: each gets a new lease
   * (`available_at = now + leaseMs`), one more attempt and the claim's token. PostgreSQL skips
   * rows another process holds locked (`FOR UPDATE SKIP LOCKED`), so dispatchers share the table.
   */
  claim(req: ClaimRequest): Promise<readonly ClaimedOutboxMessage[]>;
  /** Marks a claimed message delivered; false when the lease was lost (someone else owns it now). */
  markDelivered(id: string, token: string, now: number): Promise<boolean>;
  /** Schedules another attempt at `availableAt`; false when the lease was lost. */
  markRetry(id: string, token: string, availableAt: number, error: string): Promise<boolean>;
  /** Gives up on a message (dead letter); false when the lease was lost. */
  markDead(id: string, token: string, now: number, error: string): Promise<boolean>;
  /** Hands a claimed message back untried (shutdown): due at `now`, the attempt not counted. */
  release(id: string, token: string, now: number): Promise<boolean>;
  get(id: string): Promise<OutboxMessage | undefined>;
  /** The earliest `available_at` among pending messages of these kinds. */
  nextDueAt(kinds: readonly string[]): Promise<number | undefined>;
  counts(): Promise<OutboxCounts>;
  /** Deletes delivered and dead messages finished before `before`; returns how many. */
  purge(before: number): Promise<number>;
}

function isOutboxStatus(s: string): s is OutboxStatus {
  return (OUTBOX_STATUSES as readonly string[]).includes(s);
}

function toMessage(r: Selectable<OutboxTable>): OutboxMessage {
  const payload: unknown = JSON.parse(r.payload);
  return {
    id: r.id,
    app: r.app_id,
    kind: r.topic,
    payload,
    createdAt: r.created_at,
    availableAt: r.available_at,
    attempts: r.attempts,
    status: isOutboxStatus(r.status) ? r.status : 'pending',
    deliveredAt: r.delivered_at,
    deadAt: r.dead_at,
    lastError: r.last_error,
  };
}

/** Longest stored error text. */
const MAX_ERROR = 1000;

function clip(s: string): string {
  return s.length > MAX_ERROR ? `${s.slice(0, MAX_ERROR - 1)}…` : s;
}

/**
 * The outbox store over a {@link Db} (a transaction or not): `createOutboxStore(tx).enqueue(...)`
 * inside the transaction that makes the decision keeps both atomic.
 * @example
 * await db.transaction(async (tx) => { await createOutboxStore(tx).enqueue([{ app, kind: 'webhook', payload }], now); });
 */
export function createOutboxStore(db: Db): OutboxStore {
  const k = db.kysely;
  const settled = (n: bigint | undefined) => (n ?? 0n) > 0n;
  return {
    async enqueue(rows, now) {
      const values = rows.map((r) => ({
        id: r.id ?? ulid(now),
        app_id: r.app,
        topic: r.kind,
        payload: JSON.stringify(r.payload ?? null),
        created_at: now,
        available_at: r.availableAt ?? now,
        attempts: 0,
        delivered_at: null,
        last_error: null,
        status: 'pending',
        claim_token: null,
        dead_at: null,
      }));
      for (const part of chunks(values, rowsPerInsert(12))) {
        await k.insertInto('outbox').values(part).execute();
      }
      return values.map((v) => v.id);
    },

    async claim(req) {
      if (req.kinds.length === 0 || req.limit <= 0) return [];
      const token = ulid(req.now);
      let due = k
        .selectFrom('outbox')
        .select('id')
        .where('status', '=', 'pending')
        .where('available_at', '<=', req.now)
        .where('topic', 'in', [...req.kinds])
        .orderBy('available_at')
        .orderBy('id')
        .limit(req.limit);
      if (db.dialect === 'postgres') due = due.forUpdate().skipLocked();
      // one statement: the selection and the lease are atomic on both dialects
      const rows = await k
        .updateTable('outbox')
        .set({
          available_at: req.now + req.leaseMs,
          attempts: sql<number>`attempts + 1`,
          claim_token: token,
        })
        .where('id', 'in', due)
        .returningAll()
        .execute();
      return rows
        .map((r) => ({ ...toMessage(r), token }))
        .sort((a, b) => a.availableAt - b.availableAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    },

    async markDelivered(id, token, now) {
      const r = await k
        .updateTable('outbox')
        .set({ status: 'delivered', delivered_at: now, claim_token: null, last_error: null })
        .where('id', '=', id)
        .where('claim_token', '=', token)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      return settled(r.numUpdatedRows);
    },

    async markRetry(id, token, availableAt, error) {
      const r = await k
        .updateTable('outbox')
        .set({ available_at: availableAt, claim_token: null, last_error: clip(error) })
        .where('id', '=', id)
        .where('claim_token', '=', token)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      return settled(r.numUpdatedRows);
    },

    async markDead(id, token, now, error) {
      const r = await k
        .updateTable('outbox')
        .set({ status: 'dead', dead_at: now, claim_token: null, last_error: clip(error) })
        .where('id', '=', id)
        .where('claim_token', '=', token)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      return settled(r.numUpdatedRows);
    },

    async release(id, token, now) {
      const r = await k
        .updateTable('outbox')
        .set({ available_at: now, claim_token: null, attempts: sql<number>`attempts - 1` })
        .where('id', '=', id)
        .where('claim_token', '=', token)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      return settled(r.numUpdatedRows);
    },

    async get(id) {
      const r = await k.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirst();
      return r === undefined ? undefined : toMessage(r);
    },

    async nextDueAt(kinds) {
      if (kinds.length === 0) return undefined;
      const r = await k
        .selectFrom('outbox')
        .select((eb) => eb.fn.min('available_at').as('next'))
        .where('status', '=', 'pending')
        .where('topic', 'in', [...kinds])
        .executeTakeFirst();
      const next = r?.next;
      return next === null || next === undefined ? undefined : Number(next);
    },

    async counts() {
      const rows = await k
        .selectFrom('outbox')
        .select((eb) => ['status', eb.fn.countAll<number>().as('n')])
        .groupBy('status')
        .execute();
      const out: Record<OutboxStatus, number> = { pending: 0, delivered: 0, dead: 0 };
      for (const r of rows) if (isOutboxStatus(r.status)) out[r.status] = Number(r.n);
      return out;
    },

    async purge(before) {
      const r = await k
        .deleteFrom('outbox')
        .where((eb) =>
          eb.or([
            eb.and([eb('status', '=', 'delivered'), eb('delivered_at', '<', before)]),
            eb.and([eb('status', '=', 'dead'), eb('dead_at', '<', before)]),
          ]),
        )
        .executeTakeFirst();
      return Number(r.numDeletedRows ?? 0n);
    },
  };
}
