import { OUTCOMES, RISK_LEVELS, type Outcome, type RiskLevel } from '@vigil/engine';

/** What a backtest compares the candidate with: the current configuration replayed, or the stored live decisions. */
export const BACKTEST_BASELINES = ['config', 'live'] as const;
export type BacktestBaseline = (typeof BACKTEST_BASELINES)[number];

/**
 * Cost figures of a backtest. Missed fraud costs `missedFraudRate` × the event's amount (a positive
 * event allowed); every flagged event (outcome `review` or `challenge`: someone or something has to
 * look at it) costs `reviewCost`; every negative event blocked costs `falseBlockCost`.
 */
export interface BacktestCosts {
  readonly missedFraudRate: number;
  readonly reviewCost: number;
  readonly falseBlockCost: number;
}

/** The costs used when a request gives none. @example DEFAULT_BACKTEST_COSTS.reviewCost; // 2 */
export const DEFAULT_BACKTEST_COSTS: BacktestCosts = Object.freeze({
  missedFraudRate: 1,
  reviewCost: 2,
  falseBlockCost: 20,
});

/** Label values that mean fraud; `false_positive` and `legit` mean not fraud; anything else is unlabelled. */
export const POSITIVE_LABELS = ['confirmed_fraud', 'fraud', 'chargeback'] as const;
/** Label values that mean the event or user was legitimate. */
export const NEGATIVE_LABELS = ['false_positive', 'legit'] as const;

/** A label's meaning for the metrics. */
export type LabelClass = 'positive' | 'negative';

/**
 * The class of a stored label value, or undefined when it does not count (e.g. `inconclusive`).
 * @example labelClass('chargeback'); // 'positive'
 */
export function labelClass(label: string): LabelClass | undefined {
  if ((POSITIVE_LABELS as readonly string[]).includes(label)) return 'positive';
  if ((NEGATIVE_LABELS as readonly string[]).includes(label)) return 'negative';
  return undefined;
}

/** Confusion counts of "outcome != allow" against the labels, and what follows from them. */
export interface LabelMetrics {
  readonly tp: number;
  readonly fp: number;
  readonly fn: number;
  readonly tn: number;
  /** null when nothing was flagged (precision undefined). */
  readonly precision: number | null;
  /** null when there is no positive label. */
  readonly recall: number | null;
  readonly f1: number | null;
}

/** The cost of one side, by component. */
export interface CostBreakdown {
  /** Amount of the positive events allowed. */
  readonly missedFraudAmount: number;
  readonly missedFraudCost: number;
  readonly flagged: number;
  readonly reviewCost: number;
  readonly falseBlocks: number;
  readonly falseBlockCost: number;
  readonly total: number;
}

/** Decision counts of one side. */
export interface SideCounts {
  readonly byLevel: Readonly<Record<RiskLevel, number>>;
  readonly byOutcome: Readonly<Record<Outcome, number>>;
}

/** Users whose block status changed, by outcome `block` on at least one compared event. */
export interface UserChanges {
  readonly newlyBlocked: number;
  readonly released: number;
  /** Sorted, at most {@link MAX_LISTED_USERS}. */
  readonly newlyBlockedUsers: readonly string[];
  readonly releasedUsers: readonly string[];
}

/** Most users listed by name in a report (counts are always complete). @example MAX_LISTED_USERS; // 1000 */
export const MAX_LISTED_USERS = 1000;

/** The outcome of a finished backtest. */
export interface BacktestReport {
  readonly events: {
    /** Events replayed (warm-up included). */
    readonly replayed: number;
    /** Replayed only to build features (event time before `from`, or after `to` but logged before an event in range). */
    readonly warmup: number;
    /** Events in [from, to] whose decisions were compared. */
    readonly compared: number;
    /** Events in range with no stored decision (live baseline only; not compared). */
    readonly baselineMissing: number;
    /** Compared events whose outcome differs. */
    readonly changed: number;
  };
  readonly baseline: SideCounts;
  readonly candidate: SideCounts;
  /** `outcomes[baseline][candidate]`: how many compared events moved from one outcome to the other. */
  readonly transitions: {
    readonly outcomes: Readonly<Record<Outcome, Readonly<Record<Outcome, number>>>>;
    readonly levels: Readonly<Record<RiskLevel, Readonly<Record<RiskLevel, number>>>>;
  };
  readonly users: UserChanges;
  readonly labels: {
    readonly positive: number;
    readonly negative: number;
    /** Compared events without a usable label: excluded from precision/recall. */
    readonly unlabelled: number;
    /** Labels taken from the event itself; the rest come from a label on its user. */
    readonly fromEvent: number;
    readonly fromUser: number;
  };
  readonly metrics: { readonly baseline: LabelMetrics; readonly candidate: LabelMetrics };
  readonly costs: BacktestCosts;
  readonly cost: {
    readonly baseline: CostBreakdown;
    readonly candidate: CostBreakdown;
    /** candidate − baseline (negative: the candidate is cheaper). */
    readonly delta: number;
  };
}

/** One compared event's decisions, as the accumulator needs them. */
export interface ComparedEvent {
  readonly user: string | undefined;
  readonly amount: number | undefined;
  readonly baseline: { readonly level: RiskLevel; readonly outcome: Outcome };
  readonly candidate: { readonly level: RiskLevel; readonly outcome: Outcome };
  /** The event's label class, undefined when unlabelled. */
  readonly label: LabelClass | undefined;
  /** Where the label came from. */
  readonly labelSource?: 'event' | 'user';
}

/** Accumulates compared events into a {@link BacktestReport}. */
export interface BacktestAccumulator {
  add(e: ComparedEvent): void;
  /** Counts an event replayed for warm-up only. */
  warmup(): void;
  /** Counts an event in range without a stored live decision. */
  missingBaseline(): void;
  report(): BacktestReport;
}

function zeros<K extends string>(keys: readonly K[]): Record<K, number> {
  const out: Partial<Record<K, number>> = {};
  for (const k of keys) out[k] = 0;
  return out as Record<K, number>;
}

function matrix<K extends string>(keys: readonly K[]): Record<K, Record<K, number>> {
  const out: Partial<Record<K, Record<K, number>>> = {};
  for (const k of keys) out[k] = zeros(keys);
  return out as Record<K, Record<K, number>>;
}

const ratio = (num: number, den: number): number | null => (den === 0 ? null : num / den);

function metricsOf(c: { tp: number; fp: number; fn: number; tn: number }): LabelMetrics {
  const precision = ratio(c.tp, c.tp + c.fp);
  const recall = ratio(c.tp, c.tp + c.fn);
  const f1 =
    precision === null || recall === null
      ? null
      : precision + recall === 0
        ? 0
        : (2 * precision * recall) / (precision + recall);
  return { ...c, precision, recall, f1 };
}

interface SideState {
  readonly counts: { byLevel: Record<RiskLevel, number>; byOutcome: Record<Outcome, number> };
  readonly confusion: { tp: number; fp: number; fn: number; tn: number };
  missedFraudAmount: number;
  flagged: number;
  falseBlocks: number;
}

function side(): SideState {
  return {
    counts: { byLevel: zeros(RISK_LEVELS), byOutcome: zeros(OUTCOMES) },
    confusion: { tp: 0, fp: 0, fn: 0, tn: 0 },
    missedFraudAmount: 0,
    flagged: 0,
    falseBlocks: 0,
  };
}

function addTo(
  s: SideState,
  d: { readonly level: RiskLevel; readonly outcome: Outcome },
  e: ComparedEvent,
): void {
  s.counts.byLevel[d.level]++;
  s.counts.byOutcome[d.outcome]++;
  if (d.outcome === 'review' || d.outcome === 'challenge') s.flagged++;
  const predicted = d.outcome !== 'allow';
  if (e.label === 'positive') {
    if (predicted) s.confusion.tp++;
    else {
      s.confusion.fn++;
      const amount = e.amount;
      if (amount !== undefined && Number.isFinite(amount) && amount > 0) s.missedFraudAmount += amount;
    }
  } else if (e.label === 'negative') {
    if (predicted) s.confusion.fp++;
    else s.confusion.tn++;
    if (d.outcome === 'block') s.falseBlocks++;
  }
}

function costOf(s: SideState, costs: BacktestCosts): CostBreakdown {
  const missedFraudCost = s.missedFraudAmount * costs.missedFraudRate;
  const reviewCost = s.flagged * costs.reviewCost;
  const falseBlockCost = s.falseBlocks * costs.falseBlockCost;
  return {
    missedFraudAmount: s.missedFraudAmount,
    missedFraudCost,
    flagged: s.flagged,
    reviewCost,
    falseBlocks: s.falseBlocks,
    falseBlockCost,
    total: missedFraudCost + reviewCost + falseBlockCost,
  };
}

const BASELINE_BLOCKS = 1;
const CANDIDATE_BLOCKS = 2;

/**
 * Creates the accumulator of a backtest: counts, transition matrices, users newly blocked or
 * released, precision/recall/F1 of "outcome != allow" against the labels, and the cost figure.
 * @example
 * const acc = createBacktestAccumulator(DEFAULT_BACKTEST_COSTS);
 * acc.add({ user: 'u1', amount: 1500, baseline: { level: 'LOW', outcome: 'allow' }, candidate: { level: 'HIGH', outcome: 'block' }, label: 'positive' });
 * acc.report().users.newlyBlocked; // 1
 */
export function createBacktestAccumulator(costs: BacktestCosts): BacktestAccumulator {
  const base = side();
  const cand = side();
  const outcomes = matrix(OUTCOMES);
  const levels = matrix(RISK_LEVELS);
  const blocks = new Map<string, number>();
  let warmup = 0;
  let compared = 0;
  let missing = 0;
  let changed = 0;
  const labels = { positive: 0, negative: 0, unlabelled: 0, fromEvent: 0, fromUser: 0 };

  return {
    add(e) {
      compared++;
      addTo(base, e.baseline, e);
      addTo(cand, e.candidate, e);
      outcomes[e.baseline.outcome][e.candidate.outcome]++;
      levels[e.baseline.level][e.candidate.level]++;
      if (e.baseline.outcome !== e.candidate.outcome) changed++;
      if (e.label === undefined) labels.unlabelled++;
      else {
        labels[e.label]++;
        if (e.labelSource === 'user') labels.fromUser++;
        else labels.fromEvent++;
      }
      if (e.user !== undefined) {
        let bits = blocks.get(e.user) ?? 0;
        if (e.baseline.outcome === 'block') bits |= BASELINE_BLOCKS;
        if (e.candidate.outcome === 'block') bits |= CANDIDATE_BLOCKS;
        blocks.set(e.user, bits);
      }
    },
    warmup() {
      warmup++;
    },
    missingBaseline() {
      missing++;
    },
    report() {
      const newly: string[] = [];
      const released: string[] = [];
      for (const [user, bits] of blocks) {
        if (bits === CANDIDATE_BLOCKS) newly.push(user);
        else if (bits === BASELINE_BLOCKS) released.push(user);
      }
      newly.sort();
      released.sort();
      const baseCost = costOf(base, costs);
      const candCost = costOf(cand, costs);
      return {
        events: {
          replayed: warmup + compared + missing,
          warmup,
          compared,
          baselineMissing: missing,
          changed,
        },
        baseline: base.counts,
        candidate: cand.counts,
        transitions: { outcomes, levels },
        users: {
          newlyBlocked: newly.length,
          released: released.length,
          newlyBlockedUsers: newly.slice(0, MAX_LISTED_USERS),
          releasedUsers: released.slice(0, MAX_LISTED_USERS),
        },
        labels,
        metrics: { baseline: metricsOf(base.confusion), candidate: metricsOf(cand.confusion) },
        costs,
        cost: { baseline: baseCost, candidate: candCost, delta: candCost.total - baseCost.total },
      };
    },
  };
}
