import type { FlagColor } from '../detector.js';
import type { Outcome } from '../signal.js';
import { mergeSections } from '../behavior/merge-options.js';
import {
  MAF_DEFAULTS,
  type EscalationAction,
  type MafOptions,
  type MafOverrides,
  type ScoreBand,
} from './maf-options.js';

/** The outcome each escalation action asks of the decision (it may only raise the outcome). */
export const ESCALATION_OUTCOMES = {
  allow: 'allow',
  monitor: 'allow',
  challenge: 'challenge',
  restrict: 'review',
  block: 'block',
} as const satisfies Record<EscalationAction, Outcome>;

/** One cell of the escalation matrix. */
export interface EscalationResult {
  readonly flag: FlagColor;
  readonly band: ScoreBand;
  readonly action: EscalationAction;
  /** The decision outcome the action maps to (`monitor` → allow, `restrict` → review). */
  readonly outcome: Outcome;
  /** One sentence for the explanation. */
  readonly reason: string;
}

type Table = Readonly<Record<FlagColor, Readonly<Record<ScoreBand, EscalationResult>>>>;

function bandLabel(band: ScoreBand, e: MafOptions['escalation']): string {
  switch (band) {
    case 'critical':
      return `below ${e.criticalBelow}`;
    case 'low':
      return `${e.criticalBelow}-${e.lowBelow - 1}`;
    case 'medium':
      return `${e.lowBelow}-${e.mediumBelow - 1}`;
    case 'high':
      return `${e.mediumBelow} or more`;
  }
}

function buildTable(e: MafOptions['escalation']): Table {
  const row = (flag: FlagColor) => {
    const cell = (band: ScoreBand): EscalationResult => {
      const action = e.matrix[flag][band];
      return Object.freeze({
        flag,
        band,
        action,
        outcome: ESCALATION_OUTCOMES[action],
        reason: `${flag} flag with a ${band} behaviour score (${bandLabel(band, e)}): ${action}.`,
      });
    };
    return Object.freeze({
      critical: cell('critical'),
      low: cell('low'),
      medium: cell('medium'),
      high: cell('high'),
    });
  };
  return Object.freeze({ GREEN: row('GREEN'), YELLOW: row('YELLOW'), RED: row('RED') });
}

/**
 * The score band of a behaviour score (a non-finite score counts as critical: fail closed).
 * @example scoreBand(45); // 'low'
 */
export function scoreBand(
  behaviorScore: number,
  e: MafOptions['escalation'] = MAF_DEFAULTS.escalation,
): ScoreBand {
  if (!Number.isFinite(behaviorScore) || behaviorScore < e.criticalBelow) return 'critical';
  if (behaviorScore < e.lowBelow) return 'low';
  if (behaviorScore < e.mediumBelow) return 'medium';
  return 'high';
}

const defaultTable = buildTable(MAF_DEFAULTS.escalation);
const tables = new WeakMap<object, { readonly e: MafOptions['escalation']; readonly t: Table }>();

/**
 * The escalation matrix of the anomaly flagger: combines the MAF flag with the behaviour score
 * (0..100) into an action. Bands: critical < 20 ≤ low < 50 ≤ medium < 70 ≤ high. Default matrix:
 *
 * | flag   | critical  | low       | medium    | high      |
 * |--------|-----------|-----------|-----------|-----------|
 * | GREEN  | challenge | monitor   | allow     | allow     |
 * | YELLOW | restrict  | challenge | monitor   | monitor   |
 * | RED    | block     | restrict  | challenge | challenge |
 *
 * `opts` are MAF overrides (or full options); only `escalation` is read. Results are
 * precomputed per options object, so calling with the same `opts` allocates nothing.
 * @example escalate('RED', 35); // { action: 'restrict', outcome: 'review', band: 'low', ... }
 */
export function escalate(
  flag: FlagColor,
  behaviorScore: number,
  opts?: MafOverrides | Partial<MafOptions>,
): EscalationResult {
  let e = MAF_DEFAULTS.escalation;
  let t = defaultTable;
  if (opts !== undefined && opts.escalation !== undefined) {
    let hit = tables.get(opts);
    if (hit === undefined) {
      const merged = mergeSections(MAF_DEFAULTS, { escalation: opts.escalation }).escalation;
      hit = { e: merged, t: buildTable(merged) };
      tables.set(opts, hit);
    }
    e = hit.e;
    t = hit.t;
  }
  return t[flag][scoreBand(behaviorScore, e)];
}
