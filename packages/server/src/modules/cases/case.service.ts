import type { Decision } from '@vigil/engine';
import type { Clock } from '../../clock.js';
import { DomainError } from '../../errors.js';
import type { Db } from '../../storage/database.js';
import { parseStoredJson } from '../../storage/json.js';
import { shieldKysely } from '../../storage/shield-tables.js';
import { ulid } from '../../storage/ulid.js';
import { createAuditStore } from '../audit/audit.store.js';
import type { EnforcementEvents } from '../enforcement/enforcement-events.js';
import type { Enforcement } from '../enforcement/enforcement.model.js';
import type { EnforcementService } from '../enforcement/enforcement.service.js';
import { decodeIdCursor, encodeIdCursor } from '../enforcement/enforcement.service.js';
import { createEnforcementStore } from '../enforcement/enforcement.store.js';
import type { IntelItem, IntelService } from '../intel/intel.service.js';
import type { IntelMark } from '../intel/intel.store.js';
import type { Case, CaseNote, CaseResolution, CaseStatus } from './case.model.js';
import { renderCaseReport } from './case-report.js';
import {
  createEvidenceSummariser,
  formatTime,
  type CaseDecisionView,
  type CaseEvidence,
  type CaseSummariser,
  type SignalSummary,
} from './case-summary.js';
import { createCaseStore, type CaseFilter, type NewLabel } from './case.store.js';
import { saveFalsePositive, type FalsePositiveMark, type FalsePositiveRegistry } from './false-positive.js';
import { createEventScanLinkFinder, LINK_KINDS, type LinkedEntityFinder } from './linked-entities.js';

/** A case with everything it gathered and its plain-words summary. */
export interface CaseDetail extends CaseEvidence {
  readonly summary: string;
  /** Which summariser wrote it (`evidence` by default). */
  readonly summarisedBy: string;
}

/** What a resolution changed. */
export interface ResolveReport {
  readonly case: Case;
  readonly labels: number;
  /** Enforcements lifted or rejected (false positive). */
  readonly enforcementsLifted: number;
  /** Identifiers shared with the other apps (confirmed fraud). */
  readonly identifiersShared: number;
  /** End of the user's false-positive grace period, if one was granted. */
  readonly graceUntil: number | null;
}

/** Review cases: listing, evidence, assignment, notes, resolution, approval of enforcements. */
export interface CaseService {
  list(
    filter: Omit<CaseFilter, 'beforeId' | 'limit'> & {
      cursor?: string | undefined;
      limit?: number | undefined;
    },
  ): Promise<{ readonly items: readonly Case[]; readonly nextCursor: string | null }>;
  /** `not_found` for an unknown case or another app's (when `appId` is given). */
  get(appId: string | undefined, id: string): Promise<CaseDetail>;
  /** Assigns a reviewer (status in_review). Assigning the same reviewer again changes nothing. `conflict` when resolved. */
  assign(
    appId: string | undefined,
    id: string,
    assignee: string,
    actor: string,
  ): Promise<{ readonly case: Case; readonly changed: boolean }>;
  /** Adds a note; a repeated idempotency key returns the first note (`duplicate`). */
  note(
    appId: string | undefined,
    id: string,
    text: string,
    actor: string,
    idempotencyKey?: string,
  ): Promise<{ readonly note: CaseNote; readonly duplicate: boolean }>;
  /**
   * Resolves a case once (`conflict` when already resolved): writes labels, lifts enforcements and
   * grants a grace period for a false positive, shares identifiers for confirmed fraud, and emits `case.resolved`.
   */
  resolve(
    appId: string | undefined,
    id: string,
    resolution: CaseResolution,
    note: string | undefined,
    actor: string,
  ): Promise<ResolveReport>;
  /** Approves or rejects a pending enforcement of the case's user. */
  decideEnforcement(
    appId: string | undefined,
    caseId: string,
    enforcementId: string,
    approve: boolean,
    actor: string,
    note?: string,
  ): Promise<Enforcement>;
  /** The self-contained HTML report. */
  report(appId: string | undefined, id: string): Promise<string>;
  /** Raises one alert (row + `anomaly.alert`) per unresolved case past its deadline; returns how many. */
  alertOverdue(limit?: number): Promise<number>;
}

/** Options of {@link createCaseService}. */
export interface CaseServiceOptions {
  /** How long a false positive's grace period lasts (default 14 days). */
  readonly falsePositiveGraceMs?: number;
  /** Decisions shown per case (default 100). */
  readonly maxDecisions?: number;
  /** Writes the summary (default: assembled from the evidence). */
  readonly summariser?: CaseSummariser;
  readonly links?: LinkedEntityFinder;
}

const DAY = 86_400_000;

function scopeCheck(c: Case | undefined, appId: string | undefined, id: string): Case {
  if (c === undefined || (appId !== undefined && c.appId !== appId))
    throw new DomainError('not_found', `no case '${id}'`);
  return c;
}

function decisionView(seqRow: {
  eventId: string;
  type: string;
  at: number;
  risk: number;
  score: number;
  level: string;
  outcome: string;
  payload: string;
}): CaseDecisionView {
  const d = parseStoredJson<Partial<Decision>>(seqRow.payload);
  return {
    eventId: seqRow.eventId,
    type: seqRow.type,
    at: seqRow.at,
    risk: seqRow.risk,
    score: seqRow.score,
    level: seqRow.level,
    outcome: seqRow.outcome,
    confidence: typeof d.confidence === 'number' ? d.confidence : null,
    explanation: d.explanation !== undefined ? d.explanation.filter((x) => typeof x === 'string') : [],
    signals:
      d.signals !== undefined
        ? d.signals.map((s) => ({
            code: s.code,
            score: s.score,
            severity: s.severity,
            category: s.category,
            reason: s.reason,
          }))
        : [],
  };
}

function summarizeSignals(decisions: readonly CaseDecisionView[]): SignalSummary[] {
  const by = new Map<
    string,
    { code: string; category: string; count: number; maxScore: number; reason: string }
  >();
  for (const d of decisions) {
    for (const s of d.signals) {
      const cur = by.get(s.code);
      if (cur === undefined)
        by.set(s.code, { code: s.code, category: s.category, count: 1, maxScore: s.score, reason: s.reason });
      else {
        cur.count++;
        if (s.score > cur.maxScore) {
          cur.maxScore = s.score;
          cur.reason = s.reason;
        }
      }
    }
  }
  return [...by.values()].sort((a, b) => b.maxScore - a.maxScore || b.count - a.count);
}

/**
 * Creates the case service.
 * @example
 * const cases = createCaseService({ db, clock, enforcement, events: webhooks, intel, falsePositives });
 * await cases.resolve(undefined, caseId, 'false_positive', 'known customer', 'key:01J...');
 */
export function createCaseService(
  deps: {
    readonly db: Db;
    readonly clock: Clock;
    readonly enforcement: Pick<EnforcementService, 'approve' | 'reject' | 'liftAllForUser' | 'markReviewed'>;
    readonly events: EnforcementEvents;
    readonly intel?: Pick<IntelService, 'shareInTx' | 'applyCommitted'>;
    readonly falsePositives?: FalsePositiveRegistry;
  },
  opts: CaseServiceOptions = {},
): CaseService {
  const { db, clock, enforcement, events } = deps;
  const grace = opts.falsePositiveGraceMs ?? 14 * DAY;
  const maxDecisions = opts.maxDecisions ?? 100;
  const summariser = opts.summariser ?? createEvidenceSummariser();
  const fallback = createEvidenceSummariser();
  const links = opts.links ?? createEventScanLinkFinder();

  async function evidence(appId: string | undefined, id: string): Promise<CaseEvidence> {
    const now = clock.now();
    const store = createCaseStore(db);
    const c = scopeCheck(await store.get(id, now), appId, id);
    const decisions = (await store.decisions(c.id, maxDecisions)).map(decisionView);
    const userId = c.userId;
    const subjectRow =
      userId === null
        ? undefined
        : await db.kysely
            .selectFrom('users')
            .selectAll()
            .where('app_id', '=', c.appId)
            .where('user_id', '=', userId)
            .executeTakeFirst();
    const enforcements =
      userId === null
        ? []
        : (await createEnforcementStore(db).list({ appId: c.appId, userId, limit: 100 }, now)).items;
    const app = await db.kysely
      .selectFrom('apps')
      .select('name')
      .where('id', '=', c.appId)
      .executeTakeFirst();
    return {
      case: c,
      appName: app?.name ?? c.appId,
      subject:
        subjectRow === undefined
          ? null
          : {
              id: subjectRow.user_id,
              tier: subjectRow.tier,
              status: subjectRow.status,
              behaviorScore: subjectRow.behavior_score,
              accessLevel: subjectRow.access_level,
              peakRisk: subjectRow.peak_risk,
              lastRisk: subjectRow.last_risk,
              eventCount: Number(subjectRow.event_count),
              firstSeen: subjectRow.first_seen,
              lastSeen: subjectRow.last_seen,
            },
      decisions,
      signals: summarizeSignals(decisions),
      enforcements,
      linkedEntities: userId === null ? [] : await links.find(db, c.appId, userId),
      notes: await store.notes(c.id),
      now,
    };
  }

  async function summarise(ev: CaseEvidence): Promise<{ summary: string; by: string }> {
    try {
      return { summary: await summariser.summarise(ev), by: summariser.name };
    } catch {
      return { summary: await fallback.summarise(ev), by: fallback.name };
    }
  }

  /** Identifiers of the case's gathered events, for sharing. */
  async function identifiersOf(tx: Db, caseId: string): Promise<IntelItem[]> {
    const rows = await shieldKysely(tx)
      .selectFrom('case_decisions as cd')
      .innerJoin('events as e', 'e.seq', 'cd.decision_seq')
      .select('e.payload')
      .where('cd.case_id', '=', caseId)
      .limit(1000)
      .execute();
    const items: IntelItem[] = [];
    const seen = new Set<string>();
    for (const r of rows) {
      const p: unknown = JSON.parse(r.payload);
      if (typeof p !== 'object' || p === null) continue;
      for (const kind of LINK_KINDS) {
        const v: unknown = Reflect.get(p, kind);
        if (typeof v !== 'string' || v === '' || seen.has(`${kind}:${v}`)) continue;
        seen.add(`${kind}:${v}`);
        items.push({ kind, value: v });
      }
    }
    return items;
  }

  return {
    async list(f) {
      const limit = Math.min(500, Math.max(1, f.limit ?? 50));
      const page = await createCaseStore(db).list(
        { ...f, beforeId: f.cursor === undefined ? undefined : decodeIdCursor(f.cursor), limit },
        clock.now(),
      );
      const last = page.items[page.items.length - 1];
      return {
        items: page.items,
        nextCursor: page.more && last !== undefined ? encodeIdCursor(last.id) : null,
      };
    },

    async get(appId, id) {
      const ev = await evidence(appId, id);
      const s = await summarise(ev);
      return { ...ev, summary: s.summary, summarisedBy: s.by };
    },

    async assign(appId, id, assignee, actor) {
      return db.transaction(async (tx) => {
        const now = clock.now();
        const store = createCaseStore(tx);
        const c = scopeCheck(await store.get(id, now), appId, id);
        if (c.status === 'resolved')
          throw new DomainError('conflict', `case ${id} is resolved; it cannot be assigned`);
        if (c.assignee === assignee && c.status === 'in_review') return { case: c, changed: false };
        const ok = await store.update(id, { assignee, status: 'in_review', updatedAt: now }, [
          'open',
          'in_review',
        ]);
        if (!ok) throw new DomainError('conflict', `case ${id} was resolved meanwhile`);
        await store.addNote({
          id: ulid(now),
          caseId: id,
          appId: c.appId,
          kind: 'assign',
          author: actor,
          text: `Assigned to ${assignee}`,
          at: now,
        });
        const next = await store.get(id, now);
        if (next === undefined) throw new Error(`case ${id} vanished`);
        return { case: next, changed: true };
      });
    },

    async note(appId, id, text, actor, idempotencyKey) {
      return db.transaction(async (tx) => {
        const now = clock.now();
        const store = createCaseStore(tx);
        const c = scopeCheck(await store.get(id, now), appId, id);
        const r = await store.addNote({
          id: ulid(now),
          caseId: id,
          appId: c.appId,
          kind: 'note',
          author: actor,
          text,
          idempotencyKey,
          at: now,
        });
        if (!r.duplicate) await store.update(id, { updatedAt: now }, ['open', 'in_review', 'resolved']);
        return r;
      });
    },

    async resolve(appId, id, resolution, note, actor) {
      let marks: readonly IntelMark[] = [];
      let fp: FalsePositiveMark | undefined;
      const report = await db.transaction(async (tx) => {
        const now = clock.now();
        const store = createCaseStore(tx);
        const c = scopeCheck(await store.get(id, now), appId, id);
        if (c.status === 'resolved') {
          throw new DomainError(
            'conflict',
            `case ${id} is already resolved (${c.resolution ?? 'no resolution'})`,
          );
        }
        const ok = await store.update(
          id,
          {
            status: 'resolved',
            resolution,
            resolutionNote: note ?? null,
            resolvedBy: actor,
            resolvedAt: now,
            updatedAt: now,
          },
          ['open', 'in_review'],
        );
        if (!ok) throw new DomainError('conflict', `case ${id} was resolved meanwhile`);
        await store.addNote({
          id: ulid(now),
          caseId: id,
          appId: c.appId,
          kind: 'resolve',
          author: actor,
          text: `Resolved as ${resolution}${note ? `: ${note}` : ''}`,
          at: now,
        });

        // labels for retraining: one for the user, one per gathered decision
        const gathered = await store.decisions(id, 10_000);
        const labels: NewLabel[] = [
          {
            id: ulid(now),
            appId: c.appId,
            userId: c.userId,
            eventId: null,
            decisionSeq: null,
            label: resolution,
            source: 'case',
            caseId: id,
            createdBy: actor,
            at: now,
          },
          ...gathered.map((d) => ({
            id: ulid(now),
            appId: c.appId,
            userId: c.userId,
            eventId: d.eventId,
            decisionSeq: d.seq,
            label: resolution,
            source: 'case',
            caseId: id,
            createdBy: actor,
            at: now,
          })),
        ];
        await store.insertLabels(labels);

        let lifted = 0;
        let graceUntil: number | null = null;
        if (c.userId !== null) {
          switch (resolution) {
            case 'false_positive':
              lifted = await enforcement.liftAllForUser(
                tx,
                c.appId,
                c.userId,
                `case ${id} resolved as a false positive`,
                actor,
                now,
              );
              graceUntil = now + grace;
              fp = { appId: c.appId, userId: c.userId, until: graceUntil, caseId: id };
              await saveFalsePositive(tx, fp, now);
              break;
            case 'confirmed_fraud':
              await enforcement.markReviewed(tx, c.appId, c.userId, actor, now);
              if (deps.intel !== undefined) {
                marks = await deps.intel.shareInTx(
                  tx,
                  c.appId,
                  await identifiersOf(tx, id),
                  {
                    source: 'confirmed_fraud',
                    reason: `case ${id} confirmed fraud`,
                    actor,
                    caseId: id,
                  },
                  now,
                );
              }
              break;
            case 'inconclusive':
              await enforcement.markReviewed(tx, c.appId, c.userId, actor, now);
              break;
          }
        }
        const next = await store.get(id, now);
        if (next === undefined) throw new Error(`case ${id} vanished`);
        await events.emit(tx, c.appId, 'case.resolved', {
          caseId: id,
          user: c.userId,
          resolution,
          note: note ?? null,
          resolvedBy: actor,
          resolvedAt: now,
          decisions: gathered.length,
          enforcementsLifted: lifted,
        });
        await createAuditStore(tx).append(
          {
            actor,
            action: 'case.resolve',
            appId: c.appId,
            target: id,
            details: { user: c.userId, resolution, lifted, shared: marks.length },
          },
          now,
        );
        return {
          case: next,
          labels: labels.length,
          enforcementsLifted: lifted,
          identifiersShared: marks.length,
          graceUntil,
        };
      });
      if (marks.length > 0) deps.intel?.applyCommitted(marks);
      if (fp !== undefined) deps.falsePositives?.add(fp);
      return report;
    },

    async decideEnforcement(appId, caseId, enforcementId, approve, actor, note) {
      const now = clock.now();
      const c = scopeCheck(await createCaseStore(db).get(caseId, now), appId, caseId);
      const e = await createEnforcementStore(db).get(enforcementId, now);
      if (e === undefined || e.appId !== c.appId || e.userId !== c.userId) {
        throw new DomainError('not_found', `case ${caseId} has no enforcement '${enforcementId}'`);
      }
      return approve
        ? enforcement.approve(c.appId, enforcementId, actor, note)
        : enforcement.reject(c.appId, enforcementId, actor, note);
    },

    async report(appId, id) {
      const ev = await evidence(appId, id);
      return renderCaseReport(ev, (await summarise(ev)).summary);
    },

    async alertOverdue(limit = 200) {
      const now = clock.now();
      const due = await createCaseStore(db).overdueUnalerted(now, limit);
      let n = 0;
      for (const c of due) {
        const raised = await db.transaction(async (tx) => {
          const ok = await createCaseStore(tx).update(
            c.id,
            { overdueAlertedAt: now, updatedAt: c.updatedAt },
            ['open', 'in_review'] satisfies CaseStatus[],
          );
          if (!ok || c.slaDueAt === null) return false;
          const data = {
            type: 'case_overdue',
            caseId: c.id,
            user: c.userId,
            priority: c.priority,
            tier: c.tier,
            assignee: c.assignee,
            slaDueAt: c.slaDueAt,
            overdueMs: now - c.slaDueAt,
            message: `Review of case ${c.id} was due ${formatTime(c.slaDueAt)}.`,
          };
          await tx.kysely
            .insertInto('alerts')
            .values({
              id: ulid(now),
              app_id: c.appId,
              user_id: c.userId,
              type: 'case_overdue',
              severity: c.priority === 'urgent' || c.priority === 'high' ? 'high' : 'medium',
              decision_seq: c.decisionSeq,
              payload: JSON.stringify(data),
              created_at: now,
              acknowledged_at: null,
            })
            .execute();
          await events.emit(tx, c.appId, 'anomaly.alert', data);
          return true;
        });
        if (raised) n++;
      }
      return n;
    },
  };
}
