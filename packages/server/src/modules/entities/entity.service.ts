import { MONEY_EVENT_TYPES, normalizeListValue, type ListHit, type ListKind } from '@vigil/engine';
import { sql } from 'kysely';
import { DomainError } from '../../errors.js';
import type { Db } from '../../storage/database.js';
import { field } from './event-fields.js';

/** The oracle's wallet profile, from the event log, the decisions and the lists. */
export interface WalletProfile {
  readonly address: string;
  /** Score 0..100 of the newest decision about an event of this wallet. */
  readonly riskScore: number;
  readonly riskLevel: string;
  /** Highest score 0..100 of any of its decisions. */
  readonly peakRiskScore: number;
  readonly isBlacklisted: boolean;
  readonly isWhitelisted: boolean;
  /** Money events (payment, transfer, withdrawal) sent by the wallet. */
  readonly transactionCount: number;
  readonly totalVolume: number;
  readonly avgAmount: number;
  /** Every event naming the wallet as the acting wallet. */
  readonly eventCount: number;
  readonly firstSeen: number | null;
  readonly lastSeen: number | null;
}

/** One user seen on a device. */
export interface DeviceUser {
  readonly user: string;
  readonly events: number;
  readonly firstSeen: number;
  readonly lastSeen: number;
}

/** What Vigil knows about a device. */
export interface DeviceProfile {
  readonly device: string;
  /** Users seen on it, most recent first (at most {@link MAX_DEVICE_USERS}). */
  readonly users: readonly DeviceUser[];
  readonly userCount: number;
  readonly eventCount: number;
  readonly firstSeen: number;
  readonly lastSeen: number;
  /** Risk 0..1 and level of the newest decision about an event on it. */
  readonly risk: number;
  readonly level: string;
  readonly peakRisk: number;
  readonly isBlocked: boolean;
  readonly isAllowed: boolean;
}

/** Most users listed on a device profile. @example MAX_DEVICE_USERS; // 100 */
export const MAX_DEVICE_USERS = 100;

/** Profiles of entities other than users. */
export interface EntityService {
  /** Throws `validation_failed` (malformed address), `not_found` (never seen and not listed). */
  wallet(appId: string, address: string): Promise<WalletProfile>;
  /** Throws `not_found` (never seen). */
  device(appId: string, id: string): Promise<DeviceProfile>;
  /** Distinct wallets in an app's event log. */
  walletCount(appId: string): Promise<number>;
}

const MONEY_TYPES = sql.join(MONEY_EVENT_TYPES.map((t) => sql.lit(t)));

function num(x: unknown): number {
  const n = typeof x === 'string' ? Number(x) : typeof x === 'number' ? x : 0;
  return Number.isFinite(n) ? n : 0;
}

function canonical(kind: ListKind, value: string, path: string): string {
  const n = normalizeListValue(kind, value);
  if (!n.ok) {
    throw new DomainError('validation_failed', `invalid ${kind}`, {
      details: n.problems.map((p) => ({ path, message: p.message })),
    });
  }
  return n.value.value;
}

/**
 * Creates the entity service: SQL aggregates over the event log and decisions (served by the
 * partial indexes on the `events.wallet` / `events.device` columns) plus the list registry.
 * @example const p = await createEntityService({ db, lists }).wallet(appId, '0xabc...');
 */
export function createEntityService(deps: {
  readonly db: Db;
  readonly lists: { lookup(scope: string, kind: ListKind, value: string): ListHit | undefined };
}): EntityService {
  const { db } = deps;
  const d = db.dialect;
  return {
    async wallet(appId, address) {
      const wallet = canonical('wallet', address, '/address');
      const w = field(d, 'wallet', 'e');
      const amount = field(d, 'amount', 'e');
      const agg = await sql<{
        events: unknown;
        tx: unknown;
        volume: unknown;
        peak: unknown;
        first: unknown;
        last: unknown;
      }>`SELECT count(*) AS events,
            sum(CASE WHEN e.type IN (${MONEY_TYPES}) THEN 1 ELSE 0 END) AS tx,
            sum(CASE WHEN e.type IN (${MONEY_TYPES}) THEN coalesce(${amount}, 0) ELSE 0 END) AS volume,
            max(dd.score) AS peak, min(e.at) AS first, max(e.at) AS last
          FROM events e LEFT JOIN decisions dd ON dd.event_seq = e.seq
          WHERE e.app_id = ${appId} AND ${w} = ${wallet}`.execute(db.kysely);
      const a = agg.rows[0];
      const events = num(a?.events);
      const hit = deps.lists.lookup(appId, 'wallet', wallet);
      if (events === 0 && hit === undefined)
        throw new DomainError('not_found', `no wallet '${wallet}' in this app`);
      const latest =
        events === 0
          ? undefined
          : (
              await sql<{ score: unknown; level: string }>`SELECT dd.score AS score, dd.level AS level
                FROM events e JOIN decisions dd ON dd.event_seq = e.seq
                WHERE e.app_id = ${appId} AND ${w} = ${wallet}
                ORDER BY e.at DESC, e.seq DESC LIMIT 1`.execute(db.kysely)
            ).rows[0];
      const tx = num(a?.tx);
      const volume = num(a?.volume);
      return {
        address: wallet,
        riskScore: num(latest?.score),
        riskLevel: latest?.level ?? 'SAFE',
        peakRiskScore: num(a?.peak),
        isBlacklisted: hit?.verdict === 'block',
        isWhitelisted: hit?.verdict === 'allow',
        transactionCount: tx,
        totalVolume: volume,
        avgAmount: tx === 0 ? 0 : volume / tx,
        eventCount: events,
        firstSeen: events === 0 ? null : num(a?.first),
        lastSeen: events === 0 ? null : num(a?.last),
      };
    },

    async device(appId, id) {
      const dev = field(d, 'device', 'e');
      const agg = await sql<{
        events: unknown;
        users: unknown;
        peak: unknown;
        first: unknown;
        last: unknown;
      }>`SELECT count(*) AS events, count(DISTINCT e.user_id) AS users, max(dd.risk) AS peak,
            min(e.at) AS first, max(e.at) AS last
          FROM events e LEFT JOIN decisions dd ON dd.event_seq = e.seq
          WHERE e.app_id = ${appId} AND ${dev} = ${id}`.execute(db.kysely);
      const a = agg.rows[0];
      const events = num(a?.events);
      if (events === 0) throw new DomainError('not_found', `no device '${id}' in this app`);
      const users = await sql<{ user_id: string; n: unknown; first: unknown; last: unknown }>`
          SELECT e.user_id AS user_id, count(*) AS n, min(e.at) AS first, max(e.at) AS last
          FROM events e
          WHERE e.app_id = ${appId} AND ${dev} = ${id} AND e.user_id IS NOT NULL
          GROUP BY e.user_id ORDER BY max(e.at) DESC, e.user_id LIMIT ${MAX_DEVICE_USERS}`.execute(db.kysely);
      const latest = (
        await sql<{ risk: unknown; level: string }>`SELECT dd.risk AS risk, dd.level AS level
          FROM events e JOIN decisions dd ON dd.event_seq = e.seq
          WHERE e.app_id = ${appId} AND ${dev} = ${id}
          ORDER BY e.at DESC, e.seq DESC LIMIT 1`.execute(db.kysely)
      ).rows[0];
      const hit = deps.lists.lookup(appId, 'device', id);
      return {
        device: id,
        users: users.rows.map((u) => ({
          user: u.user_id,
          events: num(u.n),
          firstSeen: num(u.first),
          lastSeen: num(u.last),
        })),
        userCount: num(a?.users),
        eventCount: events,
        firstSeen: num(a?.first),
        lastSeen: num(a?.last),
        risk: num(latest?.risk),
        level: latest?.level ?? 'SAFE',
        peakRisk: num(a?.peak),
        isBlocked: hit?.verdict === 'block',
        isAllowed: hit?.verdict === 'allow',
      };
    },

    async walletCount(appId) {
      const w = field(d, 'wallet');
      const r = await sql<{ n: unknown }>`SELECT count(DISTINCT ${w}) AS n FROM events
          WHERE app_id = ${appId} AND ${w} IS NOT NULL`.execute(db.kysely);
      return num(r.rows[0]?.n);
    },
  };
}
