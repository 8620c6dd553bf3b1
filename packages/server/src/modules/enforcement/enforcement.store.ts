import type { Tier } from '@vigil/engine';
import type { Selectable } from 'kysely';
import { DomainError } from '../../errors.js';
import type { Db } from '../../storage/database.js';
import type { EnforcementsTable } from '../../storage/schema.js';
import { shieldKysely, type EnforcementsShieldColumns } from '../../storage/shield-tables.js';
import {
  effectiveStatus,
  isAppliedAction,
  isEnforcementStatus,
  isTier,
  kindOf,
  type AppliedAction,
  type Enforcement,
  type EnforcementKind,
  type EnforcementSource,
  type EnforcementStatus,
} from './enforcement.model.js';

type Row = Selectable<EnforcementsTable & EnforcementsShieldColumns>;

/** A new enforcement row. */
export interface NewEnforcement {
  readonly id: string;
  readonly appId: string;
  readonly userId: string;
  readonly action: AppliedAction;
  readonly status: 'active' | 'pending_approval';
  readonly tier: Tier | null;
  readonly source: EnforcementSource;
  readonly reason: string;
  readonly features: readonly string[];
  readonly decisionSeq: number | null;
  readonly caseId: string | null;
  readonly startsAt: number;
  readonly endsAt: number | null;
  readonly requiresReview: boolean;
  readonly reviewDueAt: number | null;
  readonly createdBy: string;
  readonly createdAt: number;
}

/** Fields an update may change. */
export interface EnforcementChanges {
  readonly action?: AppliedAction;
  readonly status?: EnforcementStatus;
  readonly reason?: string;
  readonly features?: readonly string[];
  readonly decisionSeq?: number | null;
  readonly caseId?: string | null;
  readonly startsAt?: number;
  readonly endsAt?: number | null;
  readonly liftedAt?: number | null;
  readonly liftReason?: string | null;
  readonly liftedBy?: string | null;
  readonly requiresReview?: boolean;
  readonly reviewDueAt?: number | null;
  readonly reviewedAt?: number | null;
  readonly reviewedBy?: string | null;
  readonly updatedAt: number;
}

/** Filters of the enforcement listing. */
export interface EnforcementFilter {
  /** Undefined: every app (admin keys). */
  readonly appId?: string | undefined;
  readonly userId?: string | undefined;
  /** Effective status (expiry-aware). */
  readonly status?: EnforcementStatus | undefined;
  readonly tier?: Tier | undefined;
  readonly action?: AppliedAction | undefined;
  /** Only those whose review deadline passed unreviewed (active or pending). */
  readonly overdue?: boolean | undefined;
  /** The last id of the previous page (ids sort by creation time). */
  readonly beforeId?: string | undefined;
  readonly limit: number;
}

/** Persistence of enforcements (the `enforcements` table). */
export interface EnforcementStore {
  insert(e: NewEnforcement): Promise<void>;
  /**
   * Applies changes to one row when its stored status is one of `onlyIf` (the guard that makes
   * lifts, approvals and expiry idempotent under races). True when the row changed.
   */
  update(id: string, changes: EnforcementChanges, onlyIf: readonly EnforcementStatus[]): Promise<boolean>;
  get(id: string, now: number): Promise<Enforcement | undefined>;
  /** Stored `active` and `pending_approval` rows of these users (expired ones included, as stored). */
  open(appId: string, userIds: readonly string[]): Promise<readonly Enforcement[]>;
  /** What restricts the user at `now` (expiry-aware), newest first. */
  inForce(appId: string, userId: string, now: number): Promise<readonly Enforcement[]>;
  /** Stored `active` rows whose end is at or before `now`, oldest end first. */
  expiredActive(now: number, limit: number): Promise<readonly Enforcement[]>;
  list(
    filter: EnforcementFilter,
    now: number,
  ): Promise<{ readonly items: readonly Enforcement[]; readonly more: boolean }>;
}

function parseFeatures(text: string): string[] {
  try {
    const v: unknown = JSON.parse(text);
    return Array.isArray(v) ? v.filter((f): f is string => typeof f === 'string') : [];
  } catch {
    return [];
  }
}

function storedStatus(s: string): EnforcementStatus {
  if (isEnforcementStatus(s)) return s;
  throw new DomainError('internal', `enforcement row has an unknown status '${s}'`);
}

/** Maps a row to the domain type; `now` makes the status expiry-aware. */
export function toEnforcement(r: Row, now: number): Enforcement {
  if (!isAppliedAction(r.action))
    throw new DomainError('internal', `enforcement ${r.id} has action '${r.action}'`);
  const action = r.action;
  const kind: EnforcementKind = r.kind === 'account' || r.kind === 'features' ? r.kind : kindOf(action);
  const source: EnforcementSource =
    r.source === 'manual'
      ? 'manual'
      : r.source === 'decision'
        ? 'decision'
        : r.decision_seq === null
          ? 'manual'
          : 'decision';
  return {
    id: r.id,
    appId: r.app_id,
    userId: r.user_id,
    action,
    kind,
    status: effectiveStatus(storedStatus(r.status), r.ends_at, now),
    tier: r.tier !== null && isTier(r.tier) ? r.tier : null,
    source,
    reason: r.reason,
    features: parseFeatures(r.features),
    decisionSeq: r.decision_seq === null ? null : Number(r.decision_seq),
    caseId: r.case_id,
    startsAt: r.starts_at,
    endsAt: r.ends_at,
    liftedAt: r.lifted_at,
    liftReason: r.lift_reason,
    liftedBy: r.lifted_by,
    requiresReview: r.requires_review === 1,
    reviewDueAt: r.review_due_at,
    reviewedAt: r.reviewed_at,
    reviewedBy: r.reviewed_by,
    createdBy: r.created_by,
    createdAt: r.created_at,
    updatedAt: r.updated_at ?? r.created_at,
  };
}

/**
 * The Kysely enforcement store (SQLite and PostgreSQL).
 * @example const inForce = await createEnforcementStore(db).inForce(appId, 'u1', Date.now());
 */
export function createEnforcementStore(db: Db): EnforcementStore {
  const k = shieldKysely(db);
  return {
    async insert(e) {
      await k
        .insertInto('enforcements')
        .values({
          id: e.id,
          app_id: e.appId,
          user_id: e.userId,
          action: e.action,
          kind: kindOf(e.action),
          status: e.status,
          tier: e.tier,
          source: e.source,
          reason: e.reason,
          decision_seq: e.decisionSeq,
          case_id: e.caseId,
          features: JSON.stringify([...e.features].sort()),
          starts_at: e.startsAt,
          ends_at: e.endsAt,
          lifted_at: null,
          requires_review: e.requiresReview ? 1 : 0,
          review_due_at: e.reviewDueAt,
          reviewed_at: null,
          reviewed_by: null,
          lift_reason: null,
          lifted_by: null,
          created_by: e.createdBy,
          created_at: e.createdAt,
          updated_at: e.createdAt,
        })
        .execute();
    },

    async update(id, c, onlyIf) {
      const r = await k
        .updateTable('enforcements')
        .set({
          updated_at: c.updatedAt,
          ...(c.action !== undefined ? { action: c.action, kind: kindOf(c.action) } : {}),
          ...(c.status !== undefined ? { status: c.status } : {}),
          ...(c.reason !== undefined ? { reason: c.reason } : {}),
          ...(c.features !== undefined ? { features: JSON.stringify([...c.features].sort()) } : {}),
          ...(c.decisionSeq !== undefined ? { decision_seq: c.decisionSeq } : {}),
          ...(c.caseId !== undefined ? { case_id: c.caseId } : {}),
          ...(c.startsAt !== undefined ? { starts_at: c.startsAt } : {}),
          ...(c.endsAt !== undefined ? { ends_at: c.endsAt } : {}),
          ...(c.liftedAt !== undefined ? { lifted_at: c.liftedAt } : {}),
          ...(c.liftReason !== undefined ? { lift_reason: c.liftReason } : {}),
          ...(c.liftedBy !== undefined ? { lifted_by: c.liftedBy } : {}),
          ...(c.requiresReview !== undefined ? { requires_review: c.requiresReview ? 1 : 0 } : {}),
          ...(c.reviewDueAt !== undefined ? { review_due_at: c.reviewDueAt } : {}),
          ...(c.reviewedAt !== undefined ? { reviewed_at: c.reviewedAt } : {}),
          ...(c.reviewedBy !== undefined ? { reviewed_by: c.reviewedBy } : {}),
        })
        .where('id', '=', id)
        .where('status', 'in', [...onlyIf])
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },

    async get(id, now) {
      const r = await k.selectFrom('enforcements').selectAll().where('id', '=', id).executeTakeFirst();
      return r && toEnforcement(r, now);
    },

    async open(appId, userIds) {
      if (userIds.length === 0) return [];
      const out: Enforcement[] = [];
      for (let i = 0; i < userIds.length; i += 500) {
        const rows = await k
          .selectFrom('enforcements')
          .selectAll()
          .where('app_id', '=', appId)
          .where('user_id', 'in', userIds.slice(i, i + 500))
          .where('status', 'in', ['active', 'pending_approval'])
          .execute();
        // the stored status matters here (merging), so no expiry mapping: `now` = -1 keeps 'active'
        for (const r of rows) out.push(toEnforcement(r, -Infinity));
      }
      return out;
    },

    async inForce(appId, userId, now) {
      const rows = await k
        .selectFrom('enforcements')
        .selectAll()
        .where('app_id', '=', appId)
        .where('user_id', '=', userId)
        .where('status', '=', 'active')
        .where('starts_at', '<=', now)
        .where((eb) => eb.or([eb('ends_at', 'is', null), eb('ends_at', '>', now)]))
        .orderBy('id', 'desc')
        .execute();
      return rows.map((r) => toEnforcement(r, now));
    },

    async expiredActive(now, limit) {
      const rows = await k
        .selectFrom('enforcements')
        .selectAll()
        .where('status', '=', 'active')
        .where('ends_at', 'is not', null)
        .where('ends_at', '<=', now)
        .orderBy('ends_at')
        .limit(limit)
        .execute();
      return rows.map((r) => toEnforcement(r, now));
    },

    async list(f, now) {
      let q = k.selectFrom('enforcements').selectAll();
      if (f.appId !== undefined) q = q.where('app_id', '=', f.appId);
      if (f.userId !== undefined) q = q.where('user_id', '=', f.userId);
      if (f.tier !== undefined) q = q.where('tier', '=', f.tier);
      if (f.action !== undefined) q = q.where('action', '=', f.action);
      if (f.beforeId !== undefined) q = q.where('id', '<', f.beforeId);
      switch (f.status) {
        case undefined:
          break;
        case 'active':
          q = q
            .where('status', '=', 'active')
            .where((eb) => eb.or([eb('ends_at', 'is', null), eb('ends_at', '>', now)]));
          break;
        case 'expired':
          q = q.where((eb) =>
            eb.or([
              eb('status', '=', 'expired'),
              eb.and([eb('status', '=', 'active'), eb('ends_at', 'is not', null), eb('ends_at', '<=', now)]),
            ]),
          );
          break;
        case 'pending_approval':
        case 'lifted':
        case 'rejected':
        case 'superseded':
          q = q.where('status', '=', f.status);
          break;
      }
      if (f.overdue === true) {
        q = q
          .where('requires_review', '=', 1)
          .where('reviewed_at', 'is', null)
          .where('review_due_at', '<=', now)
          .where((eb) =>
            eb.or([
              eb('status', '=', 'pending_approval'),
              eb.and([
                eb('status', '=', 'active'),
                eb.or([eb('ends_at', 'is', null), eb('ends_at', '>', now)]),
              ]),
            ]),
          );
      }
      const rows = await q
        .orderBy('id', 'desc')
        .limit(f.limit + 1)
        .execute();
      return { items: rows.slice(0, f.limit).map((r) => toEnforcement(r, now)), more: rows.length > f.limit };
    },
  };
}
