import {
  DEFAULT_POLICY_CONFIG,
  type Decision,
  type EnforcementConfig,
  type Tier,
  type VigilEvent,
} from '@vigil/engine';
import type { Clock } from '../../clock.js';
import { DomainError } from '../../errors.js';
import type { Db } from '../../storage/database.js';
import { isUniqueViolation } from '../../storage/sql-errors.js';
import { ulid } from '../../storage/ulid.js';
import { createAuditStore } from '../audit/audit.store.js';
import type { CasePriority } from '../cases/case.model.js';
import type { CaseIntake } from '../cases/case-intake.js';
import { createCaseStore } from '../cases/case.store.js';
import type { EnforcementEvents, ShieldEventType } from './enforcement-events.js';
import {
  isInForce,
  isTier,
  kindOf,
  mergeEnforcement,
  needsApproval,
  type AppliedAction,
  type Enforcement,
  type EnforcementStatus,
} from './enforcement.model.js';
import { createEnforcementStore, type EnforcementFilter } from './enforcement.store.js';
import { ensureUser, refreshUserStatus } from './user-status.js';

/** An event the ingest just stored, with its seq and decision. */
export interface DecidedEvent {
  readonly seq: number;
  readonly event: VigilEvent;
  readonly decision: Decision;
}

/** A manual enforcement (`POST /v1/enforcements`). */
export interface ManualEnforcementRequest {
  readonly appId: string;
  readonly userId: string;
  readonly action: AppliedAction;
  /** How long; null or absent: until lifted. Required for temp_suspend. */
  readonly durationMs?: number | null | undefined;
  /** Restricted features (restrictions only); default the app's lists for the action. */
  readonly features?: readonly string[] | undefined;
  readonly reason: string;
  /** The user's tier; default the stored tier (or the default tier for unseen users). */
  readonly tier?: Tier | undefined;
}

/** What a request did to the user's enforcement of that kind. */
export const APPLY_OUTCOMES = ['created', 'pending', 'escalated', 'extended', 'unchanged'] as const;
export type ApplyOutcome = (typeof APPLY_OUTCOMES)[number];

/** A page of enforcements, newest first. */
export interface EnforcementPage {
  readonly items: readonly Enforcement[];
  readonly nextCursor: string | null;
}

/** Enforcement lifecycle: from decisions and by hand, lifted by hand or by expiry. */
export interface EnforcementService {
  /**
   * Creates or escalates enforcements for the decisions whose tier plan is above observe, in the
   * decisions' own transaction (and gathers them into the users' review cases).
   */
  applyDecisions(tx: Db, items: readonly DecidedEvent[], now: number): Promise<void>;
  /** A manual enforcement (merged with the one in force like a decision's). */
  create(
    req: ManualEnforcementRequest,
    actor: string,
  ): Promise<{ readonly enforcement: Enforcement; readonly outcome: ApplyOutcome }>;
  /**
   * Lifts an enforcement in force or pending approval. Throws `not_found` (unknown, or another
   * app's when `appId` is given) and `conflict` when it is already lifted, expired, rejected or superseded.
   */
  lift(appId: string | undefined, id: string, reason: string, actor: string): Promise<Enforcement>;
  /** Approves a pending enforcement (it comes into force). `conflict` unless pending. */
  approve(appId: string | undefined, id: string, actor: string, note?: string): Promise<Enforcement>;
  /** Rejects a pending enforcement. `conflict` unless pending. */
  reject(appId: string | undefined, id: string, actor: string, note?: string): Promise<Enforcement>;
  get(appId: string | undefined, id: string): Promise<Enforcement>;
  list(
    filter: Omit<EnforcementFilter, 'beforeId' | 'limit'> & {
      cursor?: string | undefined;
      limit?: number | undefined;
    },
  ): Promise<EnforcementPage>;
  /** What restricts the user now (expiry-aware, before any sweep). */
  inForce(appId: string, userId: string): Promise<readonly Enforcement[]>;
  /**
   * Lifts what restricts a user (a false positive), in the caller's transaction; pending ones are
   * rejected. Returns how many changed.
   */
  liftAllForUser(
    tx: Db,
    appId: string,
    userId: string,
    reason: string,
    actor: string,
    now: number,
  ): Promise<number>;
  /** Marks the user's unreviewed enforcements reviewed, in the caller's transaction. */
  markReviewed(tx: Db, appId: string, userId: string, actor: string, now: number): Promise<void>;
  /** Marks expired enforcements, announces the lifts and refreshes user statuses; returns how many. */
  sweep(limit?: number): Promise<number>;
}

/** Options of {@link createEnforcementService}. */
export interface EnforcementServiceOptions {
  /** The app's enforcement settings (default features, SLAs, default tier). Default: the engine's defaults. */
  readonly enforcementConfig?: (appId: string) => EnforcementConfig;
}

const PAGE = { default: 50, max: 500 } as const;
const CURSOR_RE = /^[0-9A-HJKMNP-TV-Z]{26}$/;

/** @example decodeIdCursor(encodeIdCursor('01J...')) */
export function encodeIdCursor(id: string): string {
  return Buffer.from(id, 'utf8').toString('base64url');
}

/** Decodes a cursor made by {@link encodeIdCursor}; `validation_failed` otherwise. */
export function decodeIdCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!CURSOR_RE.test(id)) {
    throw new DomainError('validation_failed', 'invalid cursor', {
      details: [{ path: '/cursor', message: 'not a cursor this API returned' }],
    });
  }
  return id;
}

/** The webhook payload of an enforcement change (`data`). @example enforcementData(e, { change: 'escalated' }) */
export function enforcementData(
  e: Enforcement,
  extra: Readonly<Record<string, unknown>> = {},
): Readonly<Record<string, unknown>> {
  return {
    id: e.id,
    user: e.userId,
    action: e.action,
    kind: e.kind,
    status: e.status,
    tier: e.tier,
    features: e.features,
    startsAt: e.startsAt,
    expiresAt: e.endsAt,
    reason: e.reason,
    source: e.source,
    caseId: e.caseId,
    requiresReview: e.requiresReview,
    reviewDueAt: e.reviewDueAt,
    ...extra,
  };
}

function defaultFeatures(action: AppliedAction, cfg: EnforcementConfig): readonly string[] {
  switch (action) {
    case 'soft_restrict':
      return cfg.softRestrictFeatures;
    case 'suspend_features':
      return cfg.suspendFeatures;
    case 'temp_suspend':
    case 'auto_block':
    case 'permanent_ban':
      return [];
  }
}

function decisionReason(d: Decision, tier: Tier): string {
  const why = d.explanation[0] ?? d.signals[0]?.reason ?? 'no single reason';
  return `${tier} tier, risk ${d.risk.toFixed(2)} (${d.level}): ${why}`;
}

/** One request against a user's open enforcements (decision or manual). */
interface ApplyRequest {
  readonly appId: string;
  readonly userId: string;
  readonly action: AppliedAction;
  readonly tier: Tier | null;
  readonly endsAt: number | null;
  readonly features: readonly string[];
  readonly reason: string;
  readonly source: 'decision' | 'manual';
  readonly decisionSeq: number | null;
  readonly eventId: string | null;
  readonly requiresReview: boolean;
  readonly reviewDueAt: number | null;
  readonly caseId: string | null;
  readonly actor: string;
  readonly now: number;
}

/**
 * Creates the enforcement service.
 * @example
 * const enforcement = createEnforcementService({ db, clock, events: webhooks, cases: createCaseIntake() });
 * await enforcement.lift(appId, id, 'appeal accepted', 'key:01J...');
 */
export function createEnforcementService(
  deps: {
    readonly db: Db;
    readonly clock: Clock;
    readonly events: EnforcementEvents;
    readonly cases: CaseIntake;
  },
  opts: EnforcementServiceOptions = {},
): EnforcementService {
  const { db, clock, events, cases } = deps;
  const configOf = opts.enforcementConfig ?? (() => DEFAULT_POLICY_CONFIG.enforcement);

  const emit = (
    tx: Db,
    e: Enforcement,
    type: ShieldEventType,
    extra: Readonly<Record<string, unknown>> = {},
  ) => events.emit(tx, e.appId, type, enforcementData(e, extra));

  /**
   * Applies one request to the user's open enforcements (`open` is updated in place so several
   * requests of one batch see each other).
   */
  async function apply(
    tx: Db,
    open: Enforcement[],
    r: ApplyRequest,
  ): Promise<{ enforcement: Enforcement | undefined; outcome: ApplyOutcome }> {
    const store = createEnforcementStore(tx);
    const kind = kindOf(r.action);
    const replace = (next: Enforcement): void => {
      const i = open.findIndex((e) => e.id === next.id);
      if (i >= 0) open[i] = next;
      else open.push(next);
    };
    const drop = (id: string): void => {
      const i = open.findIndex((e) => e.id === id);
      if (i >= 0) open.splice(i, 1);
    };

    // an active row whose end passed is expired now, whether or not the sweeper got to it
    for (const e of [...open]) {
      if (e.kind === kind && e.status === 'active' && e.endsAt !== null && e.endsAt <= r.now) {
        if (
          await store.update(
            e.id,
            {
              status: 'expired',
              liftedAt: e.endsAt,
              liftReason: 'expired',
              liftedBy: 'system',
              updatedAt: r.now,
            },
            ['active'],
          )
        ) {
          await emit(
            tx,
            { ...e, status: 'expired', liftedAt: e.endsAt, liftReason: 'expired' },
            'enforcement.lifted',
            { liftReason: 'expired' },
          );
        }
        drop(e.id);
      }
    }
    const active = open.find((e) => e.kind === kind && e.status === 'active');

    if (needsApproval(r.action, r.tier)) {
      const pending = open.find(
        (e) => e.kind === kind && e.status === 'pending_approval' && e.action === r.action,
      );
      if (pending !== undefined || active?.action === 'permanent_ban') {
        return { enforcement: pending ?? active, outcome: 'unchanged' };
      }
      const e = await insert(tx, r, 'pending_approval');
      replace(e);
      await emit(tx, e, 'enforcement.created', r.eventId === null ? {} : { eventId: r.eventId });
      return { enforcement: e, outcome: 'pending' };
    }

    const plan = mergeEnforcement(active, { action: r.action, endsAt: r.endsAt, features: r.features });
    switch (plan.kind) {
      case 'create': {
        const e = await insert(tx, r, 'active');
        replace(e);
        await emit(tx, e, 'enforcement.created', r.eventId === null ? {} : { eventId: r.eventId });
        return { enforcement: e, outcome: 'created' };
      }
      case 'unchanged':
        return { enforcement: active, outcome: 'unchanged' };
      case 'update': {
        if (active === undefined) throw new Error('merge update without an enforcement in force');
        const requiresReview = active.requiresReview || r.requiresReview;
        const reviewDueAt =
          active.reviewDueAt === null
            ? r.reviewDueAt
            : r.reviewDueAt === null
              ? active.reviewDueAt
              : Math.min(active.reviewDueAt, r.reviewDueAt);
        const reason = plan.change === 'escalated' ? r.reason : active.reason;
        const changes = {
          action: plan.action,
          endsAt: plan.endsAt,
          features: plan.features,
          reason,
          requiresReview,
          reviewDueAt,
          updatedAt: r.now,
          ...(r.decisionSeq !== null ? { decisionSeq: r.decisionSeq } : {}),
          ...(active.caseId === null && r.caseId !== null ? { caseId: r.caseId } : {}),
        };
        if (!(await store.update(active.id, changes, ['active']))) {
          throw new DomainError(
            'conflict',
            `enforcement ${active.id} changed while it was being updated; retry`,
          );
        }
        const next: Enforcement = {
          ...active,
          action: plan.action,
          endsAt: plan.endsAt,
          features: plan.features,
          reason,
          requiresReview,
          reviewDueAt,
          updatedAt: r.now,
          decisionSeq: r.decisionSeq ?? active.decisionSeq,
          caseId: active.caseId ?? r.caseId,
        };
        replace(next);
        await emit(tx, next, 'enforcement.updated', {
          change: plan.change,
          previous: { action: active.action, expiresAt: active.endsAt, features: active.features },
          ...(r.eventId === null ? {} : { eventId: r.eventId }),
        });
        return { enforcement: next, outcome: plan.change };
      }
    }
  }

  async function insert(
    tx: Db,
    r: ApplyRequest,
    status: 'active' | 'pending_approval',
  ): Promise<Enforcement> {
    const id = ulid(r.now);
    const requiresReview = r.requiresReview || status === 'pending_approval';
    await createEnforcementStore(tx).insert({
      id,
      appId: r.appId,
      userId: r.userId,
      action: r.action,
      status,
      tier: r.tier,
      source: r.source,
      reason: r.reason,
      features: r.features,
      decisionSeq: r.decisionSeq,
      caseId: r.caseId,
      startsAt: r.now,
      endsAt: r.endsAt,
      requiresReview,
      reviewDueAt: r.reviewDueAt,
      createdBy: r.actor,
      createdAt: r.now,
    });
    return {
      id,
      appId: r.appId,
      userId: r.userId,
      action: r.action,
      kind: kindOf(r.action),
      status,
      tier: r.tier,
      source: r.source,
      reason: r.reason,
      features: [...r.features].sort(),
      decisionSeq: r.decisionSeq,
      caseId: r.caseId,
      startsAt: r.now,
      endsAt: r.endsAt,
      liftedAt: null,
      liftReason: null,
      liftedBy: null,
      requiresReview,
      reviewDueAt: r.reviewDueAt,
      reviewedAt: null,
      reviewedBy: null,
      createdBy: r.actor,
      createdAt: r.now,
      updatedAt: r.now,
    };
  }

  async function scoped(
    store: ReturnType<typeof createEnforcementStore>,
    appId: string | undefined,
    id: string,
    now: number,
  ) {
    const e = await store.get(id, now);
    if (e === undefined || (appId !== undefined && e.appId !== appId)) {
      throw new DomainError('not_found', `no enforcement '${id}'`);
    }
    return e;
  }

  async function caseNote(
    tx: Db,
    e: Enforcement,
    kind: 'approve' | 'reject' | 'lift',
    author: string,
    text: string,
    now: number,
  ) {
    if (e.caseId === null) return;
    await createCaseStore(tx).addNote({
      id: ulid(now),
      caseId: e.caseId,
      appId: e.appId,
      kind,
      author,
      text,
      at: now,
    });
  }

  /** Retries once when a concurrent writer took the one-active slot first (unique index). */
  async function withRetry<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      return fn();
    }
  }

  async function decide(
    appId: string | undefined,
    id: string,
    actor: string,
    approve: boolean,
    note?: string,
  ) {
    return db.transaction(async (tx) => {
      const now = clock.now();
      const store = createEnforcementStore(tx);
      const e = await scoped(store, appId, id, now);
      if (e.status !== 'pending_approval') {
        throw new DomainError('conflict', `enforcement ${id} is ${e.status}, not pending approval`);
      }
      let next: Enforcement;
      if (approve) {
        const open = await store.open(e.appId, [e.userId]);
        for (const other of open) {
          if (other.kind !== e.kind || other.status !== 'active' || other.id === e.id) continue;
          await store.update(
            other.id,
            {
              status: 'superseded',
              liftedAt: now,
              liftReason: `superseded by ${e.id}`,
              liftedBy: actor,
              updatedAt: now,
            },
            ['active'],
          );
          await emit(tx, { ...other, status: 'superseded', liftedAt: now }, 'enforcement.updated', {
            change: 'superseded',
            supersededBy: e.id,
          });
        }
        if (
          !(await store.update(
            e.id,
            { status: 'active', startsAt: now, reviewedAt: now, reviewedBy: actor, updatedAt: now },
            ['pending_approval'],
          ))
        ) {
          throw new DomainError('conflict', `enforcement ${id} was decided meanwhile`);
        }
        next = { ...e, status: 'active', startsAt: now, reviewedAt: now, reviewedBy: actor, updatedAt: now };
        await emit(tx, next, 'enforcement.updated', { change: 'approved' });
      } else {
        if (
          !(await store.update(
            e.id,
            {
              status: 'rejected',
              liftedAt: now,
              liftReason: note ?? 'rejected',
              liftedBy: actor,
              reviewedAt: now,
              reviewedBy: actor,
              updatedAt: now,
            },
            ['pending_approval'],
          ))
        ) {
          throw new DomainError('conflict', `enforcement ${id} was decided meanwhile`);
        }
        next = {
          ...e,
          status: 'rejected',
          liftedAt: now,
          liftReason: note ?? 'rejected',
          liftedBy: actor,
          reviewedAt: now,
          reviewedBy: actor,
          updatedAt: now,
        };
        await emit(tx, next, 'enforcement.updated', { change: 'rejected' });
      }
      await refreshUserStatus(tx, e.appId, e.userId, now);
      await caseNote(
        tx,
        e,
        approve ? 'approve' : 'reject',
        actor,
        `${approve ? 'Approved' : 'Rejected'} ${e.action} ${e.id}${note ? `: ${note}` : ''}`,
        now,
      );
      await createAuditStore(tx).append(
        {
          actor,
          action: approve ? 'enforcement.approve' : 'enforcement.reject',
          appId: e.appId,
          target: e.id,
          details: { user: e.userId, action: e.action, ...(note ? { note } : {}) },
        },
        now,
      );
      return next;
    });
  }

  async function expire(tx: Db, e: Enforcement, now: number): Promise<boolean> {
    const store = createEnforcementStore(tx);
    const ok = await store.update(
      e.id,
      { status: 'expired', liftedAt: e.endsAt, liftReason: 'expired', liftedBy: 'system', updatedAt: now },
      ['active'],
    );
    if (ok)
      await emit(
        tx,
        { ...e, status: 'expired', liftedAt: e.endsAt, liftReason: 'expired' },
        'enforcement.lifted',
        { liftReason: 'expired' },
      );
    return ok;
  }

  return {
    async applyDecisions(tx, items, now) {
      const risky = items.filter(
        (i) => i.event.user !== undefined && i.decision.enforcement.action !== 'observe',
      );
      if (risky.length === 0) return;
      const usersByApp = new Map<string, Set<string>>();
      for (const i of risky) {
        const set = usersByApp.get(i.event.app) ?? new Set<string>();
        set.add(i.event.user ?? '');
        usersByApp.set(i.event.app, set);
      }
      const store = createEnforcementStore(tx);
      const openByUser = new Map<string, Enforcement[]>();
      for (const [appId, users] of usersByApp) {
        for (const u of users) openByUser.set(`${appId}\u0000${u}`, []);
        for (const e of await store.open(appId, [...users]))
          openByUser.get(`${appId}\u0000${e.userId}`)?.push(e);
      }
      for (const { seq, event, decision } of risky) {
        const userId = event.user ?? '';
        const plan = decision.enforcement;
        if (plan.action === 'observe') continue;
        const action: AppliedAction = plan.action;
        const cfg = configOf(event.app);
        const pending = needsApproval(action, plan.tier);
        const reason = decisionReason(decision, plan.tier);
        const reviewDueAt = plan.requiresReview || pending ? now + plan.reviewSlaMs : null;
        const priority: CasePriority = pending ? 'urgent' : plan.requiresReview ? 'high' : 'normal';
        const { caseId } = await cases.intake(tx, {
          appId: event.app,
          userId,
          tier: plan.tier,
          decisionSeq: seq,
          reason,
          slaDueAt: now + plan.reviewSlaMs,
          priority,
          now,
        });
        const open = openByUser.get(`${event.app}\u0000${userId}`) ?? [];
        await apply(tx, open, {
          appId: event.app,
          userId,
          action,
          tier: plan.tier,
          endsAt: plan.durationMs === undefined ? null : now + plan.durationMs,
          features: plan.features ?? defaultFeatures(action, cfg),
          reason,
          source: 'decision',
          decisionSeq: seq,
          eventId: event.id,
          requiresReview: plan.requiresReview,
          reviewDueAt,
          caseId,
          actor: 'system',
          now,
        });
      }
      for (const [appId, users] of usersByApp) {
        for (const u of users) await refreshUserStatus(tx, appId, u, now);
      }
    },

    async create(req, actor) {
      if (req.action === 'temp_suspend' && (req.durationMs === undefined || req.durationMs === null)) {
        throw new DomainError('validation_failed', 'a temp_suspend needs a duration', {
          details: [{ path: '/durationMs', message: 'required for temp_suspend' }],
        });
      }
      const kind = kindOf(req.action);
      if (kind === 'account' && req.features !== undefined && req.features.length > 0) {
        throw new DomainError(
          'validation_failed',
          `${req.action} acts on the whole account; features apply to restrictions only`,
          {
            details: [{ path: '/features', message: 'only for soft_restrict and suspend_features' }],
          },
        );
      }
      const cfg = configOf(req.appId);
      return withRetry(() =>
        db.transaction(async (tx) => {
          const now = clock.now();
          const known = await ensureUser(tx, req.appId, req.userId, req.tier ?? null, now);
          const tier: Tier =
            req.tier ?? (known.tier !== null && isTier(known.tier) ? known.tier : cfg.defaultTier);
          const pending = needsApproval(req.action, tier);
          const slaMs = cfg.tiers[tier].reviewSlaMs;
          const store = createEnforcementStore(tx);
          const open = [...(await store.open(req.appId, [req.userId]))];
          let caseId: string | null = null;
          if (pending) {
            caseId = (
              await cases.intake(tx, {
                appId: req.appId,
                userId: req.userId,
                tier,
                decisionSeq: null,
                reason: `${req.action} requested by ${actor}: ${req.reason}`,
                slaDueAt: now + slaMs,
                priority: 'urgent',
                now,
              })
            ).caseId;
          } else {
            caseId = (await createCaseStore(tx).openFor(req.appId, req.userId, now))?.id ?? null;
          }
          const r = await apply(tx, open, {
            appId: req.appId,
            userId: req.userId,
            action: req.action,
            tier,
            endsAt: req.durationMs === undefined || req.durationMs === null ? null : now + req.durationMs,
            features: req.features ?? defaultFeatures(req.action, cfg),
            reason: req.reason,
            source: 'manual',
            decisionSeq: null,
            eventId: null,
            requiresReview: pending,
            reviewDueAt: pending ? now + slaMs : null,
            caseId,
            actor,
            now,
          });
          if (r.enforcement === undefined) throw new Error('a manual enforcement produced nothing');
          await refreshUserStatus(tx, req.appId, req.userId, now);
          await createAuditStore(tx).append(
            {
              actor,
              action: 'enforcement.create',
              appId: req.appId,
              target: r.enforcement.id,
              details: { user: req.userId, action: req.action, outcome: r.outcome, reason: req.reason },
            },
            now,
          );
          return { enforcement: r.enforcement, outcome: r.outcome };
        }),
      );
    },

    async lift(appId, id, reason, actor) {
      return db.transaction(async (tx) => {
        const now = clock.now();
        const store = createEnforcementStore(tx);
        const e = await scoped(store, appId, id, now);
        if (e.status !== 'active' && e.status !== 'pending_approval') {
          throw new DomainError('conflict', `enforcement ${id} is already ${e.status}; nothing to lift`);
        }
        const guard: EnforcementStatus[] = [e.status];
        const ok = await store.update(
          id,
          { status: 'lifted', liftedAt: now, liftReason: reason, liftedBy: actor, updatedAt: now },
          guard,
        );
        if (!ok) throw new DomainError('conflict', `enforcement ${id} was lifted meanwhile`);
        const next: Enforcement = {
          ...e,
          status: 'lifted',
          liftedAt: now,
          liftReason: reason,
          liftedBy: actor,
          updatedAt: now,
        };
        await emit(tx, next, 'enforcement.lifted', { liftReason: reason });
        await refreshUserStatus(tx, e.appId, e.userId, now);
        await caseNote(tx, e, 'lift', actor, `Lifted ${e.action} ${e.id}: ${reason}`, now);
        await createAuditStore(tx).append(
          {
            actor,
            action: 'enforcement.lift',
            appId: e.appId,
            target: id,
            details: { user: e.userId, action: e.action, reason },
          },
          now,
        );
        return next;
      });
    },

    approve: (appId, id, actor, note) => decide(appId, id, actor, true, note),
    reject: (appId, id, actor, note) => decide(appId, id, actor, false, note),

    async get(appId, id) {
      return scoped(createEnforcementStore(db), appId, id, clock.now());
    },

    async list(f) {
      const limit = Math.min(PAGE.max, Math.max(1, f.limit ?? PAGE.default));
      const page = await createEnforcementStore(db).list(
        { ...f, beforeId: f.cursor === undefined ? undefined : decodeIdCursor(f.cursor), limit },
        clock.now(),
      );
      const last = page.items[page.items.length - 1];
      return {
        items: page.items,
        nextCursor: page.more && last !== undefined ? encodeIdCursor(last.id) : null,
      };
    },

    async inForce(appId, userId) {
      return createEnforcementStore(db).inForce(appId, userId, clock.now());
    },

    async liftAllForUser(tx, appId, userId, reason, actor, now) {
      const store = createEnforcementStore(tx);
      let n = 0;
      for (const e of await store.open(appId, [userId])) {
        if (e.status === 'active' && !isInForce(e, now)) {
          if (await expire(tx, e, now)) n++;
          continue;
        }
        const status: EnforcementStatus = e.status === 'pending_approval' ? 'rejected' : 'lifted';
        const ok = await store.update(
          e.id,
          {
            status,
            liftedAt: now,
            liftReason: reason,
            liftedBy: actor,
            reviewedAt: now,
            reviewedBy: actor,
            updatedAt: now,
          },
          [e.status],
        );
        if (!ok) continue;
        n++;
        const next: Enforcement = {
          ...e,
          status,
          liftedAt: now,
          liftReason: reason,
          liftedBy: actor,
          reviewedAt: now,
          reviewedBy: actor,
        };
        if (status === 'lifted') await emit(tx, next, 'enforcement.lifted', { liftReason: reason });
        else await emit(tx, next, 'enforcement.updated', { change: 'rejected' });
      }
      await refreshUserStatus(tx, appId, userId, now);
      return n;
    },

    async markReviewed(tx, appId, userId, actor, now) {
      const store = createEnforcementStore(tx);
      for (const e of await store.open(appId, [userId])) {
        if (e.status === 'active' && e.reviewedAt === null) {
          await store.update(e.id, { reviewedAt: now, reviewedBy: actor, updatedAt: now }, ['active']);
        }
      }
    },

    async sweep(limit = 500) {
      const now = clock.now();
      const due = await createEnforcementStore(db).expiredActive(now, limit);
      if (due.length === 0) return 0;
      return db.transaction(async (tx) => {
        let n = 0;
        const users = new Map<string, { appId: string; userId: string }>();
        for (const e of due) {
          if (await expire(tx, e, now)) {
            n++;
            users.set(`${e.appId}\u0000${e.userId}`, { appId: e.appId, userId: e.userId });
          }
        }
        for (const u of users.values()) await refreshUserStatus(tx, u.appId, u.userId, now);
        return n;
      });
    },
  };
}
