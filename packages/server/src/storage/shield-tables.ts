import type { Kysely } from 'kysely';
import type { Db } from './database.js';
import type { DB } from './schema.js';

/**
 * Row types the shield's migration (0940) adds: new columns of `enforcements` and `cases`, and
 * the case, label, feedback and shared-intelligence tables. Kept apart from `schema.ts` (which
 * other features extend at the same time); {@link shieldKysely} merges them into the schema.
 */

/** Columns 0940 adds to `enforcements` (nullable: rows written before it have none). */
export type EnforcementsShieldColumns = {
  /** `account` (suspensions, blocks, bans) or `features` (restrictions). */
  kind: string | null;
  tier: string | null;
  /** `decision` or `manual`. */
  source: string | null;
  case_id: string | null;
  requires_review: number | null;
  review_due_at: number | null;
  reviewed_at: number | null;
  reviewed_by: string | null;
  lift_reason: string | null;
  lifted_by: string | null;
  updated_at: number | null;
};

/** Columns 0940 adds to `cases`. */
export type CasesShieldColumns = {
  tier: string | null;
  resolution_note: string | null;
  resolved_by: string | null;
  overdue_alerted_at: number | null;
};

export type CaseDecisionsTable = {
  case_id: string;
  decision_seq: number;
  added_at: number;
};

export type CaseNotesTable = {
  id: string;
  case_id: string;
  app_id: string;
  /** created | note | assign | resolve | approve | reject | lift */
  kind: string;
  author: string;
  text: string;
  idempotency_key: string | null;
  created_at: number;
};

export type LabelsTable = {
  id: string;
  app_id: string;
  user_id: string | null;
  event_id: string | null;
  decision_seq: number | null;
  /** confirmed_fraud | false_positive | inconclusive */
  label: string;
  /** Where it came from: `case`. */
  source: string;
  case_id: string | null;
  created_by: string;
  created_at: number;
};

export type UserFeedbackTable = {
  app_id: string;
  user_id: string;
  /** `false_positive`. */
  kind: string;
  until: number;
  case_id: string | null;
  created_at: number;
};

export type IntelEntriesTable = {
  id: string;
  /** device | ip | wallet | email */
  kind: string;
  /** sha256(pepper, kind, canonical value), hex. */
  hash: string;
  source_app: string;
  /** confirmed_fraud | list | manual */
  source: string;
  reason: string;
  case_id: string | null;
  created_by: string;
  created_at: number;
  expires_at: number | null;
};

export type IntelSettingsTable = {
  app_id: string;
  contribute: number;
  consume: number;
  updated_at: number;
};

export type IntelPepperTable = {
  id: string;
  value: string;
  created_at: number;
};

/** The tables and columns of migration 0940. */
export type ShieldTables = {
  enforcements: EnforcementsShieldColumns;
  cases: CasesShieldColumns;
  case_decisions: CaseDecisionsTable;
  case_notes: CaseNotesTable;
  labels: LabelsTable;
  user_feedback: UserFeedbackTable;
  intel_entries: IntelEntriesTable;
  intel_settings: IntelSettingsTable;
  intel_pepper: IntelPepperTable;
};

/** The schema as the shield's stores see it. */
export type ShieldDB = DB & ShieldTables;

/**
 * The database (or open transaction) typed with the shield's tables and columns as well.
 * @example const row = await shieldKysely(db).selectFrom('labels').selectAll().execute();
 */
export function shieldKysely(db: Db): Kysely<ShieldDB> {
  return db.kysely.withTables<ShieldTables>();
}
