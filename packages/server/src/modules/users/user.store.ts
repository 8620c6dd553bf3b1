import type SqliteDatabase from 'better-sqlite3';
import { sql, type Kysely, type Selectable } from 'kysely';
import { rawSqlite, type Db } from '../../storage/database.js';
import { chunks, rowsPerInsert } from '../../storage/json.js';
import type { DB, UsersTable } from '../../storage/schema.js';

/** Statuses of a user profile (enforcement changes them; new users are active). */
export const USER_STATUSES = ['active', 'restricted', 'suspended', 'banned'] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

/** What Vigil knows about one user of one app, derived from the event log. */
export interface UserProfile {
  readonly appId: string;
  readonly userId: string;
  readonly tier: string | null;
  /** Latest behaviour score 0..100 (higher is more trustworthy). */
  readonly behaviorScore: number;
  readonly status: string;
  readonly accessLevel: string;
  /** Highest risk 0..1 of any decision. */
  readonly peakRisk: number;
  readonly lastRisk: number;
  readonly lastScore: number;
  readonly lastLevel: string;
  readonly eventCount: number;
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly updatedAt: number;
}

/** One decided event's effect on its user's profile. */
export interface UserActivity {
  readonly appId: string;
  readonly userId: string;
  readonly tier?: string | undefined;
  readonly at: number;
  readonly risk: number;
  readonly score: number;
  readonly level: string;
  readonly behaviorScore: number;
  readonly accessLevel: string;
}

/** Persistence of user profiles. */
export interface UserStore {
  get(appId: string, userId: string): Promise<UserProfile | undefined>;
  /**
   * Applies decided events to their users' profiles in one upsert per user: counts add up, first/last
   * seen widen, peak risk keeps the maximum, and the latest event (by time) sets the current values.
   */
  recordActivity(items: readonly UserActivity[], now: number): Promise<void>;
}

function toProfile(r: Selectable<UsersTable>): UserProfile {
  return {
    appId: r.app_id,
    userId: r.user_id,
    tier: r.tier,
    behaviorScore: r.behavior_score,
    status: r.status,
    accessLevel: r.access_level,
    peakRisk: r.peak_risk,
    lastRisk: r.last_risk,
    lastScore: r.last_score,
    lastLevel: r.last_level,
    eventCount: r.event_count,
    firstSeen: r.first_seen,
    lastSeen: r.last_seen,
    updatedAt: r.updated_at,
  };
}

type Row = { -readonly [K in keyof UsersTable]: UsersTable[K] };

function aggregate(items: readonly UserActivity[], now: number): Row[] {
  const byKey = new Map<string, Row>();
  for (const a of items) {
    const key = `${a.appId}\u0000${a.userId}`;
    const r = byKey.get(key);
    if (r === undefined) {
      byKey.set(key, {
        app_id: a.appId,
        user_id: a.userId,
        tier: a.tier ?? null,
        behavior_score: a.behaviorScore,
        status: 'active',
        access_level: a.accessLevel,
        peak_risk: a.risk,
        last_risk: a.risk,
        last_score: a.score,
        last_level: a.level,
        event_count: 1,
        first_seen: a.at,
        last_seen: a.at,
        updated_at: now,
      });
      continue;
    }
    r.event_count++;
    if (a.tier !== undefined) r.tier = a.tier;
    if (a.risk > r.peak_risk) r.peak_risk = a.risk;
    if (a.at < r.first_seen) r.first_seen = a.at;
    if (a.at >= r.last_seen) {
      r.last_seen = a.at;
      r.behavior_score = a.behaviorScore;
      r.access_level = a.accessLevel;
      r.last_risk = a.risk;
      r.last_score = a.score;
      r.last_level = a.level;
    }
  }
  return [...byKey.values()];
}

const newer = <T>(col: keyof UsersTable) =>
  sql<T>`CASE WHEN excluded.last_seen >= users.last_seen THEN ${sql.ref(`excluded.${col}`)} ELSE ${sql.ref(`users.${col}`)} END`;

/** The users columns in the order the cached SQLite upsert binds them. */
const USER_COLUMNS = [
  'app_id',
  'user_id',
  'tier',
  'behavior_score',
  'status',
  'access_level',
  'peak_risk',
  'last_risk',
  'last_score',
  'last_level',
  'event_count',
  'first_seen',
  'last_seen',
  'updated_at',
] as const satisfies readonly (keyof UsersTable)[];

function upsert(k: Kysely<DB>, rows: readonly Row[]) {
  return k
    .insertInto('users')
    .values(rows)
    .onConflict((oc) =>
      oc.columns(['app_id', 'user_id']).doUpdateSet({
        tier: sql`COALESCE(excluded.tier, users.tier)`,
        behavior_score: newer<number>('behavior_score'),
        access_level: newer<string>('access_level'),
        last_risk: newer<number>('last_risk'),
        last_score: newer<number>('last_score'),
        last_level: newer<string>('last_level'),
        peak_risk: sql`CASE WHEN excluded.peak_risk > users.peak_risk THEN excluded.peak_risk ELSE users.peak_risk END`,
        event_count: sql`users.event_count + excluded.event_count`,
        first_seen: sql`CASE WHEN excluded.first_seen < users.first_seen THEN excluded.first_seen ELSE users.first_seen END`,
        last_seen: sql`CASE WHEN excluded.last_seen > users.last_seen THEN excluded.last_seen ELSE users.last_seen END`,
        updated_at: sql`excluded.updated_at`,
      }),
    );
}

type UserParams = Row[(typeof USER_COLUMNS)[number]][];
const upsertStatements = new WeakMap<SqliteDatabase.Database, SqliteDatabase.Statement<UserParams>>();

let upsertSqlText: string | undefined;

/** The one-row SQLite upsert's SQL (the same Kysely builds), checked to bind the columns in order. */
function upsertSql(k: Kysely<DB>): string {
  if (upsertSqlText === undefined) {
    const probe: Row = {
      app_id: '',
      user_id: '',
      tier: null,
      behavior_score: 0,
      status: '',
      access_level: '',
      peak_risk: 0,
      last_risk: 0,
      last_score: 0,
      last_level: '',
      event_count: 0,
      first_seen: 0,
      last_seen: 0,
      updated_at: 0,
    };
    const compiled = upsert(k, [probe]).compile();
    const columns = `(${USER_COLUMNS.map((c) => `"${c}"`).join(', ')})`;
    if (compiled.parameters.length !== USER_COLUMNS.length || !compiled.sql.includes(columns)) {
      throw new Error(`the users upsert does not bind ${columns} in order: ${compiled.sql}`);
    }
    upsertSqlText = compiled.sql;
  }
  return upsertSqlText;
}

/**
 * The activity upserts as one statement over many rows, for a SQLite transaction run in one piece
 * (see `appendAtomic` in modules/events). Only for SQLite databases.
 * @example const part = userActivityPart(db, activity, now);
 */
export function userActivityPart(
  db: Db,
  items: readonly UserActivity[],
  now: number,
): { readonly sql: string; readonly rows: readonly unknown[][] } {
  return { sql: upsertSql(db.kysely), rows: aggregate(items, now).map((r) => USER_COLUMNS.map((c) => r[c])) };
}

/** The one-row upsert prepared once per SQLite connection. */
function sqliteUpsert(k: Kysely<DB>, sqlite: SqliteDatabase.Database): SqliteDatabase.Statement<UserParams> {
  let st = upsertStatements.get(sqlite);
  if (st === undefined) {
    st = sqlite.prepare<UserParams>(upsertSql(k));
    upsertStatements.set(sqlite, st);
  }
  return st;
}

/**
 * The user store: Kysely, except the activity upsert on SQLite, which runs one cached prepared
 * statement per user (the same SQL; preparing it per batch was the cost).
 * @example await createUserStore(db).get(appId, 'u1');
 */
export function createUserStore(db: Db): UserStore {
  const k = db.kysely;
  const perInsert = rowsPerInsert(14);
  return {
    async get(appId, userId) {
      const r = await k
        .selectFrom('users')
        .selectAll()
        .where('app_id', '=', appId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      return r && toProfile(r);
    },
    async recordActivity(items, now) {
      if (items.length === 0) return;
      const rows = aggregate(items, now);
      if (db.bulk !== undefined) {
        await db.bulk.run([{ sql: upsertSql(k), rows: rows.map((r) => USER_COLUMNS.map((c) => r[c])) }]);
        return;
      }
      const sqlite = rawSqlite(db);
      if (sqlite !== undefined) {
        const st = sqliteUpsert(k, sqlite);
        for (const r of rows) st.run(...USER_COLUMNS.map((c) => r[c]));
        return;
      }
      for (const part of chunks(rows, perInsert)) await upsert(k, part).execute();
    },
  };
}
