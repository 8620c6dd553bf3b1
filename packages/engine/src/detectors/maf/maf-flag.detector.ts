import type { Detector, DetectorOutput, FlagColor } from '../detector.js';
import { MAF_DEFAULTS, type MafOptions } from './maf-options.js';

/**
 * The flag colour of one event's findings: GREEN with no anomaly; RED when any finding is
 * RED-level or there are at least `redAtFindings` (2) anomalies; YELLOW otherwise. The level of
 * an anomaly is read from the MAF signal that reported it (`evidence.anomaly` / `evidence.level`);
 * an anomaly written without such a signal (e.g. by another detector) counts as YELLOW.
 * @example flagOf({ signals: [], facets: { anomalies: ['login_velocity'] } }, 2); // 'YELLOW'
 */
export function flagOf(out: DetectorOutput, redAtFindings: number): FlagColor {
  const anomalies = out.facets.anomalies;
  if (anomalies === undefined || anomalies.length === 0) return 'GREEN';
  if (anomalies.length >= redAtFindings) return 'RED';
  for (const s of out.signals) {
    const anomaly = s.evidence['anomaly'];
    if (s.evidence['level'] === 'RED' && typeof anomaly === 'string' && anomalies.includes(anomaly)) {
      return 'RED';
    }
  }
  return 'YELLOW';
}

/**
 * `maf.flag`: sets `facets.flag` (GREEN / YELLOW / RED, see {@link flagOf}) from the anomalies
 * the other MAF detectors wrote on this event, on every event. It must run after them: it is
 * the last detector of `createMafDetectors`.
 * @example const flag = createMafFlagDetector(); flag.id; // 'maf.flag'
 */
export function createMafFlagDetector(opts: MafOptions = MAF_DEFAULTS): Detector {
  const redAt = Math.max(1, opts.flag.redAtFindings);
  return {
    id: 'maf.flag',
    features: [],
    detect(_ctx, out) {
      out.facets.flag = flagOf(out, redAt);
    },
  };
}
