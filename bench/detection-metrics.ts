/**
 * Pure helpers of the engine benchmark: latency percentiles and detection quality from
 * labelled decisions. Kept apart from the benchmark script so they are unit-tested.
 */

/**
 * Nearest-rank percentile of an ascending array (p in 0..100).
 * @example percentile(Float64Array.from([1, 2, 3, 4]), 50); // 2
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const rank = Math.min(n, Math.max(1, Math.ceil((p / 100) * n)));
  return sorted[rank - 1] ?? 0;
}

/** One scored event as detection metrics see it. */
export interface ScoredRow {
  /** 'normal' or the attack scenario. */
  readonly scenario: string;
  /** Attack episode number (0 for normal events). */
  readonly episode: number;
  readonly type: string;
  /** Whether the engine flagged the event (see {@link DetectionReport.rule}). */
  readonly flagged: boolean;
  readonly risk: number;
}

/** Detection quality of one scenario. */
export interface ScenarioDetection {
  /** Malicious events of the scenario. */
  readonly events: number;
  readonly flagged: number;
  /** flagged / events. */
  readonly recall: number;
  readonly episodes: number;
  /** Episodes with at least one flagged event. */
  readonly episodesDetected: number;
  readonly episodeRecall: number;
  /**
   * flagged / (flagged + normal events flagged among the event types this scenario uses): how
   * trustworthy a flag on those event types is if this were the only attack.
   */
  readonly precision: number;
  readonly meanRisk: number;
  readonly types: readonly string[];
}

/** Detection quality over a run. */
export interface DetectionReport {
  readonly rule: string;
  readonly normalEvents: number;
  readonly maliciousEvents: number;
  readonly truePositives: number;
  readonly falsePositives: number;
  /** TP / (TP + FP). */
  readonly precision: number;
  /** TP / malicious events. */
  readonly recall: number;
  /** FP / normal events. */
  readonly falsePositiveRate: number;
  readonly scenarios: Readonly<Record<string, ScenarioDetection>>;
  /** Normal events and false positives per event type. */
  readonly normalByType: Readonly<Record<string, { readonly events: number; readonly flagged: number }>>;
}

const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);

/**
 * Aggregates labelled, scored rows into recall per scenario (per event and per episode),
 * precision (overall and per scenario) and the false-positive rate on normal traffic.
 * @example
 * detectionReport([{ scenario: 'normal', episode: 0, type: 'login', flagged: false, risk: 0.1 }], 'outcome != allow');
 */
export function detectionReport(rows: Iterable<ScoredRow>, rule: string): DetectionReport {
  interface Acc {
    events: number;
    flagged: number;
    risk: number;
    episodes: Set<number>;
    detected: Set<number>;
    types: Set<string>;
  }
  const acc = new Map<string, Acc>();
  const normalByType = new Map<string, { events: number; flagged: number }>();
  let normal = 0;
  let fp = 0;
  for (const r of rows) {
    if (r.scenario === 'normal') {
      normal++;
      const t = normalByType.get(r.type) ?? { events: 0, flagged: 0 };
      t.events++;
      if (r.flagged) {
        t.flagged++;
        fp++;
      }
      normalByType.set(r.type, t);
      continue;
    }
    let a = acc.get(r.scenario);
    if (a === undefined) {
      a = { events: 0, flagged: 0, risk: 0, episodes: new Set(), detected: new Set(), types: new Set() };
      acc.set(r.scenario, a);
    }
    a.events++;
    a.risk += r.risk;
    a.episodes.add(r.episode);
    a.types.add(r.type);
    if (r.flagged) {
      a.flagged++;
      a.detected.add(r.episode);
    }
  }
  let malicious = 0;
  let tp = 0;
  const scenarios: Record<string, ScenarioDetection> = {};
  for (const [name, a] of [...acc].sort(([x], [y]) => x.localeCompare(y))) {
    malicious += a.events;
    tp += a.flagged;
    let fpOfTypes = 0;
    for (const t of a.types) fpOfTypes += normalByType.get(t)?.flagged ?? 0;
    scenarios[name] = {
      events: a.events,
      flagged: a.flagged,
      recall: ratio(a.flagged, a.events),
      episodes: a.episodes.size,
      episodesDetected: a.detected.size,
      episodeRecall: ratio(a.detected.size, a.episodes.size),
      precision: ratio(a.flagged, a.flagged + fpOfTypes),
      meanRisk: ratio(a.risk, a.events),
      types: [...a.types].sort(),
    };
  }
  return {
    rule,
    normalEvents: normal,
    maliciousEvents: malicious,
    truePositives: tp,
    falsePositives: fp,
    precision: ratio(tp, tp + fp),
    recall: ratio(tp, malicious),
    falsePositiveRate: ratio(fp, normal),
    scenarios,
    normalByType: Object.fromEntries([...normalByType].sort(([x], [y]) => x.localeCompare(y))),
  };
}

/**
 * Counts of string keys, for "which signals fired" tables.
 * @example const t = createTally(); t.add('travel.impossible'); t.top(5); // [['travel.impossible', 1]]
 */
export function createTally(): {
  add(key: string): void;
  top(n: number): [string, number][];
  readonly total: number;
} {
  const m = new Map<string, number>();
  let total = 0;
  return {
    add(key) {
      m.set(key, (m.get(key) ?? 0) + 1);
      total++;
    },
    top(n) {
      return [...m].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).slice(0, n);
    },
    get total() {
      return total;
    },
  };
}
