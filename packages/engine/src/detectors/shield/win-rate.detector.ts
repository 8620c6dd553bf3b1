import Type from 'typebox';
import { SIGNAL_EVENT_IMPACTS } from '../../events/event-types.js';
import { DAY, last, stats, type LastSpec, type StatsSpec } from '../../features/feature-spec.js';
import type { Detector, DetectorContext, DetectorOutput } from '../detector.js';
import type { EvidenceValue } from '../signal.js';
import { optCount, optDuration, optEnabled, optPositive, optUnit } from './shield-options.js';
import { binomialUpperTail } from './binomial-tail.js';
import { attrNumber, formatDuration, graded, pushSignal, ramp, round } from './shield-signal.js';

/**
 * How a win rate is judged against the population: `binomial`, the exact one-sided tail
 * P(X ≥ wins) (right for the small samples a cheating session leaves), or `z`, the normal
 * approximation (wins − n·p) / √(n·p·(1 − p)), which needs large samples.
 * @example WIN_RATE_TESTS.includes('binomial'); // true
 */
export const WIN_RATE_TESTS = ['binomial', 'z'] as const;
export type WinRateTest = (typeof WIN_RATE_TESTS)[number];

/** Options of the win-rate anomaly detector. */
export interface WinRateOptions {
  /** Run this detector. */
  readonly enabled: boolean;
  /** Score when a finding saturates (spec base impact of win_rate_anomaly). */
  readonly impact: number;
  /** A payout above this multiple of the bet is suspicious (spec: 100x). */
  readonly maxMultiplier: number;
  /** Multiple of the bet at which the multiplier finding scores the full impact. */
  readonly saturateMultiplier: number;
  /** Games of the user (including this one) before the win rate is judged. */
  readonly minGames: number;
  /** How the win rate is judged. */
  readonly test: WinRateTest;
  /** Binomial test: the tail probability at or below which the win rate fires. */
  readonly maxPValue: number;
  /** Binomial test: the tail probability at which the finding scores the full impact. */
  readonly saturatePValue: number;
  /**
   * Also judge each `game_bet` against the player's record so far: once the wins are past the
   * threshold, the next bets come from a player known to win too often.
   */
  readonly checkBets: boolean;
  /** Games recorded for the app before its win rate is trusted as the population rate. */
  readonly minPopulationGames: number;
  /** z test: the binomial z-score of the user's wins against the population rate that fires. */
  readonly zThreshold: number;
  /** z test: the z-score at which the win-rate finding scores the full impact. */
  readonly zSaturate: number;
  /** The user's win rate must also exceed the population's by at least this much (absolute). */
  readonly minRateLift: number;
  /**
   * How long a jackpot (a payout above 100x the bet, see `JACKPOT_MULTIPLE`) keeps the player's
   * later bets and results flagged.
   */
  readonly jackpotMemoryMs: number;
  /** Share of the jackpot's own score a later game gets right after it (decays linearly to 0 over the memory); 0 turns the carry-forward off. */
  readonly jackpotCarry: number;
}

/**
 * Defaults: payout > 100x the bet; from 10 games, a win rate whose binomial tail is at most 1e-4
 * (13 straight wins at a 47% game) and 10 points above the app's; bets judged on the record too.
 * One honest player in 10,000 reaches such a record at a given game, and the 10-point lift keeps
 * long honest histories (where tiny lifts become "significant") out.
 * @example WIN_RATE_DEFAULTS.maxMultiplier; // 100
 */
export const WIN_RATE_DEFAULTS: WinRateOptions = Object.freeze({
  enabled: true,
  impact: SIGNAL_EVENT_IMPACTS.win_rate_anomaly,
  maxMultiplier: 100,
  saturateMultiplier: 1000,
  minGames: 10,
  test: 'binomial',
  maxPValue: 1e-4,
  saturatePValue: 1e-9,
  checkBets: true,
  minPopulationGames: 500,
  zThreshold: 3,
  zSaturate: 6,
  minRateLift: 0.1,
  jackpotMemoryMs: DAY,
  jackpotCarry: 0.8,
});

/** Schema of {@link WinRateOptions} (every field optional). @example Compile(WinRateOptionsSchema).Check({ minGames: 50 }) */
export const WinRateOptionsSchema = Type.Object(
  {
    enabled: optEnabled(),
    impact: optUnit('Score when a finding saturates (default 0.7)'),
    maxMultiplier: optPositive('Payout over bet that is suspicious (default 100)'),
    saturateMultiplier: optPositive('Payout over bet that scores the full impact (default 1000)'),
    minGames: optCount('Games of the user before the win rate is judged (default 10)'),
    test: Type.Optional(
      Type.Enum(WIN_RATE_TESTS, { description: 'binomial tail or z-score (default binomial)' }),
    ),
    maxPValue: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        maximum: 0.5,
        description: 'Binomial tail that fires (default 1e-4)',
      }),
    ),
    saturatePValue: Type.Optional(
      Type.Number({
        exclusiveMinimum: 0,
        maximum: 0.5,
        description: 'Binomial tail of the full impact (default 1e-9)',
      }),
    ),
    checkBets: Type.Optional(
      Type.Boolean({ description: "Judge bets on the player's record (default true)" }),
    ),
    minPopulationGames: optCount('Games of the app before its win rate is trusted (default 500)'),
    zThreshold: optPositive('Binomial z-score that fires (default 3)'),
    zSaturate: optPositive('z-score that scores the full impact (default 6)'),
    minRateLift: optUnit('Least win-rate excess over the app, absolute (default 0.1)'),
    jackpotMemoryMs: optDuration('How long a jackpot keeps later games flagged (default 1 day)'),
    jackpotCarry: optUnit("Share of the jackpot's score carried to later games, 0 = off (default 0.8)"),
  },
  { additionalProperties: false },
);

/** The features the win-rate detector reads. */
export interface WinRateFeatures {
  /** The user's game results: n = games, mean = win rate (before this event). */
  readonly userWins: StatsSpec;
  /** The app's game results, the population: n = games, mean = win rate (before this event). */
  readonly appWins: StatsSpec;
  /** The user's latest jackpot (payout multiple) and when it was won (before this event). */
  readonly jackpot: LastSpec;
}

/** @example winRateFeatures().appWins.entity; // 'app' */
export function winRateFeatures(): WinRateFeatures {
  return {
    userWins: stats({ entity: 'user', field: 'won', types: ['game_result'] }),
    appWins: stats({ entity: 'app', field: 'won', types: ['game_result'] }),
    jackpot: last({ entity: 'user', field: 'jackpot', types: ['game_result'] }),
  };
}

/** Population rates are kept away from 0 and 1 so the binomial variance never vanishes. */
const P_MIN = 0.01;
const P_MAX = 0.99;

/**
 * Win-rate anomaly, spec proactive rule 4, on `game_result` events (`amount` = bet,
 * `attrs.payout`, `attrs.won`): a payout above `maxMultiplier` times the bet
 * (`shield.win_rate_anomaly.multiplier`), and a user win rate far above the app's population rate
 * (`shield.win_rate_anomaly.rate`), by default by the exact binomial tail P(X ≥ wins | games,
 * population rate) ≤ `maxPValue` (or with `test: 'z'` the z-score ≥ `zThreshold`), and at least
 * `minRateLift` above the population. With `checkBets`, a `game_bet` is judged on the player's
 * record so far (the bet of a player already winning too often). Category `pattern`. The
 * population is every game result of the event's app (entity `app`). A jackpot is remembered for
 * `jackpotMemoryMs`: the player's later `game_bet`/`game_result` events are flagged
 * (`shield.win_rate_anomaly.after_jackpot`) at the jackpot's score × `jackpotCarry`, decaying
 * linearly to 0 at the end of the memory (an event dated before the jackpot is not judged).
 * @example const d = createWinRateDetector(WIN_RATE_DEFAULTS); // 14 wins of 14 where the app wins 47% -> fires
 */
export function createWinRateDetector(opts: WinRateOptions): Detector {
  const f = winRateFeatures();
  const binomial = opts.test === 'binomial';
  const logMax = -Math.log10(opts.maxPValue);
  const logSat = -Math.log10(Math.min(opts.saturatePValue, opts.maxPValue));
  const threshold = binomial ? `p ≤ ${opts.maxPValue.toExponential(0)}` : `threshold ${opts.zThreshold}`;
  const memory = opts.jackpotMemoryMs;
  const carry = memory > 0 && opts.jackpotCarry > 0;
  const memoryWords = formatDuration(memory);
  const logMaxMultiple = Math.log10(opts.maxMultiplier);
  const logSatMultiple = Math.log10(opts.saturateMultiplier);
  const multipleScore = (multiple: number): number =>
    graded(opts.impact, ramp(Math.log10(multiple), logMaxMultiple, logSatMultiple));
  return {
    id: 'shield.win_rate_anomaly',
    features: carry ? [f.userWins, f.appWins, f.jackpot] : [f.userWins, f.appWins],
    appliesTo: opts.checkBets || carry ? ['game_result', 'game_bet'] : ['game_result'],
    detect(ctx: DetectorContext, out: DetectorOutput): void {
      const e = ctx.event;
      const isBet = e.type === 'game_bet';
      let jackpotNow = false;
      if (!isBet) {
        const bet = e.amount;
        const payout = attrNumber(e, 'payout');
        if (bet !== undefined && bet > 0 && payout !== undefined && payout > 0) {
          const multiple = payout / bet;
          if (multiple > opts.maxMultiplier) {
            jackpotNow = true;
            const score = multipleScore(multiple);
            const who = e.user === undefined ? 'A player' : `User ${e.user}`;
            pushSignal(
              out,
              'shield.win_rate_anomaly.multiplier',
              score,
              'pattern',
              `${who} won ${payout} on a bet of ${bet}: ${round(multiple, 1)}x the bet, above the ${opts.maxMultiplier}x limit; score ${round(score, 2)}.`,
              { bet, payout, multiple: round(multiple, 2), maxMultiplier: opts.maxMultiplier },
            );
          }
        }
      }
      if (e.user === undefined) return;
      // A jackpot carries forward: the player's later games stay flagged, less and less.
      if (carry && !jackpotNow) {
        const jp = ctx.features.get(f.jackpot);
        if (jp !== undefined && typeof jp.value === 'number' && jp.value > opts.maxMultiplier) {
          const age = e.at - jp.at;
          if (age >= 0 && age < memory) {
            const decay = 1 - age / memory;
            const score = multipleScore(jp.value) * opts.jackpotCarry * decay;
            pushSignal(
              out,
              'shield.win_rate_anomaly.after_jackpot',
              score,
              'pattern',
              `User ${e.user} ${isBet ? 'bets' : 'plays'} again ${formatDuration(age)} after winning ${round(jp.value, 1)}x the bet (above ${opts.maxMultiplier}x); a jackpot keeps the player flagged for ${memoryWords}; score ${round(score, 2)}.`,
              {
                jackpotMultiple: round(jp.value, 2),
                jackpotAt: jp.at,
                ageMs: age,
                memoryMs: memory,
                decay: round(decay, 4),
                onBet: isBet,
              },
            );
          }
        }
      }
      if (isBet && !opts.checkBets) return;
      const won = e.attrs?.['won'];
      if (!isBet && typeof won !== 'boolean') return;
      const user = ctx.features.get(f.userWins);
      // A bet is judged on the record so far; a result counts itself.
      const n = isBet ? user.n : user.n + 1;
      if (!(n >= opts.minGames)) return;
      const app = ctx.features.get(f.appWins);
      if (!(app.n >= opts.minPopulationGames)) return;
      const wins = Math.round(user.mean * user.n) + (won === true ? 1 : 0);
      const p = Math.min(P_MAX, Math.max(P_MIN, app.mean));
      const rate = wins / n;
      if (!(rate - p >= opts.minRateLift)) return;
      const z = (wins - n * p) / Math.sqrt(n * p * (1 - p));
      let strength: number;
      let test: string;
      let pValue: number | null = null;
      if (binomial) {
        const tail = binomialUpperTail(wins, n, p);
        if (!(tail <= opts.maxPValue)) return;
        pValue = tail;
        const lp = tail > 0 ? -Math.log10(tail) : logSat;
        strength = ramp(lp, logMax, logSat);
        test = `binomial tail p = ${tail.toExponential(1)} (${threshold})`;
      } else {
        if (!(z >= opts.zThreshold)) return;
        strength = ramp(z, opts.zThreshold, opts.zSaturate);
        test = `binomial z = ${round(z, 1)} (${threshold})`;
      }
      const score = graded(opts.impact, strength);
      const evidence: Record<string, EvidenceValue> = {
        wins,
        games: n,
        winRate: round(rate, 4),
        populationRate: round(p, 4),
        populationGames: app.n,
        z: round(z, 2),
      };
      if (pValue !== null) evidence['pValue'] = Number(pValue.toPrecision(3));
      if (isBet) evidence['onBet'] = true;
      const record =
        `won ${wins} of ${n} games (${round(rate * 100, 1)}%) against a win rate of ` +
        `${round(p * 100, 1)}% over ${app.n} games in app ${e.app}: ${test}; score ${round(score, 2)}.`;
      pushSignal(
        out,
        'shield.win_rate_anomaly.rate',
        score,
        'pattern',
        isBet ? `User ${e.user} bets again after having ${record}` : `User ${e.user} ${record}`,
        evidence,
      );
    },
  };
}
