import { MONEY_EVENT_TYPES } from '@vigil/engine';
import { sql } from 'kysely';
import type { Db } from '../../storage/database.js';
import { parseStoredJson } from '../../storage/json.js';

/** A decided event as the shield's event listing shows it. */
export interface ShieldEventRow {
  readonly seq: number;
  readonly app: string;
  readonly id: string;
  readonly type: string;
  readonly at: number;
  readonly user: string | null;
  readonly risk: number;
  readonly level: string;
  readonly outcome: string;
  /** The normalised event (tier, attrs, ...). */
  readonly event: Readonly<Record<string, unknown>>;
  /** The enforcement the tier matrix asked for. */
  readonly enforcement: { readonly action: string; readonly tier?: string } | null;
}

/** An enforcement row as the shield shows it. */
export interface ShieldEnforcementRow {
  readonly id: string;
  readonly app: string;
  readonly user: string;
  readonly action: string;
  readonly status: string;
  readonly reason: string;
  readonly features: readonly string[];
  readonly startsAt: number;
  readonly endsAt: number | null;
  readonly liftedAt: number | null;
  readonly createdBy: string;
  readonly createdAt: number;
}

/** The oracle's decision totals over money events. */
export interface OracleTotals {
  readonly analyses: number;
  readonly blocked: number;
  readonly flagged: number;
}

/** Queries behind the compatibility read routes. */
export interface CompatStore {
  shieldEvents(q: {
    readonly appId?: string | undefined;
    readonly userId?: string | undefined;
    readonly type?: string | undefined;
    readonly minRisk?: number | undefined;
    readonly beforeSeq?: number | undefined;
    readonly limit: number;
  }): Promise<readonly ShieldEventRow[]>;
  enforcements(q: {
    readonly appId?: string | undefined;
    readonly userId?: string | undefined;
    readonly status?: string | undefined;
    readonly beforeId?: string | undefined;
    readonly limit: number;
  }): Promise<readonly ShieldEnforcementRow[]>;
  shieldStats(
    appId: string | undefined,
    highRisk: number,
    now: number,
  ): Promise<{
    readonly totalEvents: number;
    readonly highRiskEvents: number;
    readonly averageRisk: number;
    readonly byEventType: Readonly<Record<string, number>>;
    readonly byLevel: Readonly<Record<string, number>>;
    readonly enforcements: {
      readonly total: number;
      readonly active: number;
      readonly byAction: Readonly<Record<string, number>>;
    };
  }>;
  oracleTotals(appId: string): Promise<OracleTotals>;
}

function num(x: unknown): number {
  const n = typeof x === 'string' ? Number(x) : typeof x === 'number' ? x : 0;
  return Number.isFinite(n) ? n : 0;
}

function features(text: string): string[] {
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) ? parsed.filter((f): f is string => typeof f === 'string') : [];
  } catch {
    return [];
  }
}

function enforcementOf(decision: unknown): ShieldEventRow['enforcement'] {
  if (typeof decision !== 'object' || decision === null || !('enforcement' in decision)) return null;
  const e = decision.enforcement;
  if (typeof e !== 'object' || e === null || !('action' in e) || typeof e.action !== 'string') return null;
  return 'tier' in e && typeof e.tier === 'string'
    ? { action: e.action, tier: e.tier }
    : { action: e.action };
}

/**
 * The Kysely compatibility store (decisions and events by `(app_id, event_seq)`, enforcements by app).
 * @example const rows = await createCompatStore(db).shieldEvents({ appId, limit: 50 });
 */
export function createCompatStore(db: Db): CompatStore {
  const k = db.kysely;
  return {
    async shieldEvents(q) {
      let query = k
        .selectFrom('decisions as d')
        .innerJoin('events as e', 'e.seq', 'd.event_seq')
        .select([
          'd.event_seq as seq',
          'd.app_id as app',
          'd.event_id as id',
          'd.type as type',
          'd.at as at',
          'd.user_id as user',
          'd.risk as risk',
          'd.level as level',
          'd.outcome as outcome',
          'd.payload as decision',
          'e.payload as event',
        ]);
      // by user: through the events (app_id, user_id, seq) index (decisions have no user index)
      const byUser = q.userId !== undefined;
      const seqCol = byUser ? 'e.seq' : 'd.event_seq';
      if (q.appId !== undefined) query = query.where(byUser ? 'e.app_id' : 'd.app_id', '=', q.appId);
      if (q.userId !== undefined) query = query.where('e.user_id', '=', q.userId);
      if (q.type !== undefined) query = query.where('d.type', '=', q.type);
      if (q.minRisk !== undefined) query = query.where('d.risk', '>=', q.minRisk);
      if (q.beforeSeq !== undefined) query = query.where(seqCol, '<', q.beforeSeq);
      const rows = await query.orderBy(seqCol, 'desc').limit(q.limit).execute();
      return rows.map((r) => ({
        seq: num(r.seq),
        app: r.app,
        id: r.id,
        type: r.type,
        at: num(r.at),
        user: r.user,
        risk: num(r.risk),
        level: r.level,
        outcome: r.outcome,
        event: parseStoredJson<Record<string, unknown>>(r.event),
        enforcement: enforcementOf(parseStoredJson<unknown>(r.decision)),
      }));
    },

    async enforcements(q) {
      let query = k.selectFrom('enforcements').selectAll();
      if (q.appId !== undefined) query = query.where('app_id', '=', q.appId);
      if (q.userId !== undefined) query = query.where('user_id', '=', q.userId);
      if (q.status !== undefined) query = query.where('status', '=', q.status);
      if (q.beforeId !== undefined) query = query.where('id', '<', q.beforeId);
      const rows = await query.orderBy('id', 'desc').limit(q.limit).execute();
      return rows.map((r) => ({
        id: r.id,
        app: r.app_id,
        user: r.user_id,
        action: r.action,
        status: r.status,
        reason: r.reason,
        features: features(r.features),
        startsAt: num(r.starts_at),
        endsAt: r.ends_at === null ? null : num(r.ends_at),
        liftedAt: r.lifted_at === null ? null : num(r.lifted_at),
        createdBy: r.created_by,
        createdAt: num(r.created_at),
      }));
    },

    async shieldStats(appId, highRisk, now) {
      const scope = appId === undefined ? sql`1 = 1` : sql`app_id = ${appId}`;
      const totals = (
        await sql<{ n: unknown; high: unknown; avg: unknown }>`SELECT count(*) AS n,
            sum(CASE WHEN risk >= ${highRisk} THEN 1 ELSE 0 END) AS high, avg(risk) AS avg
          FROM decisions WHERE ${scope}`.execute(k)
      ).rows[0];
      const byType = await sql<{ key: string; n: unknown }>`SELECT type AS key, count(*) AS n
          FROM decisions WHERE ${scope} GROUP BY type`.execute(k);
      const byLevel = await sql<{ key: string; n: unknown }>`SELECT level AS key, count(*) AS n
          FROM decisions WHERE ${scope} GROUP BY level`.execute(k);
      const enf = await sql<{ action: string; n: unknown; active: unknown }>`SELECT action, count(*) AS n,
            sum(CASE WHEN status = 'active' AND lifted_at IS NULL AND starts_at <= ${now}
                       AND (ends_at IS NULL OR ends_at > ${now}) THEN 1 ELSE 0 END) AS active
          FROM enforcements WHERE ${scope} GROUP BY action`.execute(k);
      const toMap = (rows: readonly { key: string; n: unknown }[]) =>
        Object.fromEntries(rows.map((r) => [r.key, num(r.n)]));
      return {
        totalEvents: num(totals?.n),
        highRiskEvents: num(totals?.high),
        averageRisk: num(totals?.avg),
        byEventType: toMap(byType.rows),
        byLevel: toMap(byLevel.rows),
        enforcements: {
          total: enf.rows.reduce((s, r) => s + num(r.n), 0),
          active: enf.rows.reduce((s, r) => s + num(r.active), 0),
          byAction: Object.fromEntries(enf.rows.map((r) => [r.action, num(r.n)])),
        },
      };
    },

    async oracleTotals(appId) {
      const types = sql.join(MONEY_EVENT_TYPES.map((t) => sql.lit(t)));
      const r = (
        await sql<{ n: unknown; blocked: unknown; flagged: unknown }>`SELECT count(*) AS n,
            sum(CASE WHEN outcome = 'block' THEN 1 ELSE 0 END) AS blocked,
            sum(CASE WHEN level IN ('MEDIUM', 'HIGH', 'CRITICAL') THEN 1 ELSE 0 END) AS flagged
          FROM decisions WHERE app_id = ${appId} AND type IN (${types})`.execute(k)
      ).rows[0];
      return { analyses: num(r?.n), blocked: num(r?.blocked), flagged: num(r?.flagged) };
    },
  };
}
