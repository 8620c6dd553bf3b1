import { describe, expect, it } from 'vitest';
import { validateEvent } from '../events/validate-event.js';
import { DAY, HOUR, MINUTE } from '../features/feature-spec.js';
import { haversineKm } from '../util/geo.js';
import { cidrContains, parseCidr, parseIp } from '../util/ip.js';
import { SCENARIO_NAMES, isScenarioName, type ScenarioName, type SimulatedEvent } from './simulated-event.js';
import { createSimulator, DEFAULT_SIM_START, simulate } from './simulator.js';
import {
  DISPOSABLE_EMAIL_DOMAINS,
  SIM_CITIES,
  SIMULATED_DATACENTER_CIDRS,
  SIMULATED_SANCTIONED_WALLETS,
} from './simulator-data.js';

const DATACENTER = SIMULATED_DATACENTER_CIDRS.map((c) => parseCidr(c)!);
const isDatacenter = (ip: string | undefined): boolean => {
  const p = ip === undefined ? undefined : parseIp(ip);
  return p !== undefined && DATACENTER.some((c) => cidrContains(c, p));
};
const SANCTIONED = new Set<string>(SIMULATED_SANCTIONED_WALLETS);
const continentOf = (country: string | undefined): string | undefined =>
  SIM_CITIES.find((c) => c.country === country)?.continent;

// One shared run with a high attack rate so every scenario has many episodes.
const RUN = simulate({ seed: 42, users: 400, attackRate: 0.08 }, 60_000);

/**
 * The episodes of a scenario that the run holds whole: an episode started in the run's last day
 * (structuring spans up to 15 hours) may be cut off by the end of the run.
 */
function episodesOf(events: readonly SimulatedEvent[], s: ScenarioName): SimulatedEvent[][] {
  const end = events[events.length - 1]?.event.at ?? 0;
  const by = new Map<number, SimulatedEvent[]>();
  for (const x of events) {
    if (x.label.scenario !== s || x.label.episode === undefined) continue;
    const list = by.get(x.label.episode) ?? [];
    list.push(x);
    by.set(x.label.episode, list);
  }
  return [...by.values()].filter((ep) => (ep[0]?.event.at ?? end) < end - DAY);
}

describe('createSimulator', () => {
  it('is deterministic: same seed and options give the same events, another seed differs', () => {
    const a = simulate({ seed: 7, users: 300 }, 5000);
    const b = simulate({ seed: 7, users: 300 }, 5000);
    const c = simulate({ seed: 8, users: 300 }, 5000);
    expect(b).toEqual(a);
    expect(JSON.stringify(c)).not.toBe(JSON.stringify(a));
  });

  it('is an endless iterator starting at the configured time and app', () => {
    const start = Date.UTC(2026, 5, 1);
    const sim = createSimulator({ seed: 3, users: 50, start, app: 'shop' });
    const first = sim.next();
    expect(first.done).toBe(false);
    expect(first.value.event.app).toBe('shop');
    expect(first.value.event.at).toBeGreaterThanOrEqual(start);
    expect(first.value.event.at).toBeLessThan(start + 2 * 24 * HOUR);
    expect(simulate({ seed: 3, users: 50 }, 0)).toEqual([]);
  });

  it('emits only events that validate, with unique ids, unchanged times and normalised fields', () => {
    const ids = new Set<string>();
    for (const { event } of RUN) {
      const r = validateEvent(event, { now: event.at });
      if (!r.ok) throw new Error(`${event.id}: ${JSON.stringify(r.problems)}`);
      expect(r.value.at).toBe(event.at);
      expect(r.value.ip).toBe(event.ip);
      ids.add(event.id);
    }
    expect(ids.size).toBe(RUN.length);
  });

  it('keeps time order', () => {
    let prev = DEFAULT_SIM_START;
    let outOfOrder = 0;
    for (const { event } of RUN) {
      if (event.at < prev) outOfOrder++;
      prev = event.at;
    }
    expect(outOfOrder).toBe(0);
    expect(RUN[0]!.event.at).toBeGreaterThanOrEqual(DEFAULT_SIM_START);
  });

  it('injects every scenario at the configured attack rate, with consistent labels', () => {
    const malicious = RUN.filter((x) => x.label.malicious).length;
    expect(malicious / RUN.length).toBeGreaterThan(0.07);
    expect(malicious / RUN.length).toBeLessThan(0.09);
    for (const s of SCENARIO_NAMES) {
      const eps = episodesOf(RUN, s);
      expect(eps.length, s).toBeGreaterThanOrEqual(10);
    }
    for (const { label } of RUN) {
      expect(label.malicious).toBe(label.scenario !== 'normal');
      expect(label.episode !== undefined).toBe(label.malicious);
    }
    const low = simulate({ seed: 42, users: 400, attackRate: 0.01 }, 40_000);
    const share = low.filter((x) => x.label.malicious).length / low.length;
    expect(share).toBeGreaterThan(0.005);
    expect(share).toBeLessThan(0.015);
  });

  it('injects only the chosen scenarios, and none at attack rate 0', () => {
    const only = simulate({ seed: 5, users: 200, attackRate: 0.05, scenarios: ['structuring'] }, 10_000);
    const scen = new Set(only.filter((x) => x.label.malicious).map((x) => x.label.scenario));
    expect([...scen]).toEqual(['structuring']);
    const none = simulate({ seed: 5, users: 200, attackRate: 0 }, 10_000);
    expect(none.some((x) => x.label.malicious)).toBe(false);
  });

  it('exports the scenario vocabulary', () => {
    expect(SCENARIO_NAMES).toHaveLength(8);
    expect(isScenarioName('wash_trading')).toBe(true);
    expect(isScenarioName('normal')).toBe(false);
  });
});

describe('attack scenarios', () => {
  it('card testing: 15+ small payments from one user and device across many merchants within minutes, mostly declined', () => {
    for (const ep of episodesOf(RUN, 'card_testing')) {
      const tests = ep.filter((x) => (x.event.amount ?? 0) < 5);
      expect(tests.length).toBeGreaterThanOrEqual(15);
      expect(new Set(ep.map((x) => x.event.user)).size).toBe(1);
      expect(new Set(ep.map((x) => x.event.device)).size).toBe(1);
      expect(new Set(tests.map((x) => x.event.merchant)).size).toBeGreaterThan(tests.length / 2);
      const declined = tests.filter((x) => x.event.attrs?.['status'] === 'declined').length;
      expect(declined / tests.length).toBeGreaterThan(0.4);
      expect(tests.at(-1)!.event.at - tests[0]!.event.at).toBeLessThan(20 * MINUTE);
    }
  });

  it('account takeover: a home login, then a login from another continent on a new device minutes later, then a withdrawal', () => {
    const eps = episodesOf(RUN, 'account_takeover');
    for (const ep of eps) {
      const user = ep[0]!.event.user!;
      const logins = ep.filter((x) => x.event.type === 'login' && x.event.attrs?.['status'] === 'success');
      expect(logins).toHaveLength(1);
      const attack = logins[0]!.event;
      const home = RUN.filter(
        (x) =>
          x.event.user === user && x.event.type === 'login' && !x.label.malicious && x.event.at < attack.at,
      ).at(-1)!.event;
      expect(attack.at - home.at).toBeLessThanOrEqual(30 * MINUTE);
      expect(continentOf(attack.geo?.country)).not.toBe(continentOf(home.geo?.country));
      expect(haversineKm(home.geo!, attack.geo!) / ((attack.at - home.at) / HOUR)).toBeGreaterThan(1000);
      const userDevices = new Set(
        RUN.filter((x) => x.event.user === user && !x.label.malicious).map((x) => x.event.device),
      );
      expect(userDevices.has(attack.device)).toBe(false);
      const last = ep.at(-1)!.event;
      expect(last.type).toBe('withdrawal');
      expect(last.device).toBe(attack.device);
    }
  });

  it('bot signup farm: 20+ signups from at most two datacenter IPs and three devices with an automation user agent', () => {
    for (const ep of episodesOf(RUN, 'bot_signup_farm')) {
      const signups = ep.filter((x) => x.event.type === 'signup');
      expect(signups.length).toBeGreaterThanOrEqual(20);
      const ips = new Set(signups.map((x) => x.event.ip));
      expect(ips.size).toBeLessThanOrEqual(2);
      expect([...ips].every((ip) => isDatacenter(ip))).toBe(true);
      expect(new Set(signups.map((x) => x.event.device)).size).toBeLessThanOrEqual(3);
      expect(signups[0]!.event.userAgent).toMatch(/Headless|python|curl|Go-http|axios/);
    }
    const farmEmails = episodesOf(RUN, 'bot_signup_farm').flatMap((ep) => ep.map((x) => x.event.email ?? ''));
    const disposable = farmEmails.filter((e) => DISPOSABLE_EMAIL_DOMAINS.some((d) => e.endsWith(`@${d}`)));
    expect(disposable.length).toBeGreaterThan(0);
  });

  it('referral ring: one referrer, 8+ referred accounts on shared devices and IPs that never act again', () => {
    for (const ep of episodesOf(RUN, 'referral_ring')) {
      const referred = ep.filter((x) => x.event.type === 'signup' && x.event.referrer !== undefined);
      expect(referred.length).toBeGreaterThanOrEqual(8);
      expect(new Set(referred.map((x) => x.event.referrer)).size).toBe(1);
      expect(new Set(referred.map((x) => x.event.device)).size).toBeLessThanOrEqual(3);
      expect(new Set(referred.map((x) => x.event.ip)).size).toBeLessThanOrEqual(2);
      const accounts = new Set(referred.map((x) => x.event.user));
      const later = RUN.filter(
        (x) => accounts.has(x.event.user) && x.event.type !== 'signup' && x.event.type !== 'referral',
      );
      expect(later).toHaveLength(0);
    }
  });

  it('wash trading: every transfer is answered around the cycle with a near-equal amount', () => {
    for (const ep of episodesOf(RUN, 'wash_trading')) {
      const wallets = new Set(ep.map((x) => x.event.wallet));
      expect(wallets.size).toBeGreaterThanOrEqual(2);
      expect(wallets.size).toBeLessThanOrEqual(3);
      expect(ep.every((x) => wallets.has(x.event.counterparty))).toBe(true);
      // Rounds of `size` hops: each hop sends on what it received, minus at most 3%.
      const size = wallets.size;
      expect(ep.length % size).toBe(0);
      for (let k = 0; k < ep.length; k += size) {
        for (let i = k; i + 1 < k + size; i++) {
          const a = ep[i]!.event;
          const b = ep[i + 1]!.event;
          expect(b.wallet).toBe(a.counterparty);
          expect(b.amount! / a.amount!).toBeGreaterThanOrEqual(0.969);
          expect(b.amount! / a.amount!).toBeLessThanOrEqual(1);
        }
        expect(ep[k + size - 1]!.event.counterparty).toBe(ep[k]!.event.wallet);
      }
    }
  });

  it('structuring: 4+ transfers each between 9,000 and 10,000', () => {
    for (const ep of episodesOf(RUN, 'structuring')) {
      expect(ep.length).toBeGreaterThanOrEqual(4);
      for (const { event } of ep) {
        expect(event.type).toBe('transfer');
        expect(event.amount).toBeGreaterThanOrEqual(9000);
        expect(event.amount).toBeLessThan(10_000);
      }
    }
  });

  it('win-rate cheating: a win rate far above the population or a payout above 100x the bet; fair games otherwise', () => {
    const rate = (xs: readonly SimulatedEvent[]): number => {
      const results = xs.filter((x) => x.event.type === 'game_result');
      return results.filter((x) => x.event.attrs?.['won'] === true).length / results.length;
    };
    const over100 = (x: SimulatedEvent): boolean =>
      x.event.type === 'game_result' &&
      x.event.attrs?.['bet'] === x.event.amount &&
      Number(x.event.attrs?.['payout']) > 100 * x.event.amount!;
    const population = rate(RUN.filter((x) => !x.label.malicious));
    expect(population).toBeGreaterThan(0.42);
    expect(population).toBeLessThan(0.52);
    expect(RUN.some((x) => !x.label.malicious && over100(x))).toBe(false);
    for (const ep of episodesOf(RUN, 'win_rate_cheating')) {
      expect(rate(ep) >= 0.8 || ep.some(over100)).toBe(true);
    }
  });

  it('sanctioned wallet: each episode ends in a transfer to a listed sanctioned wallet; normal users never pay one', () => {
    for (const ep of episodesOf(RUN, 'sanctioned_wallet')) {
      expect(ep.some((x) => SANCTIONED.has(x.event.counterparty ?? ''))).toBe(true);
    }
    expect(RUN.some((x) => !x.label.malicious && SANCTIONED.has(x.event.counterparty ?? ''))).toBe(false);
  });
});

describe('normal traffic', () => {
  const normal = RUN.filter((x) => !x.label.malicious);

  it('never uses datacenter IPs or automation user agents', () => {
    expect(normal.some((x) => isDatacenter(x.event.ip))).toBe(false);
    expect(normal.some((x) => /Headless|python|curl|Go-http|axios/.test(x.event.userAgent ?? ''))).toBe(
      false,
    );
  });

  it('travels at plausible speed between logins', () => {
    const lastLogin = new Map<string, SimulatedEvent['event']>();
    let trips = 0;
    for (const { event } of normal) {
      if (event.type !== 'login' || event.attrs?.['status'] !== 'success' || event.geo === undefined)
        continue;
      const prev = lastLogin.get(event.user!);
      lastLogin.set(event.user!, event);
      if (prev?.geo === undefined) continue;
      const km = haversineKm(prev.geo, event.geo);
      if (km < 50) continue;
      trips++;
      expect(km / Math.max(1e-9, (event.at - prev.at) / HOUR)).toBeLessThan(900);
    }
    expect(trips).toBeGreaterThan(0);
  });

  it('travels at plausible speed between any two events of a user, not only logins', () => {
    const last = new Map<string, SimulatedEvent['event']>();
    let trips = 0;
    for (const { event } of normal) {
      if (event.geo === undefined || event.user === undefined) continue;
      const prev = last.get(event.user);
      last.set(event.user, event);
      if (prev?.geo === undefined) continue;
      const km = haversineKm(prev.geo, event.geo);
      if (km < 50) continue;
      trips++;
      expect(km / Math.max(1e-9, (event.at - prev.at) / HOUR)).toBeLessThan(900);
    }
    expect(trips).toBeGreaterThan(0);
  });

  it('is mostly active at human hours and pays log-normal amounts', () => {
    const payments = normal.filter((x) => x.event.type === 'payment').map((x) => x.event.amount!);
    payments.sort((a, b) => a - b);
    const median = payments[Math.floor(payments.length / 2)]!;
    expect(median).toBeGreaterThan(15);
    expect(median).toBeLessThan(40);
    const logins = normal.filter((x) => x.event.type === 'login' && x.event.geo !== undefined);
    const night = logins.filter((x) => {
      const h = (x.event.at / HOUR + x.event.geo!.lon / 15 + 48) % 24;
      return h < 6;
    }).length;
    expect(night / logins.length).toBeLessThan(0.12);
  });

  it('uploads unique content and includes real referrals that stay active', () => {
    const uploads = normal.filter((x) => x.event.type === 'upload').map((x) => x.event.contentHash);
    expect(new Set(uploads).size).toBe(uploads.length);
    const referred = new Set(
      normal
        .filter((x) => x.event.type === 'signup' && x.event.referrer !== undefined)
        .map((x) => x.event.user),
    );
    expect(referred.size).toBeGreaterThan(0);
    const active = normal.filter(
      (x) => referred.has(x.event.user) && x.event.type !== 'signup' && x.event.type !== 'referral',
    );
    expect(active.length).toBeGreaterThan(0);
    expect(active.every((x) => x.event.referrer !== undefined)).toBe(true);
  });
});
