import { describe, expect, it } from 'vitest';
import type { Geo, VigilEvent } from '../../events/event.js';
import { DAY, HOUR, MINUTE, SECOND } from '../../features/feature-spec.js';
import { compilePlan } from '../../features/feature-store.js';
import { createMemoryFeatureStore } from '../../features/memory-store.js';
import type { ListLookup } from '../../lists/list-lookup.js';
import type { Signal } from '../signal.js';
import { runDetector } from '../testing/fake-features.js';
import { createShieldDetectors, type ShieldOptionsInput } from './index.js';

const START = Date.UTC(2026, 0, 5, 0, 0, 0); // a Monday, 00:00 UTC
const LONDON: Geo = { lat: 51.5074, lon: -0.1278, country: 'GB' };
const LAGOS: Geo = { lat: 6.5244, lon: 3.3792, country: 'NG' };
const CHROME =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';

/** The shield over the real in-memory feature store, the way the engine wires it. */
function createShield(opts: ShieldOptionsInput = {}, lists?: ListLookup) {
  const detectors = createShieldDetectors(opts);
  const plan = compilePlan(detectors.flatMap((d) => d.features));
  const store = createMemoryFeatureStore();
  let seq = 0;
  return (fields: Partial<VigilEvent> & Pick<VigilEvent, 'type' | 'at'>): Signal[] => {
    const e: VigilEvent = { id: `e${++seq}`, app: 'casino', ...fields };
    const snapshot = store.evaluate(plan, e);
    return detectors.flatMap((d) => runDetector(d, e, snapshot, lists));
  };
}
const codes = (signals: readonly Signal[]) => signals.map((s) => s.code);

describe('shield scenarios through the in-memory feature store', () => {
  it('catches an account takeover: a login from Lagos 40 minutes after a payment in London', () => {
    const send = createShield();
    const base = { user: 'alice', device: 'alice-laptop', ip: '81.2.69.160', userAgent: CHROME, geo: LONDON };
    // Two weeks of ordinary daytime activity from London.
    for (let day = 0; day < 14; day++) {
      const morning = START + day * DAY + 9 * HOUR;
      expect(send({ ...base, type: 'login', at: morning })).toEqual([]);
      expect(send({ ...base, type: 'payment', at: morning + 30 * MINUTE, amount: 25 })).toEqual([]);
    }
    const lastPayment = START + 13 * DAY + 9 * HOUR + 30 * MINUTE;
    const takeover = send({
      type: 'login',
      at: lastPayment + 40 * MINUTE,
      user: 'alice',
      device: 'attacker-phone',
      ip: '102.89.32.10',
      userAgent: 'python-requests/2.31.0',
      geo: LAGOS,
    });
    const travel = takeover.find((s) => s.code === 'shield.impossible_travel.speed');
    expect(travel?.score).toBeCloseTo(0.7, 10);
    expect(travel?.evidence).toMatchObject({
      distanceKm: 5012,
      elapsedMinutes: 40,
      fromCountry: 'GB',
      toCountry: 'NG',
    });
    expect(codes(takeover)).toContain('shield.bot_behavior.user_agent');
    // The attacker's withdrawal 5 minutes later, from the same place, is not travel again.
    const withdrawal = send({
      type: 'withdrawal',
      at: lastPayment + 45 * MINUTE,
      user: 'alice',
      geo: LAGOS,
      amount: 900,
    });
    expect(codes(withdrawal)).not.toContain('shield.impossible_travel.speed');
  });

  it('flags the third account on one device and keeps counting', () => {
    const send = createShield();
    const signup = (i: number) =>
      send({
        type: 'signup',
        at: START + 10 * HOUR + i * MINUTE,
        user: `farm-${i}`,
        device: 'emulator-1',
        userAgent: CHROME,
      });
    expect(signup(1)).toEqual([]);
    expect(signup(2)).toEqual([]);
    const third = signup(3);
    expect(codes(third)).toEqual(['shield.device_reuse.accounts']);
    expect(third[0]?.evidence['accounts']).toBe(3);
    signup(4);
    signup(5);
    expect(signup(6)[0]?.evidence['accounts']).toBe(6);
    // The same account coming back does not add to the count.
    expect(
      send({ type: 'login', at: START + 11 * HOUR, user: 'farm-6', device: 'emulator-1' })[0]?.evidence[
        'accounts'
      ],
    ).toBe(6);
  });

  it("spots a player winning far more often than the app's population (stats of won, z test)", () => {
    const send = createShield({ winRate: { test: 'z', minGames: 30 } });
    let t = START + 12 * HOUR;
    // 40 ordinary players, 16 games each, winning 7 of 16 (43.75%): 640 results.
    for (let p = 0; p < 40; p++) {
      for (let g = 0; g < 16; g++) {
        const won = g < 7;
        const out = send({
          type: 'game_result',
          at: (t += 5 * SECOND),
          user: `p${p}`,
          amount: 2,
          attrs: { won, payout: won ? 4 : 0 },
        });
        expect(out).toEqual([]);
      }
    }
    // A cheater wins 28 of 30 games.
    const results: Signal[][] = [];
    for (let g = 0; g < 30; g++) {
      const won = g !== 5 && g !== 17;
      results.push(
        send({
          type: 'game_result',
          at: (t += 20 * SECOND),
          user: 'cheat',
          amount: 2,
          attrs: { won, payout: won ? 4 : 0 },
        }),
      );
    }
    expect(
      results
        .slice(0, 29)
        .flat()
        .filter((s) => s.code === 'shield.win_rate_anomaly.rate'),
    ).toEqual([]);
    const last = results[29]!.find((s) => s.code === 'shield.win_rate_anomaly.rate');
    expect(last?.evidence).toMatchObject({
      wins: 28,
      games: 30,
      winRate: 0.9333,
      // The population includes the cheater's own 29 earlier games: (280 + 27) / 669.
      populationGames: 669,
      populationRate: 0.4589,
    });
    const z = (28 - 30 * (307 / 669)) / Math.sqrt(30 * (307 / 669) * (362 / 669));
    expect(last?.score).toBeCloseTo(0.7 * (0.6 + 0.4 * ((z - 3) / 3)), 10);
    // A payout of 250x the bet on its own.
    const jackpot = send({
      type: 'game_result',
      at: (t += SECOND),
      user: 'p1',
      amount: 1,
      attrs: { won: true, payout: 250 },
    });
    expect(codes(jackpot)).toEqual(['shield.win_rate_anomaly.multiplier']);
  });

  it('spots a winning streak by the binomial tail within 12 games and carries it to the bets', () => {
    const send = createShield();
    let t = START + 12 * HOUR;
    // 40 ordinary players, 16 games each, winning 7 of 16; none of them is flagged.
    for (let p = 0; p < 40; p++) {
      for (let g = 0; g < 16; g++) {
        const won = g < 7;
        send({ type: 'game_bet', at: (t += 2 * SECOND), user: `p${p}`, amount: 2 });
        const out = send({
          type: 'game_result',
          at: (t += 3 * SECOND),
          user: `p${p}`,
          amount: 2,
          attrs: { won, payout: won ? 4 : 0 },
        });
        expect(out).toEqual([]);
      }
    }
    // A cheater who wins every round: bet, result, bet, result...
    const flagged: string[] = [];
    for (let g = 0; g < 20; g++) {
      const b = send({ type: 'game_bet', at: (t += 20 * SECOND), user: 'cheat', amount: 2 });
      const r = send({
        type: 'game_result',
        at: (t += 5 * SECOND),
        user: 'cheat',
        amount: 2,
        attrs: { won: true, payout: 4 },
      });
      if (b.some((s) => s.code === 'shield.win_rate_anomaly.rate')) flagged.push(`bet ${g + 1}`);
      if (r.some((s) => s.code === 'shield.win_rate_anomaly.rate')) flagged.push(`result ${g + 1}`);
    }
    // The app wins 45% (the cheater's own wins included): 12 straight wins have a tail of 7e-5,
    // 11 of 1.5e-4; from then on every bet and result is flagged.
    expect(flagged).toEqual([
      'result 12',
      ...[13, 14, 15, 16, 17, 18, 19, 20].flatMap((g) => [`bet ${g}`, `result ${g}`]),
    ]);
  });

  it('sees a velocity spike against a week of steady payments', () => {
    const send = createShield();
    // One payment every 2 hours for 7 days.
    for (let i = 0; i < 84; i++) {
      const out = send({ type: 'payment', at: START + i * 2 * HOUR, user: 'bob', amount: 10 });
      expect(codes(out).filter((c) => c.startsWith('shield.velocity_spike'))).toEqual([]);
    }
    const burstStart = START + 7 * DAY + 10 * HOUR;
    let spike: Signal | undefined;
    for (let i = 0; i < 14 && spike === undefined; i++) {
      spike = send({ type: 'payment', at: burstStart + i * 4 * MINUTE, user: 'bob', amount: 10 }).find(
        (s) => s.code === 'shield.velocity_spike.rate',
      );
      // The usual 0.5 per hour is floored at 2: the tenth payment in the hour is 5x.
      if (spike !== undefined) expect(i).toBe(9);
    }
    expect(spike?.evidence['count']).toBe(10);
    expect(spike?.evidence['ratio']).toBe(5);
  });

  it('catches card testing and a withdrawal after chargebacks', () => {
    const send = createShield();
    const t = START + 15 * HOUR;
    const attempts = [1, 2, 3, 4, 5, 6].map((i) =>
      send({
        type: 'payment',
        at: t + i * 10 * SECOND,
        device: 'tester',
        amount: 1,
        attrs: { status: 'declined' },
      }),
    );
    expect(
      attempts
        .slice(0, 4)
        .flat()
        .filter((s) => s.code === 'shield.payment_risk.card_testing'),
    ).toEqual([]);
    expect(codes(attempts[4]!)).toContain('shield.payment_risk.card_testing');

    for (let i = 0; i < 4; i++)
      send({ type: 'payment', at: t + HOUR + i * DAY, user: 'carol', amount: 100, wallet: 'card-9' });
    const cb = send({ type: 'chargeback', at: t + 10 * DAY, user: 'carol', amount: 100, wallet: 'card-9' });
    expect(codes(cb)).toEqual(['shield.payment_risk.chargeback']);
    const out = send({ type: 'withdrawal', at: t + 10 * DAY + HOUR, user: 'carol', amount: 300 });
    const ratio = out.find((s) => s.code === 'shield.payment_risk.chargeback_ratio');
    expect(ratio?.evidence).toEqual({ chargebacks: 1, payments: 4, ratio: 0.25 });
    // Another account paying with the charged-back card.
    const reuse = send({ type: 'payment', at: t + 11 * DAY, user: 'dave', amount: 50, wallet: 'card-9' });
    expect(codes(reuse)).toContain('shield.payment_risk.linked_chargeback');
  });

  it('learns a user’s hours and flags a 03:00 login only once it knows them', () => {
    const send = createShield();
    const geo = LONDON;
    let flagged = 0;
    for (let day = 0; day < 20; day++) {
      for (const hour of [9, 13, 18]) {
        flagged += send({ type: 'login', at: START + day * DAY + hour * HOUR, user: 'erin', geo }).length;
      }
    }
    expect(flagged).toBe(0);
    const night = send({ type: 'login', at: START + 20 * DAY + 3 * HOUR, user: 'erin', geo });
    expect(codes(night)).toEqual(['shield.activity_timing.unusual_hour']);
    expect(night[0]?.evidence).toMatchObject({ history: 60, eventsThisHour: 0, night: true });
    // A brand-new user at 03:00 only gets the weak night signal.
    const newcomer = send({ type: 'login', at: START + 20 * DAY + 3 * HOUR, user: 'frank', geo });
    expect(newcomer.map((s) => [s.code, s.score])).toEqual([['shield.activity_timing.night', 0.15]]);
  });

  it('turns signal events and listed IPs into signals next to the activity findings', () => {
    const lists: ListLookup = {
      lookup: (kind, value) =>
        kind === 'ip' && value === '185.220.101.4'
          ? { verdict: 'block', label: 'tor', weight: 1, match: value }
          : undefined,
    };
    const send = createShield({}, lists);
    const report = send({ type: 'cheat_signal', at: START + 12 * HOUR, user: 'gina', ip: '185.220.101.4' });
    expect(report.map((s) => [s.code, s.score])).toEqual([
      ['shield.signal_event.cheat_signal', 0.7],
      ['shield.ip_reputation.listed', 0.6],
    ]);
  });
});
