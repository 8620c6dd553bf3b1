import {
  count,
  distinct,
  last,
  stats,
  sum,
  type CountSpec,
  type DistinctSpec,
  type LastSpec,
  type StatsSpec,
  type SumSpec,
} from '../../features/feature-spec.js';
import type { Detector, DetectorContext, DetectorOutput } from '../detector.js';
import type { OracleOptions } from './oracle-options.js';
import { emitFinding, ORACLE_TYPES, round4, seenAmount, setAnalyzerScore } from './oracle-shared.js';

/** The features the amount analyzer reads. */
export interface AmountFeatures {
  /** Running mean/std of the sender's amounts (before this transaction). */
  readonly stats: StatsSpec;
  /** Sender's previous amount and when it was sent. */
  readonly lastSent: LastSpec;
  /** Sender's distinct recipients within the dust window. */
  readonly dustRecipients: DistinctSpec;
  /** Sender's transaction count / amount total within the dust window. */
  readonly dustCount: CountSpec;
  readonly dustSum: SumSpec;
  /** Sender's transaction count / amount total within the structuring window. */
  readonly structCount: CountSpec;
  readonly structSum: SumSpec;
}

/**
 * The feature specs of the amount analyzer for the given options.
 * @example amountFeatures(ORACLE_DEFAULTS.amount).stats.kind // 'stats'
 */
export function amountFeatures(o: OracleOptions['amount']): AmountFeatures {
  return {
    stats:
      o.statsHalfLifeMs > 0
        ? stats({ entity: 'wallet', field: 'amount', types: ORACLE_TYPES, halfLife: o.statsHalfLifeMs })
        : stats({ entity: 'wallet', field: 'amount', types: ORACLE_TYPES }),
    lastSent: last({ entity: 'wallet', field: 'amount', types: ORACLE_TYPES }),
    dustRecipients: distinct({
      entity: 'wallet',
      of: 'counterparty',
      window: o.dustWindowMs,
      types: ORACLE_TYPES,
    }),
    dustCount: count({ entity: 'wallet', window: o.dustWindowMs, types: ORACLE_TYPES }),
    dustSum: sum({ entity: 'wallet', field: 'amount', window: o.dustWindowMs, types: ORACLE_TYPES }),
    structCount: count({ entity: 'wallet', window: o.structuringWindowMs, types: ORACLE_TYPES }),
    structSum: sum({ entity: 'wallet', field: 'amount', window: o.structuringWindowMs, types: ORACLE_TYPES }),
  };
}

/** Quartile offset of a normal distribution: Q1/Q3 = mean ∓ 0.6745σ, so IQR = 1.349σ. */
const Q3_Z = 0.6745;
const IQR_Z = 2 * Q3_Z;

/**
 * The amount analyzer (`oracle.amount`). Scores 0..100, the highest of:
 * - structuring: `threshold·(1 − band) <= amount < threshold` (9,000..9,999.99 by default) → 70;
 *   the previous amount also near the threshold (within the window) → 80; and at least 3
 *   transactions in the window whose mean is also in the band → 90 (AMOUNT_ANOMALY);
 * - outlier vs the sender's running stats (needs `minHistory`; amounts under `minOutlierAmount`
 *   never count): z >= `zThreshold` → 50 + 10 per extra sigma (at most 85); IQR outliers use the
 *   normal approximation of the quartiles from mean/std (Q3 = mean + 0.6745σ, IQR = 1.349σ, as
 *   the feature store keeps running moments, not quantiles): above the inner fence → 45, above
 *   the outer fence → 70 (AMOUNT_ANOMALY). Only amounts above the mean count. With
 *   `outlierScale: 'log'` (default) both checks run on ln(amount) against the log-normal matched
 *   to the wallet's mean and std, since amounts are heavy-tailed;
 * - dust attack: an amount under `dustMax` while the sender reached `dustMinRecipients` distinct
 *   recipients in the window and its mean amount there is at most `dustMeanMax` → 75, three
 *   times as many recipients → 90 (DUST_ATTACK).
 * @example createAmountDetector(resolveOracleOptions()).id // 'oracle.amount'
 */
export function createAmountDetector(opts: OracleOptions): Detector {
  const o = opts.amount;
  const F = amountFeatures(o);
  const bandLow = o.structuringThreshold * (1 - o.structuringBand);
  const logScale = o.outlierScale === 'log';
  const high = o.structuringThreshold;
  return {
    id: 'oracle.amount',
    features: Object.freeze([
      F.stats,
      F.lastSent,
      F.dustRecipients,
      F.dustCount,
      F.dustSum,
      F.structCount,
      F.structSum,
    ]),
    appliesTo: ORACLE_TYPES,
    detect(ctx: DetectorContext, out: DetectorOutput): void {
      const e = ctx.event;
      const amount = e.amount;
      let score = 0;
      if (amount === undefined || !(amount >= 0)) {
        setAnalyzerScore(out, 'amount', 0);
        return;
      }
      const f = ctx.features;
      const wallet = e.wallet;

      if (amount >= bandLow && amount < high) {
        let s = 70;
        let repeatedPrev = false;
        let windowCount = 0;
        let windowMean = 0;
        if (wallet !== undefined) {
          const prev = f.get(F.lastSent);
          const prevAmount = seenAmount(prev);
          repeatedPrev =
            prev !== undefined &&
            prevAmount !== undefined &&
            prevAmount >= bandLow &&
            prevAmount < high &&
            Math.abs(e.at - prev.at) <= o.structuringWindowMs;
          windowCount = f.get(F.structCount);
          windowMean = windowCount > 0 ? f.get(F.structSum) / windowCount : 0;
          if (repeatedPrev) s = windowCount >= 3 && windowMean >= bandLow && windowMean < high ? 90 : 80;
        }
        score = s;
        emitFinding(
          out,
          'amount',
          'oracle.amount.structuring',
          s,
          'AMOUNT_ANOMALY',
          repeatedPrev
            ? `Repeated amounts just under the ${high} reporting threshold (${amount} now, ${windowCount} transactions in the window): structuring.`
            : `The amount ${amount} sits just under the ${high} reporting threshold, a classic structuring amount.`,
          {
            amount,
            threshold: high,
            repeated: repeatedPrev,
            windowCount,
            windowMean: round4(windowMean),
          },
        );
      }

      if (wallet === undefined) {
        setAnalyzerScore(out, 'amount', score);
        return;
      }

      if (amount >= o.minOutlierAmount) {
        const st = f.get(F.stats);
        if (st.n >= o.minHistory && amount > st.mean) {
          const floor = Math.abs(st.mean) * o.minStdShare;
          const sdRaw = st.std > floor ? st.std : floor > 0 ? floor : 1e-9;
          // On the log scale: the log-normal with this mean and std (moment matching).
          let center = st.mean;
          let sd = sdRaw;
          let x = amount;
          if (logScale && st.mean > 0) {
            const cv = sdRaw / st.mean;
            const s2 = Math.log(1 + cv * cv);
            center = Math.log(st.mean) - s2 / 2;
            sd = Math.sqrt(s2);
            x = Math.log(amount);
          }
          const z = (x - center) / sd;
          let s = 0;
          if (z >= o.zThreshold) {
            const zs = 50 + 10 * (z - o.zThreshold);
            s = zs > 85 ? 85 : zs;
          }
          const q3 = center + Q3_Z * sd;
          const iqr = IQR_Z * sd;
          const fence = x > q3 + o.iqrOuter * iqr ? 'outer' : x > q3 + o.iqrInner * iqr ? 'inner' : 'none';
          const fs = fence === 'outer' ? 70 : fence === 'inner' ? 45 : 0;
          if (fs > s) s = fs;
          if (s > 0) {
            s = Math.round(s);
            if (s > score) score = s;
            emitFinding(
              out,
              'amount',
              'oracle.amount.outlier',
              s,
              'AMOUNT_ANOMALY',
              `The amount ${amount} is ${round4(z)} standard deviations above this wallet's usual ${round4(st.mean)}${logScale ? ' (on the log scale amounts follow)' : ''}.`,
              {
                amount,
                mean: round4(st.mean),
                std: round4(st.std),
                z: round4(z),
                scale: o.outlierScale,
                fence,
                history: st.n,
              },
            );
          }
        }
      }

      if (amount < o.dustMax && e.counterparty !== undefined) {
        const recipients = f.get(F.dustRecipients);
        if (recipients >= o.dustMinRecipients) {
          const n = f.get(F.dustCount);
          const mean = n > 0 ? f.get(F.dustSum) / n : 0;
          if (mean <= o.dustMeanMax) {
            const s = recipients >= 3 * o.dustMinRecipients ? 90 : 75;
            if (s > score) score = s;
            emitFinding(
              out,
              'amount',
              'oracle.amount.dust',
              s,
              'DUST_ATTACK',
              `The wallet sent dust (${amount}) to ${recipients} different addresses within the window: a dusting attack to trace or poison them.`,
              { amount, recipients, windowMean: round4(mean), windowMs: o.dustWindowMs },
            );
          }
        }
      }

      setAnalyzerScore(out, 'amount', score);
    },
  };
}
