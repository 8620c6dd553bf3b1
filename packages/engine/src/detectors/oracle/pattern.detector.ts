import {
  count,
  distinct,
  last,
  neighbors,
  sum,
  type CountSpec,
  type DistinctSpec,
  type LastSpec,
  type LastValue,
  type NeighborsSpec,
  type Seen,
  type SumSpec,
} from '../../features/feature-spec.js';
import type { FeatureSnapshot } from '../../features/feature-store.js';
import type { Detector, DetectorContext, DetectorOutput } from '../detector.js';
import { ORACLE_DEFAULTS, type OracleOptions } from './oracle-options.js';
import {
  emitFinding,
  nearlyEqual,
  ORACLE_TYPES,
  round4,
  seenAmount,
  setAnalyzerScore,
} from './oracle-shared.js';

function ordinal(n: number): string {
  const t = n % 100;
  if (t >= 11 && t <= 13) return 'th';
  return n % 10 === 1 ? 'st' : n % 10 === 2 ? 'nd' : n % 10 === 3 ? 'rd' : 'th';
}

/** Events may arrive a little out of order: a receipt stamped up to this much after the send still counts. */
const CLOCK_SKEW_MS = 5_000;

/** The features the pattern analyzer reads. */
export interface PatternFeatures {
  /** Sender's distinct recipients in the window (fan-out, including this one). */
  readonly fanOut: DistinctSpec;
  /** Recipient's distinct senders in the window: keeps the state read as `fanIn`. */
  readonly recipientFanIn: DistinctSpec;
  /** Distinct wallets that paid the sender in the window (fan-in). */
  readonly fanIn: DistinctSpec;
  /** Sender's transaction count / amount total in the window (layering's mean amount). */
  readonly windowCount: CountSpec;
  readonly windowSum: SumSpec;
  /** Sender's previous amount. */
  readonly lastSent: LastSpec;
  /** Transfers over this pair within the round-trip window (including this one). */
  readonly pairCount: CountSpec;
  /** Last amount over this pair: keeps the state the reverse read needs. */
  readonly pairLast: LastSpec;
  /** Last amount sent the other way (recipient → sender): the first leg of a round trip. */
  readonly reversePairLast: LastSpec;
  /** Last amount received by each address: keeps the state read as `lastReceived`. */
  readonly recipientLastAmount: LastSpec;
  /** Last amount the sender received, and when. */
  readonly lastReceived: LastSpec;
  /** Recent payers of each address: keeps the state read as `payers`. */
  readonly recipientPayers: NeighborsSpec;
  /** The sender's recent payers, newest first (the first is who paid it last). */
  readonly payers: NeighborsSpec;
  /** Recent payees of each address: keeps the state read as `recipientPaid`. */
  readonly senderPaid: NeighborsSpec;
  /** The recipient's recent payees: a payee that also paid the sender closes a three-wallet loop. */
  readonly recipientPaid: NeighborsSpec;
}

/**
 * The feature specs of the pattern analyzer for the given options.
 * @example patternFeatures(ORACLE_DEFAULTS.pattern).reversePairLast.readAs // 'reverse_pair'
 */
export function patternFeatures(
  o: OracleOptions['pattern'],
  neighborMax: number = ORACLE_DEFAULTS.graph.neighborMax,
): PatternFeatures {
  const t = ORACLE_TYPES;
  // Same spec as the graph analyzer's one-hop scan (shared state), at least one deep.
  const max = neighborMax > 0 ? neighborMax : 1;
  return {
    fanOut: distinct({ entity: 'wallet', of: 'counterparty', window: o.windowMs, types: t }),
    recipientFanIn: distinct({ entity: 'counterparty', of: 'wallet', window: o.windowMs, types: t }),
    fanIn: distinct({ entity: 'counterparty', of: 'wallet', window: o.windowMs, types: t, readAs: 'wallet' }),
    windowCount: count({ entity: 'wallet', window: o.windowMs, types: t }),
    windowSum: sum({ entity: 'wallet', field: 'amount', window: o.windowMs, types: t }),
    lastSent: last({ entity: 'wallet', field: 'amount', types: t }),
    pairCount: count({ entity: 'pair', window: o.roundTripWindowMs, types: t }),
    pairLast: last({ entity: 'pair', field: 'amount', types: t }),
    reversePairLast: last({ entity: 'pair', field: 'amount', types: t, readAs: 'reverse_pair' }),
    recipientLastAmount: last({ entity: 'counterparty', field: 'amount', types: t }),
    lastReceived: last({ entity: 'counterparty', field: 'amount', types: t, readAs: 'wallet' }),
    recipientPayers: neighbors({ entity: 'counterparty', of: 'wallet', max, types: t }),
    payers: neighbors({ entity: 'counterparty', of: 'wallet', max, types: t, readAs: 'wallet' }),
    senderPaid: neighbors({ entity: 'wallet', of: 'counterparty', max, types: t }),
    recipientPaid: neighbors({ entity: 'wallet', of: 'counterparty', max, types: t, readAs: 'counterparty' }),
  };
}

/**
 * The pattern analyzer (`oracle.pattern`). Scores 0..100, the highest of:
 * - mixing: the sender paid `mixingMinCounterparties` distinct addresses in the window → 60,
 *   twice as many → 75, four times → 85; +10 when as many distinct addresses also paid the
 *   sender (funds funnelled through) (MIXING_DETECTED);
 * - round trip A→B→A: the recipient sent the sender a near-equal amount (within
 *   `roundTripTolerance`) less than `roundTripWindowMs` ago → 70, within an hour → 80, the pair
 *   traded 3+ times in the window → 90 (WASH_TRADING). Round trips that qualify as flash loans
 *   (see the velocity options) are left to the velocity analyzer;
 * - layering: the same amount (within `layeringTolerance`) as the previous transfer and as the
 *   window's mean amount, to at least `layeringMinRecipients` distinct recipients → 65, twice as
 *   many → 80 (LAYERING). With no per-amount feature kind, "same amount" is read as: the window's
 *   mean equals this amount and the previous one, which mixed amounts almost never do;
 * - pass-through: the sender forwards at least `passThroughMinShare` of what it received from a
 *   third party less than `passThroughWindowMs` ago → 55 (PATTERN_ANOMALY);
 * - circular flow, whatever the amounts (wash trading re-draws them each round): back and forth,
 *   the pair already traded this way in the round-trip window and the recipient paid the sender
 *   back within it → 65; a three-wallet loop A→B→C→A, the recipient recently paid a wallet that
 *   recently paid the sender, with money reaching the sender within the window → 70
 *   (WASH_TRADING). Reported only when no round trip was.
 * @example createPatternDetector(resolveOracleOptions()).id // 'oracle.pattern'
 */
export function createPatternDetector(opts: OracleOptions): Detector {
  const o = opts.pattern;
  const flash = opts.velocity;
  const F = patternFeatures(o, opts.graph.neighborMax);

  /** Circular flow closed by sender → recipient (see the list above); returns its score or 0. */
  function cycle(
    at: number,
    sender: string,
    recipient: string,
    back: Seen<LastValue> | undefined,
    f: FeatureSnapshot,
    out: DetectorOutput,
  ): number {
    if (back !== undefined && Math.abs(at - back.at) <= o.roundTripWindowMs) {
      const trades = f.get(F.pairCount);
      if (trades >= 2) {
        emitFinding(
          out,
          'pattern',
          'oracle.pattern.back_and_forth',
          65,
          'WASH_TRADING',
          `The wallet pays ${recipient} for the ${trades}${ordinal(trades)} time in the window, and ${recipient} paid it back ${Math.round(Math.abs(at - back.at) / 60_000)} minutes ago: money going back and forth (wash trading).`,
          { recipient, pairTrades: trades, gapMs: Math.abs(at - back.at) },
        );
        return 65;
      }
    }
    const got = f.get(F.lastReceived);
    if (got === undefined || !(Math.abs(at - got.at) <= o.roundTripWindowMs)) return 0;
    const onward = f.get(F.recipientPaid);
    if (onward.length === 0) return 0;
    const payers = f.get(F.payers);
    for (let i = 0; i < onward.length; i++) {
      const via = onward[i];
      if (via === undefined || via === sender || via === recipient || !payers.includes(via)) continue;
      emitFinding(
        out,
        'pattern',
        'oracle.pattern.cycle',
        70,
        'WASH_TRADING',
        `The payment closes a loop: ${recipient} recently paid ${via}, which recently paid this wallet; funds travelling in a circle (wash trading).`,
        { recipient, via },
      );
      return 70;
    }
    return 0;
  }

  return {
    id: 'oracle.pattern',
    features: Object.freeze([
      F.fanOut,
      F.recipientFanIn,
      F.fanIn,
      F.windowCount,
      F.windowSum,
      F.lastSent,
      F.pairCount,
      F.pairLast,
      F.reversePairLast,
      F.recipientLastAmount,
      F.lastReceived,
      F.recipientPayers,
      F.payers,
      F.senderPaid,
      F.recipientPaid,
    ]),
    appliesTo: ORACLE_TYPES,
    detect(ctx: DetectorContext, out: DetectorOutput): void {
      const e = ctx.event;
      if (e.wallet === undefined) {
        setAnalyzerScore(out, 'pattern', 0);
        return;
      }
      const f = ctx.features;
      let score = 0;

      const fanOut = f.get(F.fanOut);
      if (fanOut >= o.mixingMinCounterparties) {
        const fanIn = f.get(F.fanIn);
        const m = o.mixingMinCounterparties;
        let s = fanOut >= 4 * m ? 85 : fanOut >= 2 * m ? 75 : 60;
        if (fanIn >= m) s += 10;
        if (s > score) score = s;
        emitFinding(
          out,
          'pattern',
          'oracle.pattern.mixing',
          s,
          'MIXING_DETECTED',
          fanIn >= m
            ? `Funds fan in from ${fanIn} and out to ${fanOut} different addresses within the window, like a mixer.`
            : `The wallet paid ${fanOut} different addresses within the window, like a mixer spreading funds.`,
          { fanOut, fanIn, windowMs: o.windowMs },
        );
      }

      const amount = e.amount;
      const cp = e.counterparty;
      if (amount === undefined || !(amount >= 0) || cp === undefined) {
        setAnalyzerScore(out, 'pattern', score);
        return;
      }

      const back = f.get(F.reversePairLast);
      const backAmount = seenAmount(back);
      let roundTrip = false;
      if (back !== undefined && backAmount !== undefined) {
        const dt = Math.abs(e.at - back.at);
        const isFlashLoan = dt <= flash.flashLoanWindowMs && amount >= flash.flashLoanMinAmount;
        if (
          dt <= o.roundTripWindowMs &&
          !isFlashLoan &&
          nearlyEqual(amount, backAmount, o.roundTripTolerance)
        ) {
          const trades = f.get(F.pairCount);
          const s = trades >= 3 ? 90 : dt <= 3_600_000 ? 80 : 70;
          roundTrip = true;
          if (s > score) score = s;
          emitFinding(
            out,
            'pattern',
            'oracle.pattern.round_trip',
            s,
            'WASH_TRADING',
            `The amount ${amount} goes back to the address that sent ${backAmount} ${Math.round(dt / 60_000)} minutes ago: a round trip with no economic purpose (wash trading).`,
            { amount, returned: backAmount, gapMs: dt, pairTrades: trades },
          );
        }
      }

      if (!roundTrip) {
        const s = cycle(e.at, e.wallet, cp, back, f, out);
        if (s > score) score = s;
      }

      if (fanOut >= o.layeringMinRecipients) {
        const prevAmount = seenAmount(f.get(F.lastSent));
        const n = f.get(F.windowCount);
        if (prevAmount !== undefined && n >= o.layeringMinRecipients && amount > 0) {
          const mean = f.get(F.windowSum) / n;
          if (
            nearlyEqual(prevAmount, amount, o.layeringTolerance) &&
            nearlyEqual(mean, amount, o.layeringTolerance)
          ) {
            const s = fanOut >= 2 * o.layeringMinRecipients ? 80 : 65;
            if (s > score) score = s;
            emitFinding(
              out,
              'pattern',
              'oracle.pattern.layering',
              s,
              'LAYERING',
              `The same amount (${amount}) went to ${fanOut} different addresses within the window: funds split into equal layers.`,
              { amount, recipients: fanOut, transactions: n, windowMean: round4(mean) },
            );
          }
        }
      }

      if (amount >= o.passThroughMinAmount) {
        const got = f.get(F.lastReceived);
        const gotAmount = seenAmount(got);
        if (got !== undefined && gotAmount !== undefined && gotAmount > 0) {
          const dt = e.at - got.at;
          const fromAddr = f.get(F.payers)[0];
          if (
            dt >= -CLOCK_SKEW_MS &&
            dt <= o.passThroughWindowMs &&
            amount >= o.passThroughMinShare * gotAmount &&
            amount <= gotAmount * (2 - o.passThroughMinShare) &&
            fromAddr !== cp
          ) {
            if (55 > score) score = 55;
            emitFinding(
              out,
              'pattern',
              'oracle.pattern.pass_through',
              55,
              'PATTERN_ANOMALY',
              `The wallet forwards ${amount} ${Math.round(Math.abs(dt) / 1000)} seconds after receiving ${gotAmount}: funds passing straight through.`,
              { amount, received: gotAmount, gapMs: dt, from: fromAddr ?? null },
            );
          }
        }
      }

      setAnalyzerScore(out, 'pattern', score);
    },
  };
}
