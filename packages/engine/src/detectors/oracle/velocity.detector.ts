import {
  count,
  first,
  last,
  type CountSpec,
  type FirstSpec,
  type LastSpec,
} from '../../features/feature-spec.js';
import type { Detector, DetectorContext, DetectorOutput } from '../detector.js';
import type { OracleOptions } from './oracle-options.js';
import {
  emitFinding,
  nearlyEqual,
  ORACLE_TYPES,
  round4,
  seenAmount,
  setAnalyzerScore,
} from './oracle-shared.js';

/** The features the velocity analyzer reads. */
export interface VelocityFeatures {
  /** Sender's transactions in the short window (including this one). */
  readonly window: CountSpec;
  /** Sender's transactions in the baseline window (including this one). */
  readonly baseline: CountSpec;
  /** Sender's transactions in the burst window (including this one). */
  readonly burst: CountSpec;
  /** Sender's first money event. */
  readonly firstSeen: FirstSpec;
  /** Sender's previous money event (its time gives the last gap). */
  readonly lastSent: LastSpec;
  /** Last amount sent over this pair: keeps the state the reverse read below needs. */
  readonly pairLast: LastSpec;
  /** Last amount sent the other way (recipient → sender): the borrow leg of a flash loan. */
  readonly reversePairLast: LastSpec;
}

/**
 * The feature specs of the velocity analyzer for the given options.
 * @example velocityFeatures(ORACLE_DEFAULTS.velocity).window.window // 3_600_000
 */
export function velocityFeatures(o: OracleOptions['velocity']): VelocityFeatures {
  return {
    window: count({ entity: 'wallet', window: o.windowMs, types: ORACLE_TYPES }),
    baseline: count({ entity: 'wallet', window: o.baselineMs, types: ORACLE_TYPES }),
    burst: count({ entity: 'wallet', window: o.burstWindowMs, types: ORACLE_TYPES }),
    firstSeen: first({ entity: 'wallet', types: ORACLE_TYPES }),
    lastSent: last({ entity: 'wallet', field: 'amount', types: ORACLE_TYPES }),
    pairLast: last({ entity: 'pair', field: 'amount', types: ORACLE_TYPES }),
    reversePairLast: last({ entity: 'pair', field: 'amount', types: ORACLE_TYPES, readAs: 'reverse_pair' }),
  };
}

/**
 * Velocity score of an observed-to-expected ratio: >= critical → 90, >= high → 70,
 * >= elevated → 40, else 0. The spec says "> 10x → 90, > 5x → 70"; exactly 10x and 5x are
 * included so the spec's own examples (10x, 5x) land in their bands.
 * @example velocityRatioScore(10, ORACLE_DEFAULTS.velocity) // 90
 */
export function velocityRatioScore(ratio: number, o: OracleOptions['velocity']): number {
  if (ratio >= o.criticalRatio) return 90;
  if (ratio >= o.highRatio) return 70;
  if (ratio >= o.elevatedRatio) return 40;
  return 0;
}

/**
 * The velocity analyzer (`oracle.velocity`). Scores 0..100, the highest of:
 * - baseline ratio: sender's transactions in the last window vs the rate expected from the
 *   baseline window before it (needs `minHistoryMs` of history and `minHistoryTx` earlier
 *   transactions; the expected count is floored at `minExpectedPerWindow`) → 40 / 70 / 90;
 * - burst: `burstCount` transactions within `burstWindowMs` (no history needed) → 70, twice → 85;
 * - bot-like cadence: at least `botMinPerWindow` transactions in the window and the last gap within
 *   `botGapTolerance` of the window's mean gap → 50. Only the last gap is known to the feature
 *   kinds, so this is a weak, single-sample regularity check (a steady bot hits it every time,
 *   Poisson-like human traffic about 7% of the time at the default tolerance);
 * - flash loan: `attrs.kind === 'flash_loan'`, or a large transfer answering a near-equal transfer
 *   the other way within `flashLoanWindowMs` → 95 (FLASH_LOAN_ATTACK).
 * @example
 * const d = createVelocityDetector(resolveOracleOptions());
 * d.id // 'oracle.velocity'
 */
export function createVelocityDetector(opts: OracleOptions): Detector {
  const o = opts.velocity;
  const F = velocityFeatures(o);
  return {
    id: 'oracle.velocity',
    features: Object.freeze([
      F.window,
      F.baseline,
      F.burst,
      F.firstSeen,
      F.lastSent,
      F.pairLast,
      F.reversePairLast,
    ]),
    appliesTo: ORACLE_TYPES,
    detect(ctx: DetectorContext, out: DetectorOutput): void {
      const e = ctx.event;
      let score = 0;
      if (e.attrs?.['kind'] === 'flash_loan') {
        score = 95;
        emitFinding(
          out,
          'velocity',
          'oracle.velocity.flash_loan',
          95,
          'FLASH_LOAN_ATTACK',
          'The transaction is declared a flash loan: borrowed and repaid within one block, the usual vehicle of price-manipulation attacks.',
          { source: 'attrs.kind', amount: e.amount ?? null },
        );
      }
      if (e.wallet === undefined) {
        setAnalyzerScore(out, 'velocity', score);
        return;
      }
      const f = ctx.features;
      const inWindow = f.get(F.window);

      const firstAt = f.get(F.firstSeen);
      if (firstAt !== undefined) {
        const history = e.at - firstAt;
        const priorMs = (history < o.baselineMs ? history : o.baselineMs) - o.windowMs;
        if (history >= o.minHistoryMs && priorMs > 0) {
          const prior = f.get(F.baseline) - inWindow;
          if (prior >= o.minHistoryTx) {
            const rawExpected = (prior * o.windowMs) / priorMs;
            const expected = rawExpected > o.minExpectedPerWindow ? rawExpected : o.minExpectedPerWindow;
            const ratio = inWindow / expected;
            const s = velocityRatioScore(ratio, o);
            if (s > 0) {
              if (s > score) score = s;
              emitFinding(
                out,
                'velocity',
                'oracle.velocity.rate',
                s,
                'VELOCITY_ANOMALY',
                `The wallet made ${inWindow} transactions in the last window, ${round4(ratio)}x its usual rate of ${round4(expected)}.`,
                { count: inWindow, expected: round4(expected), ratio: round4(ratio), windowMs: o.windowMs },
              );
            }
          }
        }
      }

      const burst = f.get(F.burst);
      if (burst >= o.burstCount) {
        const s = burst >= 2 * o.burstCount ? 85 : 70;
        if (s > score) score = s;
        emitFinding(
          out,
          'velocity',
          'oracle.velocity.burst',
          s,
          'VELOCITY_ANOMALY',
          `The wallet made ${burst} transactions within ${o.burstWindowMs / 1000} seconds, a burst no person types by hand.`,
          { count: burst, windowMs: o.burstWindowMs },
        );
      }

      if (inWindow >= o.botMinPerWindow) {
        const prev = f.get(F.lastSent);
        if (prev !== undefined) {
          const gap = e.at - prev.at;
          const meanGap = o.windowMs / inWindow;
          if (gap > 0 && Math.abs(gap - meanGap) <= o.botGapTolerance * meanGap) {
            if (50 > score) score = 50;
            emitFinding(
              out,
              'velocity',
              'oracle.velocity.cadence',
              50,
              'VELOCITY_ANOMALY',
              `The wallet keeps a steady machine cadence: ${inWindow} transactions in the window, one every ${Math.round(gap / 1000)} seconds.`,
              { count: inWindow, gapMs: gap, meanGapMs: Math.round(meanGap) },
            );
          }
        }
      }

      const amount = e.amount;
      if (
        score < 95 &&
        amount !== undefined &&
        amount >= o.flashLoanMinAmount &&
        e.counterparty !== undefined
      ) {
        const back = f.get(F.reversePairLast);
        const borrowed = seenAmount(back);
        if (back !== undefined && borrowed !== undefined) {
          const dt = Math.abs(e.at - back.at);
          if (dt <= o.flashLoanWindowMs && nearlyEqual(amount, borrowed, o.flashLoanTolerance)) {
            score = 95;
            emitFinding(
              out,
              'velocity',
              'oracle.velocity.flash_loan',
              95,
              'FLASH_LOAN_ATTACK',
              `A large amount (${amount}) went back to the counterparty ${Math.round(dt / 1000)} seconds after it sent ${borrowed}: a borrow and repay in one short window, like a flash loan.`,
              { amount, borrowed, gapMs: dt, source: 'round_trip' },
            );
          }
        }
      }

      setAnalyzerScore(out, 'velocity', score);
    },
  };
}
