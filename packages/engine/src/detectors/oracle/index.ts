import type { Detector } from '../detector.js';
import { createAmountDetector } from './amount.detector.js';
import { createGraphDetector } from './graph.detector.js';
import { resolveOracleOptions, type OracleOptionsInput } from './oracle-options.js';
import { createPatternDetector } from './pattern.detector.js';
import { createTimingDetector } from './timing.detector.js';
import { createVelocityDetector } from './velocity.detector.js';

export {
  ORACLE_DEFAULTS,
  OUTLIER_SCALES,
  OracleOptionsSchema,
  resolveOracleOptions,
  type AmountOptions,
  type GraphOptions,
  type OracleOptions,
  type OracleOptionsInput,
  type OutlierScale,
  type PatternOptions,
  type TimingOptions,
  type VelocityOptions,
} from './oracle-options.js';
export {
  ANALYZER_NAMES,
  ANALYZER_WEIGHTS,
  RISK_ACTIONS,
  RISK_LEVEL_ACTIONS,
  ensembleScore,
  riskLevelOf,
  riskVerdictOf,
  type AnalyzerName,
  type RiskAction,
  type RiskVerdict,
} from './oracle-ensemble.js';
export { createVelocityDetector, velocityFeatures, velocityRatioScore } from './velocity.detector.js';
export { createAmountDetector, amountFeatures } from './amount.detector.js';
export { createPatternDetector, patternFeatures } from './pattern.detector.js';
export { createGraphDetector, graphFeatures, GRAPH_SCORES } from './graph.detector.js';
export {
  createTimingDetector,
  timingFeatures,
  utcHour,
  utcWeekday,
  isLateHour,
  localHour,
} from './timing.detector.js';

/**
 * The oracle's five transaction analyzers as detectors, in the spec's order: `oracle.velocity`,
 * `oracle.amount`, `oracle.pattern`, `oracle.graph`, `oracle.timing`. Options are merged one level
 * deep with {@link ORACLE_DEFAULTS} (each analyzer's object shallowly).
 * @example
 * const detectors = createOracleDetectors({ amount: { structuringThreshold: 3000 } });
 * detectors.map((d) => d.id); // ['oracle.velocity', 'oracle.amount', 'oracle.pattern', 'oracle.graph', 'oracle.timing']
 */
export function createOracleDetectors(opts?: OracleOptionsInput): Detector[] {
  const o = resolveOracleOptions(opts);
  return [
    createVelocityDetector(o),
    createAmountDetector(o),
    createPatternDetector(o),
    createGraphDetector(o),
    createTimingDetector(o),
  ];
}
