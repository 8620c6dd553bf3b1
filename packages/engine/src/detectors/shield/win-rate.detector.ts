import Type from 'typebox';
import { SIGNAL_EVENT_IMPACTS } from '../../events/event-types.js';
import { stats, type StatsSpec } from '../../features/feature-spec.js';
import type { Detector, DetectorContext, DetectorOutput } from '../detector.js';
import { optCount, optEnabled, optPositive, optUnit } from './shield-options.js';
import { attrNumber, graded, pushSignal, ramp, round } from './shield-signal.js';

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
  /** Games recorded for the app before its win rate is trusted as the population rate. */
  readonly minPopulationGames: number;
  /** Binomial z-score of the user's wins against the population rate that fires. */
  readonly zThreshold: number;
  /** z-score at which the win-rate finding scores the full impact. */
  readonly zSaturate: number;
  /** The user's win rate must also exceed the population's by at least this much (absolute). */
  readonly minRateLift: number;
}

/** Defaults: payout > 100x the bet; win rate with z ≥ 3 over ≥ 30 games and 10 points above the app. @example WIN_RATE_DEFAULTS.maxMultiplier; // 100 */
export const WIN_RATE_DEFAULTS: WinRateOptions = Object.freeze({
  enabled: true,
  impact: SIGNAL_EVENT_IMPACTS.win_rate_anomaly,
  maxMultiplier: 100,
  saturateMultiplier: 1000,
  minGames: 30,
  minPopulationGames: 500,
  zThreshold: 3,
  zSaturate: 6,
  minRateLift: 0.1,
});

/** Schema of {@link WinRateOptions} (every field optional). @example Compile(WinRateOptionsSchema).Check({ minGames: 50 }) */
export const WinRateOptionsSchema = Type.Object(
  {
    enabled: optEnabled(),
    impact: optUnit('Score when a finding saturates (default 0.7)'),
    maxMultiplier: optPositive('Payout over bet that is suspicious (default 100)'),
    saturateMultiplier: optPositive('Payout over bet that scores the full impact (default 1000)'),
    minGames: optCount('Games of the user before the win rate is judged (default 30)'),
    minPopulationGames: optCount('Games of the app before its win rate is trusted (default 500)'),
    zThreshold: optPositive('Binomial z-score that fires (default 3)'),
    zSaturate: optPositive('z-score that scores the full impact (default 6)'),
    minRateLift: optUnit('Least win-rate excess over the app, absolute (default 0.1)'),
  },
  { additionalProperties: false },
);

/** The features the win-rate detector reads. */
export interface WinRateFeatures {
  /** The user's game results: n = games, mean = win rate (before this event). */
  readonly userWins: StatsSpec;
  /** The app's game results, the population: n = games, mean = win rate (before this event). */
  readonly appWins: StatsSpec;
}

/** @example winRateFeatures().appWins.entity; // 'app' */
export function winRateFeatures(): WinRateFeatures {
  return {
    userWins: stats({ entity: 'user', field: 'won', types: ['game_result'] }),
    appWins: stats({ entity: 'app', field: 'won', types: ['game_result'] }),
  };
}

/** Population rates are kept away from 0 and 1 so the binomial variance never vanishes. */
const P_MIN = 0.01;
const P_MAX = 0.99;

/**
 * Win-rate anomaly on `game_result` events (`amount` = bet, `attrs.payout`, `attrs.won`), spec
 * proactive rule 4: a payout above `maxMultiplier` times the bet (`shield.win_rate_anomaly.multiplier`),
 * and a user win rate far above the app's population rate, by the binomial z-score
 * (wins - n·p) / sqrt(n·p·(1-p)) (`shield.win_rate_anomaly.rate`). Category `pattern`. The
 * population is every game result of the event's app (entity `app`).
 * @example const d = createWinRateDetector(WIN_RATE_DEFAULTS); // 45 wins of 50 where the app wins 48% -> fires
 */
export function createWinRateDetector(opts: WinRateOptions): Detector {
  const f = winRateFeatures();
  return {
    id: 'shield.win_rate_anomaly',
    features: [f.userWins, f.appWins],
    appliesTo: ['game_result'],
    detect(ctx: DetectorContext, out: DetectorOutput): void {
      const e = ctx.event;
      const bet = e.amount;
      const payout = attrNumber(e, 'payout');
      if (bet !== undefined && bet > 0 && payout !== undefined && payout > 0) {
        const multiple = payout / bet;
        if (multiple > opts.maxMultiplier) {
          const strength = ramp(
            Math.log10(multiple),
            Math.log10(opts.maxMultiplier),
            Math.log10(opts.saturateMultiplier),
          );
          const score = graded(opts.impact, strength);
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
      const won = e.attrs?.['won'];
      if (e.user === undefined || typeof won !== 'boolean') return;
      const user = ctx.features.get(f.userWins);
      const n = user.n + 1;
      if (!(n >= opts.minGames)) return;
      const app = ctx.features.get(f.appWins);
      if (!(app.n >= opts.minPopulationGames)) return;
      const wins = Math.round(user.mean * user.n) + (won ? 1 : 0);
      const p = Math.min(P_MAX, Math.max(P_MIN, app.mean));
      const rate = wins / n;
      const z = (wins - n * p) / Math.sqrt(n * p * (1 - p));
      if (!(z >= opts.zThreshold) || !(rate - p >= opts.minRateLift)) return;
      const score = graded(opts.impact, ramp(z, opts.zThreshold, opts.zSaturate));
      pushSignal(
        out,
        'shield.win_rate_anomaly.rate',
        score,
        'pattern',
        `User ${e.user} won ${wins} of ${n} games (${round(rate * 100, 1)}%) against a win rate of ` +
          `${round(p * 100, 1)}% over ${app.n} games in app ${e.app}: binomial z = ${round(z, 1)} (threshold ${opts.zThreshold}); score ${round(score, 2)}.`,
        {
          wins,
          games: n,
          winRate: round(rate, 4),
          populationRate: round(p, 4),
          populationGames: app.n,
          z: round(z, 2),
        },
      );
    },
  };
}
