import { describe, expect, it } from 'vitest';
import type { AttrValue } from '../../events/event.js';
import { createEngine } from '../../engine.js';
import {
  HOUR,
  compilePlan,
  createMemoryFeatureStore,
  lastFieldValue,
  numericFieldValue,
  sum,
} from '../../index.js';
import { T0, createFakeFeatures, runDetector, testEvent } from '../testing/fake-features.js';
import { WIN_RATE_DEFAULTS, createWinRateDetector, winRateFeatures } from './win-rate.detector.js';

const d = createWinRateDetector(WIN_RATE_DEFAULTS);
/** The z-score test over at least 30 games, results only (the defaults before the binomial tail). */
const zd = createWinRateDetector({
  ...WIN_RATE_DEFAULTS,
  test: 'z',
  minGames: 30,
  checkBets: false,
  jackpotCarry: 0,
});
const f = winRateFeatures();
const result = (amount: number | undefined, attrs: Record<string, AttrValue>, user: string | null = 'u1') =>
  testEvent({
    type: 'game_result',
    ...(user === null ? {} : { user }),
    ...(amount === undefined ? {} : { amount }),
    attrs,
  });
/** The user's games before this one (wins of n) and the app's population. */
const history = (wins: number, n: number, popRate = 0.48, popN = 10_000) =>
  createFakeFeatures(d.features)
    .set(f.userWins, { n, mean: n === 0 ? 0 : wins / n, std: 0 })
    .set(f.appWins, { n: popN, mean: popRate, std: 0 });
const empty = createFakeFeatures(d.features);

describe('win-rate detector', () => {
  it('keeps win rates of the user and of the app as stats of won', () => {
    expect(d.features).toEqual([f.userWins, f.appWins, f.jackpot]);
    expect(zd.features).toEqual([f.userWins, f.appWins]);
    expect(f.jackpot).toMatchObject({
      kind: 'last',
      entity: 'user',
      field: 'jackpot',
      types: ['game_result'],
    });
    expect(f.userWins).toMatchObject({ kind: 'stats', entity: 'user', field: 'won', types: ['game_result'] });
    expect(f.appWins).toMatchObject({ kind: 'stats', entity: 'app', field: 'won', types: ['game_result'] });
    expect(d.appliesTo).toEqual(['game_result', 'game_bet']);
    expect(zd.appliesTo).toEqual(['game_result']);
  });

  describe('win multiplier (spec: win amount > 100x bet)', () => {
    it('fires above 100x the bet', () => {
      const [s, ...rest] = runDetector(d, result(1, { payout: 150, won: true }), empty);
      expect(rest).toEqual([]);
      expect(s?.code).toBe('shield.win_rate_anomaly.multiplier');
      expect(s?.category).toBe('pattern');
      expect(s?.score).toBeCloseTo(0.7 * (0.6 + 0.4 * (Math.log10(150) - 2)), 10);
      expect(s?.evidence).toEqual({ bet: 1, payout: 150, multiple: 150, maxMultiplier: 100 });
      expect(s?.reason).toBe(
        'User u1 won 150 on a bet of 1: 150x the bet, above the 100x limit; score 0.47.',
      );
    });

    it('saturates at 1000x', () => {
      expect(runDetector(d, result(2, { payout: 5000, won: true }), empty)[0]?.score).toBeCloseTo(0.7, 10);
    });

    it('stays quiet at exactly 100x and for ordinary wins', () => {
      expect(runDetector(d, result(1, { payout: 100, won: true }), empty)).toEqual([]);
      expect(runDetector(d, result(10, { payout: 19.5, won: true }), empty)).toEqual([]);
    });

    it('skips free bets, missing payouts and non-numeric payouts', () => {
      expect(runDetector(d, result(0, { payout: 500, won: true }), empty)).toEqual([]);
      expect(runDetector(d, result(undefined, { payout: 500, won: true }), empty)).toEqual([]);
      expect(runDetector(d, result(1, { won: true }), empty)).toEqual([]);
      expect(runDetector(d, result(1, { payout: '500', won: true }), empty)).toEqual([]);
    });

    it('works for anonymous players', () => {
      expect(runDetector(d, result(1, { payout: 200 }, null), empty)[0]?.reason).toMatch(/^A player won 200/);
    });
  });

  describe('win rate against the population (test z: binomial z-score)', () => {
    const d = zd;
    it('fires for 45 wins of 50 where the app wins 48%', () => {
      const [s] = runDetector(d, result(5, { payout: 9.6, won: true }), history(44, 49));
      const z = (45 - 50 * 0.48) / Math.sqrt(50 * 0.48 * 0.52);
      expect(s?.code).toBe('shield.win_rate_anomaly.rate');
      expect(s?.evidence).toEqual({
        wins: 45,
        games: 50,
        winRate: 0.9,
        populationRate: 0.48,
        populationGames: 10_000,
        z: Math.round(z * 100) / 100,
      });
      expect(s?.score).toBeCloseTo(0.7 * (0.6 + 0.4 * ((z - 3) / 3)), 10);
      expect(s?.reason).toBe(
        'User u1 won 45 of 50 games (90%) against a win rate of 48% over 10000 games in app casino: binomial z = 5.9 (threshold 3); score 0.69.',
      );
    });

    it('counts the current loss too', () => {
      const [s] = runDetector(d, result(5, { payout: 0, won: false }), history(45, 49));
      expect(s?.evidence).toMatchObject({ wins: 45, games: 50 });
    });

    it('stays quiet for a lucky but ordinary player', () => {
      expect(runDetector(d, result(5, { won: true }), history(25, 49))).toEqual([]);
      expect(runDetector(d, result(5, { won: true }), history(31, 49))).toEqual([]);
    });

    it('needs enough games of the user and of the app', () => {
      expect(runDetector(d, result(5, { won: true }), history(28, 28))).toEqual([]);
      expect(runDetector(d, result(5, { won: true }), history(29, 29))).toHaveLength(1);
      expect(runDetector(d, result(5, { won: true }), history(29, 29, 0.48, 499))).toEqual([]);
    });

    it('ignores a tiny lift that is only significant because of volume', () => {
      // 50% against 48% over 20 000 games: z ≈ 5.7 but only 2 points above the app.
      expect(runDetector(d, result(5, { won: true }), history(9_999, 19_999))).toEqual([]);
    });

    it('keeps the population rate off 0 so the z-score stays finite', () => {
      const [s] = runDetector(d, result(5, { won: true }), history(19, 29, 0));
      expect(s?.evidence['populationRate']).toBe(0.01);
      expect(Number.isFinite(s?.score)).toBe(true);
    });

    it('skips results without a boolean won or without a user', () => {
      expect(runDetector(d, result(5, {}), history(45, 49))).toEqual([]);
      expect(runDetector(d, result(5, { won: 'yes' }), history(45, 49))).toEqual([]);
      expect(runDetector(d, result(5, { won: true }, null), history(45, 49))).toEqual([]);
    });
  });

  describe('win rate against the population (default: exact binomial tail)', () => {
    const bet = (user: string | null = 'u1') =>
      testEvent({ type: 'game_bet', ...(user === null ? {} : { user }), amount: 5 });

    it('is the default test, from 10 games, firing at a tail of 1e-4', () => {
      expect(WIN_RATE_DEFAULTS).toMatchObject({
        test: 'binomial',
        minGames: 10,
        maxPValue: 1e-4,
        checkBets: true,
      });
    });

    it('fires on 14 wins in a row where the app wins 47%, which the z-score needs 30 games for', () => {
      const [s, ...rest] = runDetector(d, result(5, { payout: 10, won: true }), history(13, 13, 0.47));
      expect(rest).toEqual([]);
      const tail = 0.47 ** 14;
      expect(s?.code).toBe('shield.win_rate_anomaly.rate');
      expect(s?.evidence).toMatchObject({ wins: 14, games: 14, winRate: 1, populationRate: 0.47 });
      expect(s?.evidence['pValue']).toBeCloseTo(Number(tail.toPrecision(3)), 12);
      const strength = (-Math.log10(tail) - 4) / 5;
      expect(s?.score).toBeCloseTo(0.7 * (0.6 + 0.4 * strength), 10);
      expect(s?.reason).toBe(
        'User u1 won 14 of 14 games (100%) against a win rate of 47% over 10000 games in app casino: binomial tail p = 2.6e-5 (p ≤ 1e-4); score 0.45.',
      );
      expect(runDetector(zd, result(5, { payout: 10, won: true }), history(13, 13, 0.47))).toEqual([]);
    });

    it('stays quiet for a lucky streak that an honest player has once in a while', () => {
      // 12 of 12 at 47%: p = 1.2e-4, just above the threshold; 12 of 15: p = 0.004.
      expect(runDetector(d, result(5, { won: true }), history(11, 11, 0.47))).toEqual([]);
      expect(runDetector(d, result(5, { won: true }), history(11, 14, 0.47))).toEqual([]);
      // Nine wins of nine is below the minimum of ten games.
      expect(runDetector(d, result(5, { won: true }), history(8, 8, 0.1))).toEqual([]);
    });

    it('saturates the score for an extreme record', () => {
      // 60 of 62 at 48%: p ≈ 1e-17.
      const [s] = runDetector(d, result(5, { won: true }), history(59, 61));
      expect(s?.score).toBeCloseTo(0.7, 10);
    });

    it("judges a bet on the player's record so far", () => {
      const [s] = runDetector(d, bet(), history(18, 18, 0.47));
      expect(s?.code).toBe('shield.win_rate_anomaly.rate');
      expect(s?.evidence).toMatchObject({ wins: 18, games: 18, onBet: true });
      expect(s?.reason).toMatch(/^User u1 bets again after having won 18 of 18 games/);
      // An ordinary record, too few games, an anonymous bettor, or bets not checked: nothing.
      expect(runDetector(d, bet(), history(9, 18, 0.47))).toEqual([]);
      expect(runDetector(d, bet(), history(9, 9, 0.47))).toEqual([]);
      expect(runDetector(d, bet(null), history(18, 18, 0.47))).toEqual([]);
      expect(runDetector(zd, bet(), history(40, 40, 0.47))).toEqual([]);
    });

    it('keeps the lift requirement: volume alone is not cheating', () => {
      expect(runDetector(d, result(5, { won: true }), history(9_999, 19_999))).toEqual([]);
    });
  });
});

describe('jackpot carry-forward', () => {
  const bet = (at: number, user = 'u1') => testEvent({ type: 'game_bet', user, amount: 5, at });
  /** The user's last jackpot: 150x the bet, won at T0. */
  const after = (multiple = 150, at = T0) =>
    createFakeFeatures(d.features).set(f.jackpot, { value: multiple, at });
  const jackpotScore = 0.7 * (0.6 + 0.4 * (Math.log10(150) - 2));

  it('flags later bets and results of a jackpot winner at a decaying score', () => {
    const [s, ...rest] = runDetector(d, bet(T0 + 6 * HOUR), after());
    expect(rest).toEqual([]);
    expect(s?.code).toBe('shield.win_rate_anomaly.after_jackpot');
    expect(s?.category).toBe('pattern');
    expect(s?.score).toBeCloseTo(jackpotScore * 0.8 * 0.75, 10);
    expect(s?.evidence).toEqual({
      jackpotMultiple: 150,
      jackpotAt: T0,
      ageMs: 6 * HOUR,
      memoryMs: 24 * HOUR,
      decay: 0.75,
      onBet: true,
    });
    expect(s?.reason).toBe(
      'User u1 bets again 6 hours after winning 150x the bet (above 100x); a jackpot keeps the player flagged for 1 day; score 0.28.',
    );
    const scores = [0, 12, 23].map(
      (h) => runDetector(d, bet(T0 + h * HOUR), after())[0]?.score ?? Number.NaN,
    );
    expect(scores[0]).toBeCloseTo(jackpotScore * 0.8, 10);
    expect(scores[1]).toBeCloseTo(jackpotScore * 0.4, 10);
    expect(scores[0]! > scores[1]! && scores[1]! > scores[2]!).toBe(true);
    const [r] = runDetector(d, result(5, { payout: 0, won: false }), after(150, T0 - HOUR));
    expect(r?.code).toBe('shield.win_rate_anomaly.after_jackpot');
    expect(r?.reason).toMatch(/^User u1 plays again 1 hour after/);
  });

  it('forgets the jackpot after the memory, and ignores events dated before it', () => {
    expect(runDetector(d, bet(T0 + 24 * HOUR), after())).toEqual([]);
    expect(runDetector(d, bet(T0 - 1), after())).toEqual([]);
  });

  it('stays quiet for normal players, anonymous bets, and when turned off', () => {
    expect(runDetector(d, bet(T0), empty)).toEqual([]);
    expect(runDetector(d, result(5, { payout: 9.6, won: true }), empty)).toEqual([]);
    expect(runDetector(d, testEvent({ type: 'game_bet', amount: 5 }), empty)).toEqual([]);
    const off = createWinRateDetector({ ...WIN_RATE_DEFAULTS, jackpotCarry: 0 });
    expect(runDetector(off, bet(T0 + HOUR), createFakeFeatures(off.features))).toEqual([]);
    // a remembered jackpot below a raised limit does not carry
    const strict = createWinRateDetector({ ...WIN_RATE_DEFAULTS, maxMultiplier: 500 });
    expect(
      runDetector(
        strict,
        bet(T0 + HOUR),
        createFakeFeatures(strict.features).set(f.jackpot, { value: 150, at: T0 }),
      ),
    ).toEqual([]);
  });

  it('a new jackpot reports the multiplier only, not the carry as well', () => {
    const signals = runDetector(d, result(1, { payout: 300, won: true }), after(150, T0 - HOUR));
    expect(signals.map((s) => s.code)).toEqual(['shield.win_rate_anomaly.multiplier']);
  });

  it('reads payout and jackpot from events; the memory store keeps both without changes', () => {
    const jp = testEvent({ type: 'game_result', user: 'u1', amount: 2, attrs: { payout: 400, won: true } });
    expect(numericFieldValue(jp, 'payout')).toBe(400);
    expect(lastFieldValue(jp, 'jackpot')).toBe(200);
    const ordinary = testEvent({ type: 'game_result', amount: 2, attrs: { payout: 3.9 } });
    expect(lastFieldValue(ordinary, 'jackpot')).toBeUndefined();
    expect(numericFieldValue(testEvent({ attrs: { payout: '400' } }), 'payout')).toBeUndefined();
    expect(numericFieldValue(testEvent({ attrs: { payout: Number.NaN } }), 'payout')).toBeUndefined();
    expect(lastFieldValue(testEvent({ amount: 0, attrs: { payout: 400 } }), 'jackpot')).toBeUndefined();

    const payouts = sum({ entity: 'user', field: 'payout', window: 24 * HOUR, types: ['game_result'] });
    const plan = compilePlan([payouts, f.jackpot]);
    const store = createMemoryFeatureStore();
    const play = (id: string, at: number, amount: number, payout: number) =>
      store.evaluate(plan, {
        id,
        app: 'casino',
        type: 'game_result',
        user: 'u1',
        at,
        amount,
        attrs: { payout },
      });
    play('g1', T0, 2, 400);
    const later = play('g2', T0 + HOUR, 2, 3);
    expect(later.get(payouts)).toBe(403);
    expect(later.get(f.jackpot)).toEqual({ value: 200, at: T0 });
    // an ordinary win does not overwrite the remembered jackpot
    expect(play('g3', T0 + 2 * HOUR, 2, 1).get(f.jackpot)).toEqual({ value: 200, at: T0 });
  });

  it('in the engine: after a jackpot the next bets are flagged; a normal player is not', () => {
    const engine = createEngine();
    const game = (id: string, user: string, type: 'game_bet' | 'game_result', at: number, attrs = {}) =>
      engine.score({ id, app: 'casino', type, user, at, amount: 1, attrs }, at);
    const codes = (dec: { signals: readonly { code: string }[] }) => dec.signals.map((s) => s.code);
    expect(codes(game('j1', 'lucky', 'game_result', T0, { payout: 500, won: true }))).toContain(
      'shield.win_rate_anomaly.multiplier',
    );
    const next = game('j2', 'lucky', 'game_bet', T0 + 2 * HOUR);
    expect(codes(next)).toContain('shield.win_rate_anomaly.after_jackpot');
    const result2 = game('j3', 'lucky', 'game_result', T0 + 3 * HOUR, { payout: 0, won: false });
    expect(codes(result2)).toContain('shield.win_rate_anomaly.after_jackpot');
    expect(codes(game('j4', 'lucky', 'game_bet', T0 + 30 * HOUR))).not.toContain(
      'shield.win_rate_anomaly.after_jackpot',
    );
    for (let i = 0; i < 5; i++) {
      const dec = game(`n${i}`, 'normal', i % 2 === 0 ? 'game_bet' : 'game_result', T0 + i * HOUR, {
        payout: 1.9,
        won: true,
      });
      expect(codes(dec)).not.toContain('shield.win_rate_anomaly.after_jackpot');
    }
  });
});
