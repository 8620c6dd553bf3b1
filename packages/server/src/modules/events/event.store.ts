import type SqliteDatabase from 'better-sqlite3';
import { DomainError } from '../../errors.js';
import { rawSqlite, type Db } from '../../storage/database.js';
import type { BulkPart } from '../../storage/sqlite-writer.js';
import { chunks, rowsPerInsert } from '../../storage/json.js';
import { isUniqueViolation } from '../../storage/sql-errors.js';

/** An event row to append to the log. `payload` is the normalised event as JSON. */
export interface NewEventRow {
  readonly appId: string;
  readonly id: string;
  readonly type: string;
  readonly at: number;
  readonly userId: string | null;
  readonly receivedAt: number;
  readonly payload: string;
  /**
   * The event's wallet and device (indexed columns for the entity profiles). The ingest passes
   * them; when left undefined the store reads them from `payload`.
   */
  readonly wallet?: string | null | undefined;
  readonly device?: string | null | undefined;
}

/** An event row as stored, with its position in the log. */
export interface EventRow extends NewEventRow {
  readonly seq: number;
}

/** One signal of a decision, as indexed for queries. */
export interface SignalRow {
  readonly code: string;
  readonly score: number;
  readonly category: string;
  readonly severity: string;
}

/** A decision row to store next to its event. `payload` is the whole decision as JSON. */
export interface NewDecisionRow {
  readonly eventSeq: number;
  readonly appId: string;
  readonly eventId: string;
  readonly userId: string | null;
  readonly type: string;
  readonly at: number;
  readonly risk: number;
  readonly score: number;
  readonly level: string;
  readonly outcome: string;
  readonly flag: string;
  readonly createdAt: number;
  readonly payload: string;
  readonly signals: readonly SignalRow[];
}

/** A stored decision with the columns queries filter on. */
export type DecisionRow = Omit<NewDecisionRow, 'signals'>;

/** Filters shared by the event and decision listings. Times are epoch ms, `to` exclusive. */
export interface LogFilter {
  /** Undefined only for admin listings across apps. */
  readonly appId?: string | undefined;
  readonly userId?: string | undefined;
  readonly type?: string | undefined;
  readonly level?: string | undefined;
  readonly from?: number | undefined;
  readonly to?: number | undefined;
  /** Opaque cursor from a previous page's `nextCursor`. */
  readonly cursor?: string | undefined;
  /** Page size, 1..1000 (default 50). */
  readonly limit?: number | undefined;
}

/** One page of a listing, newest first; `nextCursor` is null on the last page. */
export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
}

/** The decision columns shown with a listed event. */
export interface DecisionSummary {
  readonly risk: number;
  readonly score: number;
  readonly level: string;
  readonly outcome: string;
  readonly flag: string;
}

/** A listed event: its row and its decision's summary. */
export interface EventListItem extends EventRow {
  readonly decision: DecisionSummary | null;
}

/** Decision counts over a time range. */
export interface DecisionCounts {
  readonly total: number;
  readonly byLevel: Readonly<Record<string, number>>;
  readonly byOutcome: Readonly<Record<string, number>>;
  readonly byFlag: Readonly<Record<string, number>>;
}

/** Persistence of the event log and its decisions. */
export interface EventStore {
  /**
   * Appends the events whose (app, id) is not in the log yet, in order, and returns the seq of
   * each inserted one keyed by {@link eventKey}. Events already there are skipped (idempotency).
   */
  insertNew(rows: readonly NewEventRow[]): Promise<Map<string, number>>;
  /** Stores decisions and their signals. */
  insertDecisions(rows: readonly NewDecisionRow[]): Promise<void>;
  /** The stored decision payloads of the given event ids of one app, keyed by event id. */
  findDecisionPayloads(appId: string, eventIds: readonly string[]): Promise<Map<string, string>>;
  listEvents(filter: LogFilter): Promise<Page<EventListItem>>;
  listDecisions(filter: LogFilter): Promise<Page<DecisionRow>>;
  /** Events with seq > `afterSeq`, oldest first (replay). */
  readAfter(afterSeq: number, limit: number): Promise<readonly EventRow[]>;
  /** The highest seq in the log, 0 when empty. */
  lastSeq(): Promise<number>;
  countDecisions(filter: Pick<LogFilter, 'appId' | 'from' | 'to'>): Promise<DecisionCounts>;
}

/** The key of an event in maps: app and id. @example eventKey('app1', 'e1') */
export function eventKey(appId: string, id: string): string {
  return `${appId}\u0000${id}`;
}

const CURSOR_RE = /^[0-9]{1,16}$/;

/** @example encodeCursor(42) // 'NDI' */
export function encodeCursor(seq: number): string {
  return Buffer.from(String(seq)).toString('base64url');
}

/** Decodes a cursor; throws `bad_request` when it was not made by {@link encodeCursor}. */
export function decodeCursor(cursor: string): number {
  const s = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!CURSOR_RE.test(s)) {
    throw new DomainError('bad_request', 'invalid cursor', {
      details: [{ path: '/cursor', message: 'not a cursor returned by this API' }],
    });
  }
  return Number(s);
}

function pageOf<T extends { readonly seq: number }>(rows: T[], limit: number): Page<T> {
  if (rows.length <= limit) return { items: rows, nextCursor: null };
  const items = rows.slice(0, limit);
  return { items, nextCursor: encodeCursor(items[items.length - 1]!.seq) };
}

function limitOf(filter: LogFilter): number {
  return Math.min(1000, Math.max(1, filter.limit ?? 50));
}

type EventParams = [
  string,
  string,
  string,
  number,
  string | null,
  number,
  string,
  string | null,
  string | null,
];

/** A payload member as an indexed column value: strings only (the event schema types them so). */
function stringField(payload: unknown, name: 'wallet' | 'device'): string | null {
  if (typeof payload !== 'object' || payload === null) return null;
  const v: unknown = Reflect.get(payload, name);
  return typeof v === 'string' ? v : null;
}

/** The wallet and device columns of a row: as given, else from its payload. */
function entityColumns(r: NewEventRow): { wallet: string | null; device: string | null } {
  if (r.wallet !== undefined && r.device !== undefined) return { wallet: r.wallet, device: r.device };
  let payload: unknown;
  try {
    payload = JSON.parse(r.payload);
  } catch {
    payload = null;
  }
  return {
    wallet: r.wallet !== undefined ? r.wallet : stringField(payload, 'wallet'),
    device: r.device !== undefined ? r.device : stringField(payload, 'device'),
  };
}
type DecisionParams = [
  number,
  string,
  string,
  string | null,
  string,
  number,
  number,
  number,
  string,
  string,
  string,
  number,
  string,
];
type SignalParams = [number, number, string, string | null, string, number, string, string, number];

/** The hot write path's statements on one SQLite connection, prepared once. */
interface SqliteStatements {
  readonly insertEvent: SqliteDatabase.Statement<EventParams, { seq: number }>;
  /** A plain INSERT (no RETURNING: the seq is the statement's last rowid). */
  readonly appendEvent: SqliteDatabase.Statement<EventParams>;
  readonly insertDecision: SqliteDatabase.Statement<DecisionParams>;
  readonly insertSignal: SqliteDatabase.Statement<SignalParams>;
  readonly findPayload: SqliteDatabase.Statement<[string, string], { payload: string }>;
  /** The same for a JSON array of ids: one statement (one read transaction) per batch. */
  readonly findPayloads: SqliteDatabase.Statement<[string, string], { id: string; payload: string }>;
}

const INSERT_EVENT_SQL = `INSERT INTO events (app_id, id, type, at, user_id, received_at, payload, wallet, device)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (app_id, id) DO NOTHING RETURNING seq`;
const APPEND_EVENT_SQL = `INSERT INTO events (app_id, id, type, at, user_id, received_at, payload, wallet, device)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const INSERT_DECISION_SQL = `INSERT INTO decisions (event_seq, app_id, event_id, user_id, type, at, risk, score, level, outcome, flag,
         created_at, payload) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
const INSERT_SIGNAL_SQL = `INSERT INTO signals (decision_seq, idx, app_id, user_id, code, score, category, severity, at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`;

function eventParams(r: NewEventRow): EventParams {
  const { wallet, device } = entityColumns(r);
  return [r.appId, r.id, r.type, r.at, r.userId, r.receivedAt, r.payload, wallet, device];
}

function decisionParams(r: NewDecisionRow): DecisionParams {
  return [
    r.eventSeq,
    r.appId,
    r.eventId,
    r.userId,
    r.type,
    r.at,
    r.risk,
    r.score,
    r.level,
    r.outcome,
    r.flag,
    r.createdAt,
    r.payload,
  ];
}

function signalParams(rows: readonly NewDecisionRow[]): SignalParams[] {
  const out: SignalParams[] = [];
  for (const r of rows) {
    for (let idx = 0; idx < r.signals.length; idx++) {
      const sig = r.signals[idx]!;
      out.push([r.eventSeq, idx, r.appId, r.userId, sig.code, sig.score, sig.category, sig.severity, r.at]);
    }
  }
  return out;
}

const sqliteStatementCache = new WeakMap<SqliteDatabase.Database, SqliteStatements>();

function sqliteStatements(sqlite: SqliteDatabase.Database): SqliteStatements {
  let s = sqliteStatementCache.get(sqlite);
  if (s === undefined) {
    s = {
      insertEvent: sqlite.prepare<EventParams, { seq: number }>(INSERT_EVENT_SQL),
      appendEvent: sqlite.prepare<EventParams>(APPEND_EVENT_SQL),
      insertDecision: sqlite.prepare<DecisionParams>(INSERT_DECISION_SQL),
      insertSignal: sqlite.prepare<SignalParams>(INSERT_SIGNAL_SQL),
      findPayload: sqlite.prepare<[string, string], { payload: string }>(
        `SELECT d.payload AS payload FROM events e JOIN decisions d ON d.event_seq = e.seq
         WHERE e.app_id = ? AND e.id = ?`,
      ),
      findPayloads: sqlite.prepare<[string, string], { id: string; payload: string }>(
        // CROSS JOIN keeps the ids as the outer loop (one unique-index probe each)
        `SELECT e.id AS id, d.payload AS payload FROM json_each(?) j
         CROSS JOIN events e ON e.app_id = ? AND e.id = j.value
         CROSS JOIN decisions d ON d.event_seq = e.seq`,
      ),
    };
    sqliteStatementCache.set(sqlite, s);
  }
  return s;
}

/** An event row with its decision, for {@link appendAtomic}. */
export interface EventWithDecision {
  readonly event: NewEventRow;
  readonly decision: Omit<NewDecisionRow, 'eventSeq'>;
}

/**
 * SQLite on the worker thread, outside a transaction: appends events with their decisions and
 * signals, then runs `extra` statements, all in one transaction and one round trip to the thread
 * (the group commit's fast path). Returns the seqs keyed by {@link eventKey}; `conflict` when one
 * of the ids was already stored (nothing is written: take the general path); undefined when the
 * database offers no such path (PostgreSQL, SQLite on the calling thread).
 * @example const seqs = await appendAtomic(db, [{ event, decision }], []);
 */
export async function appendAtomic(
  db: Db,
  rows: readonly EventWithDecision[],
  extra: readonly BulkPart[],
): Promise<Map<string, number> | 'conflict' | undefined> {
  if (db.atomic === undefined || db.inTransaction) return undefined;
  // the seq column carries the event's index in `rows`; the thread binds the seq its insert returned
  const decisions: unknown[][] = rows.map(({ decision }, i) => decisionParams({ ...decision, eventSeq: i }));
  const signals: unknown[][] = signalParams(rows.map(({ decision }, i) => ({ ...decision, eventSeq: i })));
  const r = await db.atomic.run({
    head: { sql: INSERT_EVENT_SQL, rows: rows.map((r) => eventParams(r.event)) },
    parts: [
      { sql: INSERT_DECISION_SQL, rows: decisions, bind: 'seq' },
      { sql: INSERT_SIGNAL_SQL, rows: signals, bind: 'seq' },
      ...extra,
    ],
  });
  if (r === 'conflict') return r;
  const seqs = new Map<string, number>();
  rows.forEach(({ event }, i) => seqs.set(eventKey(event.appId, event.id), Number(r[i]!['seq'])));
  return seqs;
}

/**
 * The event store. On SQLite the hot path (event, decision and signal inserts, duplicate-id
 * lookups) runs cached prepared statements on the connection under Kysely, one row each (SQLite
 * has no round trips, and preparing the SQL is what costs); on PostgreSQL it runs multi-row Kysely
 * INSERTs. Raw statements run only inside this store's transaction or when no transaction is open
 * on the connection, so they never join someone else's transaction.
 * @example const seqs = await createEventStore(db).insertNew([row]);
 */
export function createEventStore(db: Db): EventStore {
  const k = db.kysely;
  const eventsPerInsert = rowsPerInsert(9);
  const decisionsPerInsert = rowsPerInsert(13);
  const signalsPerInsert = rowsPerInsert(9);
  const raw = (): SqliteStatements | undefined => {
    const sqlite = rawSqlite(db);
    return sqlite === undefined ? undefined : sqliteStatements(sqlite);
  };
  return {
    async insertNew(rows) {
      const seqs = new Map<string, number>();
      if (db.bulk !== undefined) {
        const [inserted] = await db.bulk.run([
          { sql: INSERT_EVENT_SQL, rows: rows.map(eventParams), get: true },
        ]);
        rows.forEach((r, i) => {
          const row = inserted?.[i];
          if (row !== null && row !== undefined) seqs.set(eventKey(r.appId, r.id), Number(row['seq']));
        });
        return seqs;
      }
      const st = raw();
      if (st !== undefined) {
        // A plain INSERT and its last rowid cost less than ON CONFLICT DO NOTHING RETURNING. An id
        // already stored fails only its own statement (SQLite rolls back that statement, not the
        // transaction), which is the same as DO NOTHING: the row is skipped.
        for (const r of rows) {
          try {
            const { lastInsertRowid } = st.appendEvent.run(...eventParams(r));
            seqs.set(eventKey(r.appId, r.id), Number(lastInsertRowid));
          } catch (err) {
            if (!isUniqueViolation(err)) throw err;
          }
        }
        return seqs;
      }
      for (const part of chunks(rows, eventsPerInsert)) {
        const inserted = await k
          .insertInto('events')
          .values(
            part.map((r) => ({
              app_id: r.appId,
              id: r.id,
              type: r.type,
              at: r.at,
              user_id: r.userId,
              received_at: r.receivedAt,
              payload: r.payload,
              ...entityColumns(r),
            })),
          )
          .onConflict((oc) => oc.columns(['app_id', 'id']).doNothing())
          .returning(['seq', 'app_id', 'id'])
          .execute();
        for (const r of inserted) seqs.set(eventKey(r.app_id, r.id), Number(r.seq));
      }
      return seqs;
    },

    async insertDecisions(rows) {
      if (db.bulk !== undefined) {
        await db.bulk.run([
          { sql: INSERT_DECISION_SQL, rows: rows.map(decisionParams) },
          { sql: INSERT_SIGNAL_SQL, rows: signalParams(rows) },
        ]);
        return;
      }
      const st = raw();
      if (st !== undefined) {
        for (const r of rows) st.insertDecision.run(...decisionParams(r));
        for (const p of signalParams(rows)) st.insertSignal.run(...p);
        return;
      }
      for (const part of chunks(rows, decisionsPerInsert)) {
        await k
          .insertInto('decisions')
          .values(
            part.map((r) => ({
              event_seq: r.eventSeq,
              app_id: r.appId,
              event_id: r.eventId,
              user_id: r.userId,
              type: r.type,
              at: r.at,
              risk: r.risk,
              score: r.score,
              level: r.level,
              outcome: r.outcome,
              flag: r.flag,
              created_at: r.createdAt,
              payload: r.payload,
            })),
          )
          .execute();
      }
      const signals = rows.flatMap((r) =>
        r.signals.map((s, idx) => ({
          decision_seq: r.eventSeq,
          idx,
          app_id: r.appId,
          user_id: r.userId,
          code: s.code,
          score: s.score,
          category: s.category,
          severity: s.severity,
          at: r.at,
        })),
      );
      for (const part of chunks(signals, signalsPerInsert)) {
        await k.insertInto('signals').values(part).execute();
      }
    },

    async findDecisionPayloads(appId, eventIds) {
      const out = new Map<string, string>();
      const st = db.readSqlite !== undefined && !db.inTransaction ? sqliteStatements(db.readSqlite) : raw();
      if (st !== undefined) {
        if (eventIds.length === 1) {
          const r = st.findPayload.get(appId, eventIds[0]!);
          if (r !== undefined) out.set(eventIds[0]!, r.payload);
          return out;
        }
        for (const r of st.findPayloads.all(JSON.stringify(eventIds), appId)) out.set(r.id, r.payload);
        return out;
      }
      for (const part of chunks(eventIds, 5000)) {
        const rows = await k
          .selectFrom('events as e')
          .innerJoin('decisions as d', 'd.event_seq', 'e.seq')
          .select(['e.id', 'd.payload'])
          .where('e.app_id', '=', appId)
          .where('e.id', 'in', part)
          .execute();
        for (const r of rows) out.set(r.id, r.payload);
      }
      return out;
    },

    async listEvents(filter) {
      const limit = limitOf(filter);
      let q = k
        .selectFrom('events as e')
        .leftJoin('decisions as d', 'd.event_seq', 'e.seq')
        .select([
          'e.seq',
          'e.app_id',
          'e.id',
          'e.type',
          'e.at',
          'e.user_id',
          'e.received_at',
          'e.payload',
          'd.risk',
          'd.score',
          'd.level',
          'd.outcome',
          'd.flag',
        ]);
      if (filter.appId !== undefined) q = q.where('e.app_id', '=', filter.appId);
      if (filter.userId !== undefined) q = q.where('e.user_id', '=', filter.userId);
      if (filter.type !== undefined) q = q.where('e.type', '=', filter.type);
      if (filter.level !== undefined) q = q.where('d.level', '=', filter.level);
      if (filter.from !== undefined) q = q.where('e.at', '>=', filter.from);
      if (filter.to !== undefined) q = q.where('e.at', '<', filter.to);
      if (filter.cursor !== undefined) q = q.where('e.seq', '<', decodeCursor(filter.cursor));
      const rows = await q
        .orderBy('e.seq', 'desc')
        .limit(limit + 1)
        .execute();
      return pageOf(
        rows.map((r) => ({
          seq: Number(r.seq),
          appId: r.app_id,
          id: r.id,
          type: r.type,
          at: r.at,
          userId: r.user_id,
          receivedAt: r.received_at,
          payload: r.payload,
          decision:
            r.risk === null || r.score === null || r.level === null || r.outcome === null || r.flag === null
              ? null
              : { risk: r.risk, score: r.score, level: r.level, outcome: r.outcome, flag: r.flag },
        })),
        limit,
      );
    },

    async listDecisions(filter) {
      const limit = limitOf(filter);
      // decisions carry no user index (one less random B-tree page per decision written): a
      // user's decisions are found through events (app_id, user_id, seq), seq = event_seq
      const byUser = filter.userId !== undefined;
      const seqCol = byUser ? 'e.seq' : 'd.event_seq';
      let q = k.selectFrom('decisions as d').innerJoin('events as e', 'e.seq', 'd.event_seq').selectAll('d');
      if (filter.userId !== undefined) q = q.where('e.user_id', '=', filter.userId);
      if (filter.appId !== undefined) q = q.where(byUser ? 'e.app_id' : 'd.app_id', '=', filter.appId);
      if (filter.type !== undefined) q = q.where('d.type', '=', filter.type);
      if (filter.level !== undefined) q = q.where('d.level', '=', filter.level);
      if (filter.from !== undefined) q = q.where('d.at', '>=', filter.from);
      if (filter.to !== undefined) q = q.where('d.at', '<', filter.to);
      if (filter.cursor !== undefined) q = q.where(seqCol, '<', decodeCursor(filter.cursor));
      const rows = await q
        .orderBy(seqCol, 'desc')
        .limit(limit + 1)
        .execute();
      const page = pageOf(
        rows.map((r) => ({ ...r, seq: Number(r.event_seq) })),
        limit,
      );
      return {
        nextCursor: page.nextCursor,
        items: page.items.map((r) => ({
          eventSeq: r.seq,
          appId: r.app_id,
          eventId: r.event_id,
          userId: r.user_id,
          type: r.type,
          at: r.at,
          risk: r.risk,
          score: r.score,
          level: r.level,
          outcome: r.outcome,
          flag: r.flag,
          createdAt: r.created_at,
          payload: r.payload,
        })),
      };
    },

    async readAfter(afterSeq, limit) {
      const rows = await k
        .selectFrom('events')
        .selectAll()
        .where('seq', '>', afterSeq)
        .orderBy('seq')
        .limit(limit)
        .execute();
      return rows.map((r) => ({
        seq: Number(r.seq),
        appId: r.app_id,
        id: r.id,
        type: r.type,
        at: r.at,
        userId: r.user_id,
        receivedAt: r.received_at,
        payload: r.payload,
      }));
    },

    async lastSeq() {
      const r = await k
        .selectFrom('events')
        .select((eb) => eb.fn.max('seq').as('m'))
        .executeTakeFirst();
      return r?.m == null ? 0 : Number(r.m);
    },

    async countDecisions(filter) {
      let q = k
        .selectFrom('decisions')
        .select(['level', 'outcome', 'flag', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy(['level', 'outcome', 'flag']);
      if (filter.appId !== undefined) q = q.where('app_id', '=', filter.appId);
      if (filter.from !== undefined) q = q.where('at', '>=', filter.from);
      if (filter.to !== undefined) q = q.where('at', '<', filter.to);
      const rows = await q.execute();
      const byLevel: Record<string, number> = {};
      const byOutcome: Record<string, number> = {};
      const byFlag: Record<string, number> = {};
      let total = 0;
      for (const r of rows) {
        const n = Number(r.n);
        total += n;
        byLevel[r.level] = (byLevel[r.level] ?? 0) + n;
        byOutcome[r.outcome] = (byOutcome[r.outcome] ?? 0) + n;
        byFlag[r.flag] = (byFlag[r.flag] ?? 0) + n;
      }
      return { total, byLevel, byOutcome, byFlag };
    },
  };
}
