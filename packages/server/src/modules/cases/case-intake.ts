import type { Tier } from '@vigil/engine';
import type { Db } from '../../storage/database.js';
import { ulid } from '../../storage/ulid.js';
import { higherPriority, type CasePriority } from './case.model.js';
import { createCaseStore } from './case.store.js';

/** Evidence for a user's review case: a decision that asked for an enforcement, or a manual one. */
export interface CaseIntakeRequest {
  readonly appId: string;
  readonly userId: string;
  readonly tier: Tier | null;
  /** The decision to gather (null for a manual enforcement). */
  readonly decisionSeq: number | null;
  readonly reason: string;
  /** Review deadline; an open case keeps the earlier of its own and this one. */
  readonly slaDueAt: number | null;
  readonly priority: CasePriority;
  readonly now: number;
}

/** Opens a user's case or adds to the open one. Runs in the caller's transaction. */
export interface CaseIntake {
  intake(tx: Db, req: CaseIntakeRequest): Promise<{ readonly caseId: string; readonly created: boolean }>;
}

function earlier(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return a < b ? a : b;
}

/**
 * One case per user while it is unresolved: a new request gathers its decision into the open case,
 * tightens its deadline and raises its priority; after a resolution the next request opens a new one.
 * @example const { caseId } = await createCaseIntake().intake(tx, { appId, userId: 'u1', tier: 'gold', decisionSeq: 42, reason, slaDueAt, priority: 'high', now });
 */
export function createCaseIntake(): CaseIntake {
  return {
    async intake(tx, req) {
      const store = createCaseStore(tx);
      const open = await store.openFor(req.appId, req.userId, req.now);
      if (open !== undefined) {
        const slaDueAt = earlier(open.slaDueAt, req.slaDueAt);
        const priority = higherPriority(open.priority, req.priority);
        if (
          slaDueAt !== open.slaDueAt ||
          priority !== open.priority ||
          (req.tier !== null && req.tier !== open.tier)
        ) {
          await store.update(
            open.id,
            { slaDueAt, priority, ...(req.tier !== null ? { tier: req.tier } : {}), updatedAt: req.now },
            ['open', 'in_review'],
          );
        }
        if (req.decisionSeq !== null) await store.linkDecision(open.id, req.decisionSeq, req.now);
        return { caseId: open.id, created: false };
      }
      const id = ulid(req.now);
      await store.insert({
        id,
        appId: req.appId,
        userId: req.userId,
        priority: req.priority,
        reason: req.reason,
        tier: req.tier,
        decisionSeq: req.decisionSeq,
        slaDueAt: req.slaDueAt,
        createdAt: req.now,
      });
      if (req.decisionSeq !== null) await store.linkDecision(id, req.decisionSeq, req.now);
      await store.addNote({
        id: ulid(req.now),
        caseId: id,
        appId: req.appId,
        kind: 'created',
        author: 'system',
        text: req.reason,
        at: req.now,
      });
      return { caseId: id, created: true };
    },
  };
}
