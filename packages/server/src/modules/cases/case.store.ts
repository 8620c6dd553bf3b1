import type { Selectable } from 'kysely';
import { DomainError } from '../../errors.js';
import type { Db } from '../../storage/database.js';
import type { CasesTable } from '../../storage/schema.js';
import { shieldKysely, type CasesShieldColumns } from '../../storage/shield-tables.js';
import { isUniqueViolation } from '../../storage/sql-errors.js';
import { isTier } from '../enforcement/enforcement.model.js';
import {
  CASE_NOTE_KINDS,
  isCasePriority,
  isCaseResolution,
  isCaseStatus,
  type Case,
  type CaseNote,
  type CaseNoteKind,
  type CasePriority,
  type CaseResolution,
  type CaseStatus,
} from './case.model.js';

type Row = Selectable<CasesTable & CasesShieldColumns>;

/** A new case. */
export interface NewCase {
  readonly id: string;
  readonly appId: string;
  readonly userId: string;
  readonly priority: CasePriority;
  readonly reason: string;
  readonly tier: string | null;
  readonly decisionSeq: number | null;
  readonly slaDueAt: number | null;
  readonly createdAt: number;
}

/** Fields an update may change. */
export interface CaseChanges {
  readonly status?: CaseStatus;
  readonly priority?: CasePriority;
  readonly assignee?: string | null;
  readonly slaDueAt?: number | null;
  readonly tier?: string | null;
  readonly resolution?: CaseResolution | null;
  readonly resolutionNote?: string | null;
  readonly resolvedBy?: string | null;
  readonly resolvedAt?: number | null;
  readonly overdueAlertedAt?: number | null;
  readonly updatedAt: number;
}

/** Filters of the case listing. */
export interface CaseFilter {
  /** Undefined: every app (admin keys). */
  readonly appId?: string | undefined;
  readonly userId?: string | undefined;
  readonly status?: CaseStatus | undefined;
  readonly assignee?: string | undefined;
  /** Only unresolved cases past their deadline. */
  readonly overdue?: boolean | undefined;
  readonly beforeId?: string | undefined;
  readonly limit: number;
}

/** A new timeline entry; a repeated `idempotencyKey` for the same case stores nothing. */
export interface NewCaseNote {
  readonly id: string;
  readonly caseId: string;
  readonly appId: string;
  readonly kind: CaseNoteKind;
  readonly author: string;
  readonly text: string;
  readonly idempotencyKey?: string | undefined;
  readonly at: number;
}

/** A decision gathered into a case. */
export interface CaseDecision {
  readonly seq: number;
  readonly eventId: string;
  readonly type: string;
  readonly at: number;
  readonly risk: number;
  readonly score: number;
  readonly level: string;
  readonly outcome: string;
  /** The decision as stored (JSON). */
  readonly payload: string;
}

/** A training label (the resolution of a case, per user and per decided event). */
export interface NewLabel {
  readonly id: string;
  readonly appId: string;
  readonly userId: string | null;
  readonly eventId: string | null;
  readonly decisionSeq: number | null;
  readonly label: CaseResolution;
  readonly source: string;
  readonly caseId: string | null;
  readonly createdBy: string;
  readonly at: number;
}

/** Persistence of review cases, their timeline, gathered decisions and labels. */
export interface CaseStore {
  insert(c: NewCase): Promise<void>;
  /** The newest unresolved case of a user. */
  openFor(appId: string, userId: string, now: number): Promise<Case | undefined>;
  get(id: string, now: number): Promise<Case | undefined>;
  /** Applies changes when the stored status is one of `onlyIf`; true when the row changed. */
  update(id: string, changes: CaseChanges, onlyIf: readonly CaseStatus[]): Promise<boolean>;
  list(filter: CaseFilter, now: number): Promise<{ readonly items: readonly Case[]; readonly more: boolean }>;
  /** Gathers a decision (idempotent). */
  linkDecision(caseId: string, decisionSeq: number, at: number): Promise<void>;
  /** The gathered decisions, newest first (at most `limit`). */
  decisions(caseId: string, limit: number): Promise<readonly CaseDecision[]>;
  /** Adds a timeline entry; returns it, or the earlier one with the same idempotency key. */
  addNote(n: NewCaseNote): Promise<{ readonly note: CaseNote; readonly duplicate: boolean }>;
  notes(caseId: string): Promise<readonly CaseNote[]>;
  /** Unresolved cases past their deadline not yet alerted about, oldest deadline first. */
  overdueUnalerted(now: number, limit: number): Promise<readonly Case[]>;
  insertLabels(rows: readonly NewLabel[]): Promise<void>;
}

function noteKind(s: string): CaseNoteKind {
  const k = CASE_NOTE_KINDS.find((x) => x === s);
  if (k === undefined) throw new DomainError('internal', `case note has an unknown kind '${s}'`);
  return k;
}

/** Maps a row to the domain type; `now` decides `overdue`. */
export function toCase(r: Row, now: number): Case {
  if (!isCaseStatus(r.status)) throw new DomainError('internal', `case ${r.id} has status '${r.status}'`);
  const status = r.status;
  return {
    id: r.id,
    appId: r.app_id,
    userId: r.user_id,
    status,
    priority: isCasePriority(r.priority) ? r.priority : 'normal',
    reason: r.reason,
    tier: r.tier !== null && isTier(r.tier) ? r.tier : null,
    decisionSeq: r.decision_seq === null ? null : Number(r.decision_seq),
    assignee: r.assignee,
    slaDueAt: r.sla_due_at,
    overdue: status !== 'resolved' && r.sla_due_at !== null && r.sla_due_at <= now,
    resolution: r.resolution !== null && isCaseResolution(r.resolution) ? r.resolution : null,
    resolutionNote: r.resolution_note,
    resolvedBy: r.resolved_by,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    resolvedAt: r.resolved_at,
  };
}

/**
 * The Kysely case store (SQLite and PostgreSQL).
 * @example const open = await createCaseStore(db).openFor(appId, 'u1', Date.now());
 */
export function createCaseStore(db: Db): CaseStore {
  const k = shieldKysely(db);
  return {
    async insert(c) {
      await k
        .insertInto('cases')
        .values({
          id: c.id,
          app_id: c.appId,
          user_id: c.userId,
          status: 'open',
          priority: c.priority,
          reason: c.reason,
          tier: c.tier,
          decision_seq: c.decisionSeq,
          assignee: null,
          sla_due_at: c.slaDueAt,
          resolution: null,
          resolution_note: null,
          resolved_by: null,
          overdue_alerted_at: null,
          created_at: c.createdAt,
          updated_at: c.createdAt,
          resolved_at: null,
        })
        .execute();
    },

    async openFor(appId, userId, now) {
      const r = await k
        .selectFrom('cases')
        .selectAll()
        .where('app_id', '=', appId)
        .where('user_id', '=', userId)
        .where('status', 'in', ['open', 'in_review'])
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      return r && toCase(r, now);
    },

    async get(id, now) {
      const r = await k.selectFrom('cases').selectAll().where('id', '=', id).executeTakeFirst();
      return r && toCase(r, now);
    },

    async update(id, c, onlyIf) {
      const r = await k
        .updateTable('cases')
        .set({
          updated_at: c.updatedAt,
          ...(c.status !== undefined ? { status: c.status } : {}),
          ...(c.priority !== undefined ? { priority: c.priority } : {}),
          ...(c.assignee !== undefined ? { assignee: c.assignee } : {}),
          ...(c.slaDueAt !== undefined ? { sla_due_at: c.slaDueAt } : {}),
          ...(c.tier !== undefined ? { tier: c.tier } : {}),
          ...(c.resolution !== undefined ? { resolution: c.resolution } : {}),
          ...(c.resolutionNote !== undefined ? { resolution_note: c.resolutionNote } : {}),
          ...(c.resolvedBy !== undefined ? { resolved_by: c.resolvedBy } : {}),
          ...(c.resolvedAt !== undefined ? { resolved_at: c.resolvedAt } : {}),
          ...(c.overdueAlertedAt !== undefined ? { overdue_alerted_at: c.overdueAlertedAt } : {}),
        })
        .where('id', '=', id)
        .where('status', 'in', [...onlyIf])
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    },

    async list(f, now) {
      let q = k.selectFrom('cases').selectAll();
      if (f.appId !== undefined) q = q.where('app_id', '=', f.appId);
      if (f.userId !== undefined) q = q.where('user_id', '=', f.userId);
      if (f.status !== undefined) q = q.where('status', '=', f.status);
      if (f.assignee !== undefined) q = q.where('assignee', '=', f.assignee);
      if (f.overdue === true) {
        q = q.where('status', 'in', ['open', 'in_review']).where('sla_due_at', '<=', now);
      } else if (f.overdue === false) {
        q = q.where((eb) =>
          eb.or([eb('status', '=', 'resolved'), eb('sla_due_at', 'is', null), eb('sla_due_at', '>', now)]),
        );
      }
      if (f.beforeId !== undefined) q = q.where('id', '<', f.beforeId);
      const rows = await q
        .orderBy('id', 'desc')
        .limit(f.limit + 1)
        .execute();
      return { items: rows.slice(0, f.limit).map((r) => toCase(r, now)), more: rows.length > f.limit };
    },

    async linkDecision(caseId, decisionSeq, at) {
      await k
        .insertInto('case_decisions')
        .values({ case_id: caseId, decision_seq: decisionSeq, added_at: at })
        .onConflict((oc) => oc.columns(['case_id', 'decision_seq']).doNothing())
        .execute();
    },

    async decisions(caseId, limit) {
      const rows = await k
        .selectFrom('case_decisions as cd')
        .innerJoin('decisions as d', 'd.event_seq', 'cd.decision_seq')
        .select([
          'd.event_seq',
          'd.event_id',
          'd.type',
          'd.at',
          'd.risk',
          'd.score',
          'd.level',
          'd.outcome',
          'd.payload',
        ])
        .where('cd.case_id', '=', caseId)
        .orderBy('d.event_seq', 'desc')
        .limit(limit)
        .execute();
      return rows.map((r) => ({
        seq: Number(r.event_seq),
        eventId: r.event_id,
        type: r.type,
        at: r.at,
        risk: r.risk,
        score: r.score,
        level: r.level,
        outcome: r.outcome,
        payload: r.payload,
      }));
    },

    async addNote(n) {
      const key = n.idempotencyKey ?? null;
      if (key !== null) {
        const earlier = await k
          .selectFrom('case_notes')
          .selectAll()
          .where('case_id', '=', n.caseId)
          .where('idempotency_key', '=', key)
          .executeTakeFirst();
        if (earlier !== undefined) {
          return {
            duplicate: true,
            note: {
              id: earlier.id,
              kind: noteKind(earlier.kind),
              author: earlier.author,
              text: earlier.text,
              at: earlier.created_at,
            },
          };
        }
      }
      try {
        await k
          .insertInto('case_notes')
          .values({
            id: n.id,
            case_id: n.caseId,
            app_id: n.appId,
            kind: n.kind,
            author: n.author,
            text: n.text,
            idempotency_key: key,
            created_at: n.at,
          })
          .execute();
      } catch (err) {
        if (key === null || !isUniqueViolation(err)) throw err;
        // a concurrent request with the same key won
        const earlier = await k
          .selectFrom('case_notes')
          .selectAll()
          .where('case_id', '=', n.caseId)
          .where('idempotency_key', '=', key)
          .executeTakeFirstOrThrow();
        return {
          duplicate: true,
          note: {
            id: earlier.id,
            kind: noteKind(earlier.kind),
            author: earlier.author,
            text: earlier.text,
            at: earlier.created_at,
          },
        };
      }
      return { duplicate: false, note: { id: n.id, kind: n.kind, author: n.author, text: n.text, at: n.at } };
    },

    async notes(caseId) {
      const rows = await k
        .selectFrom('case_notes')
        .selectAll()
        .where('case_id', '=', caseId)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map((r) => ({
        id: r.id,
        kind: noteKind(r.kind),
        author: r.author,
        text: r.text,
        at: r.created_at,
      }));
    },

    async overdueUnalerted(now, limit) {
      const rows = await k
        .selectFrom('cases')
        .selectAll()
        .where('status', 'in', ['open', 'in_review'])
        .where('sla_due_at', '<=', now)
        .where('overdue_alerted_at', 'is', null)
        .orderBy('sla_due_at')
        .limit(limit)
        .execute();
      return rows.map((r) => toCase(r, now));
    },

    async insertLabels(rows) {
      for (let i = 0; i < rows.length; i += 1000) {
        const part = rows.slice(i, i + 1000);
        if (part.length === 0) break;
        await k
          .insertInto('labels')
          .values(
            part.map((l) => ({
              id: l.id,
              app_id: l.appId,
              user_id: l.userId,
              event_id: l.eventId,
              decision_seq: l.decisionSeq,
              label: l.label,
              source: l.source,
              case_id: l.caseId,
              created_by: l.createdBy,
              created_at: l.at,
            })),
          )
          .execute();
      }
    },
  };
}
