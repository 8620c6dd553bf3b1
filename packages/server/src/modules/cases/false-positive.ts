import type { Detector } from '@vigil/engine';
import type { Db } from '../../storage/database.js';
import { shieldKysely } from '../../storage/shield-tables.js';

/**
 * Risk feedback of a false positive. When a review finds a user was wrongly flagged, the user gets
 * a grace period: while it lasts, a server-side detector (appended after the built-in catalogue, so
 * the engine needs no change) adds an `allow` signal `feedback.false_positive` to the user's events
 * unless the evidence is much stronger than what was reviewed (a signal at or above `ceiling`, or
 * a block-list hit). The engine's policy already treats an `allow` signal like an allow-list entry:
 * outcome allow, enforcement observe; the risk itself is still computed and reported.
 */

/** A user's grace period. */
export interface FalsePositiveMark {
  readonly appId: string;
  readonly userId: string;
  readonly until: number;
  readonly caseId: string | null;
}

/** The in-memory read side, consulted on the scoring hot path. */
export interface FalsePositiveRegistry {
  /** The end of the user's grace period, if one is running at `now`. */
  graceUntil(appId: string, userId: string, now: number): number | undefined;
  load(marks: readonly FalsePositiveMark[]): void;
  add(mark: FalsePositiveMark): void;
  size(): number;
}

/** @example const reg = createFalsePositiveRegistry(); reg.add({ appId, userId: 'u1', until, caseId }); */
export function createFalsePositiveRegistry(): FalsePositiveRegistry {
  let marks = new Map<string, number>();
  const key = (appId: string, userId: string) => `${appId}\u0000${userId}`;
  return {
    graceUntil(appId, userId, now) {
      if (marks.size === 0) return undefined;
      const until = marks.get(key(appId, userId));
      return until !== undefined && until > now ? until : undefined;
    },
    load(list) {
      const fresh = new Map<string, number>();
      for (const m of list)
        fresh.set(key(m.appId, m.userId), Math.max(m.until, fresh.get(key(m.appId, m.userId)) ?? 0));
      marks = fresh;
    },
    add(m) {
      marks.set(key(m.appId, m.userId), m.until);
    },
    size: () => marks.size,
  };
}

/**
 * Stores a grace period in the caller's transaction (a later one replaces an earlier one).
 * @example await saveFalsePositive(tx, { appId, userId: 'u1', until: now + 14 * DAY, caseId }, now);
 */
export async function saveFalsePositive(tx: Db, m: FalsePositiveMark, now: number): Promise<void> {
  await shieldKysely(tx)
    .insertInto('user_feedback')
    .values({
      app_id: m.appId,
      user_id: m.userId,
      kind: 'false_positive',
      until: m.until,
      case_id: m.caseId,
      created_at: now,
    })
    .onConflict((oc) =>
      oc
        .columns(['app_id', 'user_id', 'kind'])
        .doUpdateSet({ until: m.until, case_id: m.caseId, created_at: now }),
    )
    .execute();
}

/** Grace periods still running at `now`. @example registry.load(await loadFalsePositives(db, Date.now())); */
export async function loadFalsePositives(db: Db, now: number): Promise<readonly FalsePositiveMark[]> {
  const rows = await shieldKysely(db)
    .selectFrom('user_feedback')
    .selectAll()
    .where('kind', '=', 'false_positive')
    .where('until', '>', now)
    .execute();
  return rows.map((r) => ({ appId: r.app_id, userId: r.user_id, until: r.until, caseId: r.case_id }));
}

/** Options of {@link createFalsePositiveDetector}. */
export interface FalsePositiveOptions {
  /** A signal at or above this score is stronger than the reviewed evidence: no discount. Default 0.9. */
  readonly ceiling: number;
}

/**
 * The detector applying grace periods (see the module comment). Must run after the detectors whose
 * signals it weighs: append it to the catalogue.
 * @example createEngine({ detectors: [...createCatalogue(config), createFalsePositiveDetector(registry)] });
 */
export function createFalsePositiveDetector(
  registry: FalsePositiveRegistry,
  opts: FalsePositiveOptions = { ceiling: 0.9 },
): Detector {
  return {
    id: 'feedback.false_positive',
    features: [],
    detect(ctx, out) {
      const user = ctx.event.user;
      if (user === undefined || registry.size() === 0) return;
      const until = registry.graceUntil(ctx.event.app, user, ctx.now);
      if (until === undefined) return;
      for (const s of out.signals) {
        if (s.action === 'block' || s.score >= opts.ceiling) return;
      }
      out.signals.push({
        code: 'feedback.false_positive',
        score: 0,
        severity: 'info',
        category: 'list',
        reason: `An analyst found this user was wrongly flagged; similar evidence is allowed until ${new Date(until).toISOString()}.`,
        evidence: { until },
        action: 'allow',
      });
    },
  };
}
