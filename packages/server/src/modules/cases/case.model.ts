import type { Tier } from '@vigil/engine';

/** Where a review case is: new, being looked at by someone, done. */
export const CASE_STATUSES = ['open', 'in_review', 'resolved'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];

/** What the review concluded. Each is also written as a training label. */
export const CASE_RESOLUTIONS = ['confirmed_fraud', 'false_positive', 'inconclusive'] as const;
export type CaseResolution = (typeof CASE_RESOLUTIONS)[number];

/** How urgent a case is, lowest first. */
export const CASE_PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type CasePriority = (typeof CASE_PRIORITIES)[number];

/** Timeline entry kinds of a case. */
export const CASE_NOTE_KINDS = ['created', 'note', 'assign', 'resolve', 'approve', 'reject', 'lift'] as const;
export type CaseNoteKind = (typeof CASE_NOTE_KINDS)[number];

/** @example isCaseStatus('open'); // true */
export function isCaseStatus(s: string): s is CaseStatus {
  return (CASE_STATUSES as readonly string[]).includes(s);
}

/** @example isCaseResolution('false_positive'); // true */
export function isCaseResolution(s: string): s is CaseResolution {
  return (CASE_RESOLUTIONS as readonly string[]).includes(s);
}

/** @example isCasePriority('high'); // true */
export function isCasePriority(s: string): s is CasePriority {
  return (CASE_PRIORITIES as readonly string[]).includes(s);
}

/** @example higherPriority('normal', 'urgent'); // 'urgent' */
export function higherPriority(a: CasePriority, b: CasePriority): CasePriority {
  return CASE_PRIORITIES.indexOf(a) >= CASE_PRIORITIES.indexOf(b) ? a : b;
}

/** A review case as the API shows it. Times are epoch ms. */
export interface Case {
  readonly id: string;
  readonly appId: string;
  readonly userId: string | null;
  readonly status: CaseStatus;
  readonly priority: CasePriority;
  readonly reason: string;
  readonly tier: Tier | null;
  /** The decision that opened it. */
  readonly decisionSeq: number | null;
  readonly assignee: string | null;
  /** Review deadline from the tier's SLA. */
  readonly slaDueAt: number | null;
  /** Unresolved past its deadline at read time. */
  readonly overdue: boolean;
  readonly resolution: CaseResolution | null;
  readonly resolutionNote: string | null;
  readonly resolvedBy: string | null;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly resolvedAt: number | null;
}

/** One timeline entry. */
export interface CaseNote {
  readonly id: string;
  readonly kind: CaseNoteKind;
  readonly author: string;
  readonly text: string;
  readonly at: number;
}
