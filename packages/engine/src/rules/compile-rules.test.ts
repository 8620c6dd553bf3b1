import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { DetectorOutput } from '../detectors/detector.js';
import type { Signal } from '../detectors/signal.js';
import type { VigilEvent } from '../events/event.js';
import {
  DAY,
  HOUR,
  count,
  distinct,
  first,
  last,
  sum,
  type FeatureSpec,
  type FeatureValueOf,
} from '../features/feature-spec.js';
import type { FeatureSnapshot } from '../features/feature-store.js';
import { emptyLists } from '../lists/list-lookup.js';
import {
  EXAMPLE_RULES,
  ML_SPEC_RULES,
  RULE_LIMITS,
  compileRules,
  type CompiledRules,
  type RuleDef,
} from './index.js';

const T0 = Date.UTC(2026, 2, 1, 14, 30);
const base: VigilEvent = {
  id: 'e1',
  app: 'shop',
  type: 'payment',
  at: T0,
  user: 'u1',
  amount: 50,
  currency: 'EUR',
};
const { user: _user, ...anonymous } = base;

/** A snapshot answering from a map of spec key to value; unknown specs throw like a real plan. */
function fakeSnapshot(
  specs: readonly FeatureSpec[],
  values: ReadonlyMap<string, unknown> = new Map(),
): FeatureSnapshot {
  const keys = new Set(specs.map((s) => s.key));
  return {
    get<S extends FeatureSpec>(spec: S): FeatureValueOf<S> {
      if (!keys.has(spec.key)) throw new Error(`feature not in plan: ${spec.key}`);
      // Test fake: each test stores the value type its spec reads.
      return values.get(spec.key) as FeatureValueOf<S>;
    },
  };
}

function compile(rules: unknown): CompiledRules {
  const r = compileRules(rules);
  if (!r.ok) throw new Error(JSON.stringify(r.problems));
  return r.value;
}

function run(c: CompiledRules, event: VigilEvent, values: [FeatureSpec, unknown][] = []): Signal[] {
  const out: DetectorOutput = { signals: [], facets: {} };
  const snap = fakeSnapshot(c.features, new Map(values.map(([s, v]) => [s.key, v])));
  c.detector.detect({ event, features: snap, lists: emptyLists, now: event.at }, out);
  return out.signals;
}

const rule = (expression: string, extra: Partial<RuleDef> = {}): RuleDef => ({
  id: 'r',
  expression,
  score: 0.5,
  ...extra,
});
const fires = (expression: string, event: VigilEvent, values: [FeatureSpec, unknown][] = []): boolean =>
  run(compile([rule(expression)]), event, values).length === 1;

function problemsOf(rules: unknown): { path: string; message: string }[] {
  const r = compileRules(rules);
  expect(r.ok).toBe(false);
  return r.ok ? [] : [...r.problems];
}

const MONEY_PER_HOUR = count({ entity: 'user', types: ['payment', 'transfer', 'withdrawal'], window: HOUR });
const LAST_GEO = last({ entity: 'user', field: 'geo' });
const FIRST_SEEN = first({ entity: 'user' });
const LONDON = { lat: 51.5074, lon: -0.1278 };
const PARIS = { lat: 48.8566, lon: 2.3522 };
const NEW_YORK = { lat: 40.7128, lon: -74.006 };

describe('ML_SPEC_RULES (ML fraud analytics spec)', () => {
  const c = compile(ML_SPEC_RULES);

  it('is the same data as examples/rules/ml-spec-rules.json', () => {
    const file: unknown = JSON.parse(
      readFileSync(new URL('../../../../examples/rules/ml-spec-rules.json', import.meta.url), 'utf8'),
    );
    expect(file).toMatchObject({ rules: ML_SPEC_RULES });
    expect(compileRules(file).ok).toBe(true);
  });

  it('declares exactly the features the three rules read', () => {
    expect(c.detector.id).toBe('rules');
    expect(c.features.map((f) => f.key)).toEqual([MONEY_PER_HOUR.key, LAST_GEO.key]);
  });

  it('amount_threshold: amount > 10000 -> 0.8, flag_for_review', () => {
    const [s, ...rest] = run(c, { ...base, amount: 12_500 }, [[MONEY_PER_HOUR, 1]]);
    expect(rest).toEqual([]);
    expect(s).toMatchObject({
      code: 'rule.amount_threshold',
      score: 0.8,
      category: 'rule',
      action: 'review',
    });
    expect(s?.reason).toBe('Amount 12500 is above the 10,000 threshold.');
    expect(s?.evidence).toMatchObject({
      rule: 'amount_threshold',
      amount: 12_500,
      action: 'flag_for_review',
    });
    expect(run(c, { ...base, amount: 10_000 }, [[MONEY_PER_HOUR, 1]])).toEqual([]);
  });

  it('velocity_check: transactions_per_hour > 10 -> 0.6, additional_verification', () => {
    const [s, ...rest] = run(c, base, [[MONEY_PER_HOUR, 11]]);
    expect(rest).toEqual([]);
    expect(s).toMatchObject({ code: 'rule.velocity_check', score: 0.6, action: 'challenge' });
    expect(s?.reason).toBe('11 transactions by this user in the last hour (limit 10).');
    expect(run(c, base, [[MONEY_PER_HOUR, 10]])).toEqual([]);
  });

  it('location_anomaly: distance_from_home_km > 1000 -> 0.5, location_verification', () => {
    const far = run(c, { ...base, geo: NEW_YORK }, [
      [MONEY_PER_HOUR, 1],
      [LAST_GEO, { value: LONDON, at: T0 - DAY }],
    ]);
    expect(far.map((s) => [s.code, s.score, s.action])).toEqual([
      ['rule.location_anomaly', 0.5, 'challenge'],
    ]);
    expect(far[0]?.reason).toMatch(/^55\d\d(\.\d+)? km from the user's home location/);
    const near = run(c, { ...base, geo: PARIS }, [
      [MONEY_PER_HOUR, 1],
      [LAST_GEO, { value: LONDON, at: T0 - DAY }],
    ]);
    expect(near).toEqual([]);
  });

  it('stays quiet on a normal event and on the first event of a user', () => {
    expect(
      run(c, { ...base, geo: PARIS }, [
        [MONEY_PER_HOUR, 2],
        [LAST_GEO, { value: PARIS, at: T0 - HOUR }],
      ]),
    ).toEqual([]);
    expect(
      run(c, { ...base, geo: NEW_YORK }, [
        [MONEY_PER_HOUR, 1],
        [LAST_GEO, undefined],
      ]),
    ).toEqual([]);
    expect(run(c, { id: 'x', app: 'shop', type: 'login', at: T0 })).toEqual([]);
  });
});

describe('EXAMPLE_RULES (the spec rules made specific)', () => {
  const c = compile(EXAMPLE_RULES);
  const DEVICE_FIRST_SEEN = first({ entity: 'device' });
  const traveller = { ...base, type: 'login' as const, device: 'phone', geo: NEW_YORK };

  it("keeps the spec rules' ids, scores and actions", () => {
    expect(EXAMPLE_RULES.map((r) => [r.id, r.score, r.action])).toEqual(
      ML_SPEC_RULES.map((r) => [r.id, r.score, r.action]),
    );
    expect(EXAMPLE_RULES[0]).toEqual(ML_SPEC_RULES[0]);
  });

  it('velocity_check limits new accounts, on money events only', () => {
    const young: [FeatureSpec, unknown] = [FIRST_SEEN, T0 - 2 * HOUR];
    const [s] = run(c, base, [[MONEY_PER_HOUR, 11], young]);
    expect(s).toMatchObject({ code: 'rule.velocity_check', score: 0.6, action: 'challenge' });
    expect(s?.reason).toBe(
      '11 transactions in the last hour by an account first seen 0.08 days ago (limit 10 for accounts under a day old).',
    );
    expect(run(c, base, [[MONEY_PER_HOUR, 10], young])).toEqual([]);
    // A guest's first payment: no first-seen time yet, age 0.
    expect(
      run(c, base, [
        [MONEY_PER_HOUR, 11],
        [FIRST_SEEN, undefined],
      ]),
    ).toHaveLength(1);
    // A busy payer's login or like is not itself a transaction.
    expect(run(c, { ...base, type: 'social' }, [[MONEY_PER_HOUR, 15], young])).toEqual([]);
    expect(run(c, { ...base, type: 'withdrawal' }, [[MONEY_PER_HOUR, 15], young])).toHaveLength(1);
    // An established customer's shopping spree is left to the velocity spike detector.
    expect(
      run(c, base, [
        [MONEY_PER_HOUR, 15],
        [FIRST_SEEN, T0 - 30 * DAY],
      ]),
    ).toEqual([]);
  });

  it('location_anomaly: a traveller on their own device after a plausible flight is not asked', () => {
    // London to New York (5,570 km) in 9 hours: 620 km/h, on a phone known for 30 days.
    const trip = run(c, traveller, [
      [LAST_GEO, { value: LONDON, at: T0 - 9 * HOUR }],
      [DEVICE_FIRST_SEEN, T0 - 30 * DAY],
    ]);
    expect(trip).toEqual([]);
    // The spec's rule asks them anyway.
    const spec = run(compile(ML_SPEC_RULES), traveller, [
      [MONEY_PER_HOUR, 1],
      [LAST_GEO, { value: LONDON, at: T0 - 9 * HOUR }],
    ]);
    expect(spec.map((x) => x.code)).toEqual(['rule.location_anomaly']);
  });

  it('location_anomaly fires faster than a plane, or far away on a device first seen within the hour', () => {
    const tooFast = run(c, traveller, [
      [LAST_GEO, { value: LONDON, at: T0 - 2 * HOUR }],
      [DEVICE_FIRST_SEEN, T0 - 30 * DAY],
    ]);
    expect(tooFast.map((x) => [x.code, x.score, x.action])).toEqual([
      ['rule.location_anomaly', 0.5, 'challenge'],
    ]);
    expect(tooFast[0]?.evidence['travel_speed_kmh']).toBeCloseTo(5570 / 2, -1);
    const newDevice = run(c, { ...traveller, device: 'new-phone' }, [
      [LAST_GEO, { value: LONDON, at: T0 - 3 * DAY }],
      [DEVICE_FIRST_SEEN, undefined],
    ]);
    expect(newDevice.map((x) => x.code)).toEqual(['rule.location_anomaly']);
    expect(newDevice[0]?.evidence['device_age_hours']).toBe(0);
    // Near home on a new device: nothing.
    const near = run(c, { ...traveller, geo: PARIS, device: 'new-phone' }, [
      [LAST_GEO, { value: LONDON, at: T0 - 3 * DAY }],
      [DEVICE_FIRST_SEEN, undefined],
    ]);
    expect(near).toEqual([]);
  });

  it("location_anomaly stays quiet on a user's first event or without a device", () => {
    expect(
      run(c, traveller, [
        [LAST_GEO, undefined],
        [DEVICE_FIRST_SEEN, undefined],
      ]),
    ).toEqual([]);
    const { device: _d, ...noDevice } = traveller;
    expect(run(c, noDevice, [[LAST_GEO, { value: LONDON, at: T0 - 3 * DAY }]])).toEqual([]);
  });
});

describe('compileRules: variables and features', () => {
  it('binds event fields, including the reserved-in-CEL name type', () => {
    const e: VigilEvent = {
      ...base,
      tier: 'gold',
      ip: '1.2.3.4',
      device: 'd1',
      geo: { lat: 1, lon: 2, country: 'FR' },
      emailDomain: 'mail.com',
      merchant: 'm1',
      wallet: '0xa',
      counterparty: '0xb',
      attrs: { channel: 'web', score: 7, vip: true },
    };
    for (const expr of [
      'type == "payment"',
      'type != "login" && type in ["payment", "transfer"]',
      'currency == "EUR" && tier == "gold" && ip == "1.2.3.4" && device == "d1"',
      'country == "FR" && email_domain == "mail.com" && merchant == "m1"',
      'wallet == "0xa" && counterparty == "0xb" && user == "u1"',
      'hour == 14',
      'attrs.channel == "web" && attrs.score > 5 && attrs.vip',
      'has(attrs.channel) && !has(attrs.other) && "score" in attrs',
      'amount == 50 && 50 == amount && amount != 51 && amount >= 50.0',
      'type(amount) == double',
    ])
      expect(fires(expr, e), expr).toBe(true);
    expect(fires('type == "login"', e)).toBe(false);
    expect(fires('hour == 15', e)).toBe(false);
  });

  it('turns feature calls into feature specs and reads their values', () => {
    const c = compile([
      rule(
        'count(user, payment, 1h) > 3 && sum(user, money, 24h) > 500.0 && distinct(device, user, 1d) >= 2',
      ),
    ]);
    const cnt = count({ entity: 'user', types: ['payment'], window: HOUR });
    const total = sum({
      entity: 'user',
      field: 'amount',
      types: ['payment', 'transfer', 'withdrawal'],
      window: DAY,
    });
    const devices = distinct({ entity: 'user', of: 'device', window: DAY });
    expect(c.features.map((f) => f.key)).toEqual([cnt.key, total.key, devices.key]);
    const hit = run(c, base, [
      [cnt, 4],
      [total, 900],
      [devices, 2],
    ]);
    expect(hit[0]?.evidence).toEqual({
      rule: 'r',
      'count(user, payment, 1h)': 4,
      'sum(user, money, 24h)': 900,
      'distinct(device, user, 1d)': 2,
    });
    expect(
      run(c, base, [
        [cnt, 3],
        [total, 900],
        [devices, 2],
      ]),
    ).toEqual([]);
  });

  it('shares one feature between equal calls and supports durations, type lists and any', () => {
    const c = compile([
      rule('count(ip, signup|login, 30m) > 5', { id: 'a' }),
      rule('count(ip,login|signup,30m) > 10 || count(ip, any, 7d) > 100 || count(device, 90s) > 1', {
        id: 'b',
      }),
    ]);
    expect(c.features.map((f) => f.key)).toEqual([
      count({ entity: 'ip', types: ['login', 'signup'], window: 30 * 60_000 }).key,
      count({ entity: 'ip', window: 7 * DAY }).key,
      count({ entity: 'device', window: 90_000 }).key,
    ]);
  });

  it('treats a feature of an entity the event lacks as missing', () => {
    const c = compile([rule('count(device, 1h) >= 0')]);
    expect(run(c, { ...base, device: 'd' }, [[c.features[0] as FeatureSpec, 0]])).toHaveLength(1);
    expect(run(c, base, [[c.features[0] as FeatureSpec, 0]])).toEqual([]);
  });

  it('computes distance from attrs.home_lat/home_lon when present, else from the last location', () => {
    const c = compile([rule('distance_from_home_km > 1000')]);
    const home = { home_lat: LONDON.lat, home_lon: LONDON.lon };
    expect(
      run(c, { ...base, geo: NEW_YORK, attrs: home }, [[LAST_GEO, { value: NEW_YORK, at: T0 - HOUR }]]),
    ).toHaveLength(1);
    expect(
      run(c, { ...base, geo: PARIS, attrs: home }, [[LAST_GEO, { value: NEW_YORK, at: T0 - HOUR }]]),
    ).toEqual([]);
    expect(run(c, { ...base, geo: NEW_YORK }, [[LAST_GEO, { value: LONDON, at: T0 - HOUR }]])).toHaveLength(
      1,
    );
    // No geo on the event, or nothing to compare with: missing, so false.
    expect(run(c, base, [[LAST_GEO, { value: LONDON, at: T0 - HOUR }]])).toEqual([]);
    expect(run(c, { ...base, geo: NEW_YORK }, [[LAST_GEO, undefined]])).toEqual([]);
  });

  it('computes account age in days, 0 for a new user', () => {
    const c = compile([
      rule('account_age_days < 1.0', { reason: 'account is {{account_age_days}} days old' }),
    ]);
    expect(run(c, base, [[FIRST_SEEN, undefined]])[0]?.reason).toBe('account is 0 days old');
    expect(run(c, base, [[FIRST_SEEN, T0 - 12 * HOUR]])[0]?.reason).toBe('account is 0.5 days old');
    expect(run(c, base, [[FIRST_SEEN, T0 - 3 * DAY]])).toEqual([]);
    expect(run(c, anonymous, [[FIRST_SEEN, undefined]])).toEqual([]);
  });
});

describe('compileRules: missing values and errors at run time', () => {
  it('is false, not an error, when a compared value is missing', () => {
    const login: VigilEvent = { id: 'l', app: 'shop', type: 'login', at: T0, user: 'u1' };
    expect(fires('amount > 10000', login)).toBe(false);
    expect(fires('!(amount > 10000)', login)).toBe(false);
    expect(fires('attrs.channel == "web"', login)).toBe(false);
    expect(fires('country == "FR"', login)).toBe(false);
    expect(fires('transactions_per_hour > 10', { ...anonymous, type: 'login' })).toBe(false);
  });

  it('follows CEL: an error on one side of || is absorbed when the other side is true', () => {
    const login: VigilEvent = { id: 'l', app: 'shop', type: 'login', at: T0, user: 'u1' };
    expect(fires('amount > 10000 || user == "u1"', login)).toBe(true);
    expect(fires('!has(attrs.channel) || attrs.channel == "web"', login)).toBe(true);
    expect(fires('attrs.channel == "web" ? true : user == "u1"', login)).toBe(false);
    expect(fires('user == "u1" ? true : amount > 1.0', login)).toBe(true);
  });

  it('counts a rule that errors on an event as false and keeps evaluating the others', () => {
    const c = compile([
      rule('int(attrs.n) > 1', { id: 'bad_int' }),
      rule('10 / (hour - hour) > 1', { id: 'div0' }),
      rule('attrs.n + 1 > 2', { id: 'wrong_type' }),
      rule('user == "u1"', { id: 'ok' }),
    ]);
    const signals = run(c, { ...base, attrs: { n: 'not a number' } });
    expect(signals.map((s) => s.code)).toEqual(['rule.ok']);
  });

  it('property: never throws on arbitrary events', () => {
    const c = compile([
      ...EXAMPLE_RULES,
      rule('attrs.x > 3 || attrs.y == "a" || count(ip, 1h) > 2', { id: 'mixed' }),
      rule('string(attrs.z).size() > 2 && country == "FR"', { id: 'conv' }),
    ]);
    const scalar = fc.oneof(
      fc.string({ maxLength: 5 }),
      fc.double(),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
    );
    fc.assert(
      fc.property(
        fc.record(
          {
            amount: fc.double({ min: 0, max: 1e7, noNaN: true }),
            user: fc.string({ minLength: 1, maxLength: 4 }),
            ip: fc.constantFrom('1.2.3.4', '::1'),
            geo: fc.record({
              lat: fc.double({ min: -90, max: 90, noNaN: true }),
              lon: fc.double({ min: -180, max: 180, noNaN: true }),
            }),
            attrs: fc.dictionary(fc.constantFrom('x', 'y', 'z', 'home_lat', 'home_lon'), scalar),
          },
          { requiredKeys: [] },
        ),
        fc.integer({ min: 0, max: 50 }),
        (fields, n) => {
          const event: VigilEvent = { id: 'p', app: 'a', type: 'payment', at: T0, ...fields };
          const values: [FeatureSpec, unknown][] = c.features.map((f) => [
            f,
            f.kind === 'last' ? { value: LONDON, at: T0 - HOUR } : f.kind === 'first' ? undefined : n,
          ]);
          for (const s of run(c, event, values)) expect(s.code.startsWith('rule.')).toBe(true);
        },
      ),
    );
  });
});

describe('compileRules: signals', () => {
  it('fills reason placeholders and falls back to a readable default', () => {
    const c = compile([
      rule('amount > 10.0', {
        id: 'tpl',
        reason:
          '{{user}} paid {{ amount }} via {{attrs.channel}}; {{count(user, payment, 1h)}} payments, {{attrs.none}}, {{ip}}',
      }),
      rule('amount > 10.0 && user == "u1"', { id: 'plain', name: 'Big payer' }),
    ]);
    const cnt = count({ entity: 'user', types: ['payment'], window: HOUR });
    const [a, b] = run(c, { ...base, amount: 12.345, attrs: { channel: 'app' } }, [[cnt, 3]]);
    expect(a?.reason).toBe('u1 paid 12.35 via app; 3 payments, n/a, n/a');
    expect(b?.reason).toBe(
      'Rule \'Big payer\' matched: amount > 10.0 && user == "u1" (amount = 12.35, user = u1).',
    );
  });

  it('uses severity, outcome and action hints as given', () => {
    const c = compile([
      rule('true', { id: 'a', score: 0.3, severity: 'high', outcome: 'block', action: 'flag_for_review' }),
      rule('true', { id: 'b', score: 0.9, action: 'notify_team' }),
      rule('true', { id: 'c', score: 0.1, action: 'challenge' }),
    ]);
    const [a, b, cc] = run(c, base);
    expect(a).toMatchObject({ severity: 'high', action: 'block' });
    expect(b?.severity).toBe('critical');
    expect(b?.action).toBeUndefined();
    expect(b?.evidence['action']).toBe('notify_team');
    expect(cc).toMatchObject({ severity: 'info', action: 'challenge' });
  });

  it('skips disabled rules and their features', () => {
    const c = compile([
      rule('count(ip, 1h) > 1', { id: 'off', enabled: false }),
      rule('user == "u1"', { id: 'on' }),
    ]);
    expect(c.defs.map((d) => d.id)).toEqual(['off', 'on']);
    expect(c.features).toEqual([]);
    expect(run(c, { ...base, ip: '1.1.1.1' }).map((s) => s.code)).toEqual(['rule.on']);
  });

  it('supports matches with a literal pattern, compiled once', () => {
    expect(fires('user.matches("^u[0-9]+$")', base)).toBe(true);
    expect(fires("user.matches('^x')", base)).toBe(false);
    expect(fires('email_domain.matches(r"\\.ru$")', { ...base, emailDomain: 'mail.ru' })).toBe(true);
  });

  it('accepts an empty rule set and the { rules } file shape', () => {
    expect(run(compile([]), base)).toEqual([]);
    expect(compile({ $schema: 'x', description: 'd', rules: [rule('true')] }).defs).toHaveLength(1);
  });
});

describe('compileRules: validation', () => {
  it('reports schema problems with paths under /rules/<i>', () => {
    const p = problemsOf([
      { id: 'ok', expression: 'true', score: 0.5 },
      { id: 'bad id!', expression: '', score: 2, extra: 1 },
    ]);
    expect(p.map((x) => x.path).sort()).toEqual([
      '/rules/1/expression',
      '/rules/1/extra',
      '/rules/1/id',
      '/rules/1/score',
    ]);
    expect(problemsOf('nope')).toEqual([
      { path: '/', message: 'expected an array of rules or { "rules": [...] }' },
    ]);
    expect(problemsOf({ rules: [], other: 1 })).toEqual([{ path: '/other', message: 'unknown field' }]);
  });

  it('reports expression errors per rule with the CEL message and position', () => {
    const p = problemsOf([
      rule('amount > 10000', { id: 'fine' }),
      rule('amount > "a"', { id: 'type' }),
      rule('amount >', { id: 'syntax' }),
      rule('velocity > 3', { id: 'unknown' }),
      rule('amount + 1.0', { id: 'not_bool' }),
      rule('count(user, 1h) + "s" == "x"', { id: 'feature_type' }),
    ]);
    expect(p).toEqual([
      {
        path: '/rules/1/expression',
        message: `no such overload: double > string at column 1 ('amount > "a"')`,
      },
      { path: '/rules/2/expression', message: 'Unexpected token: EOF at the end of the expression' },
      { path: '/rules/3/expression', message: "Unknown variable: velocity at column 1 ('velocity > 3')" },
      { path: '/rules/4/expression', message: 'a rule must be a boolean expression; this one is double' },
      {
        path: '/rules/5/expression',
        message: `no such overload: int + string at column 1 ('count(user, 1h) + "s" == "x"')`,
      },
    ]);
  });

  it('rejects bad feature calls with a clear message', () => {
    const cases: [string, string][] = [
      ['count(users, 1h) > 1', "unknown entity 'users'"],
      ['count(user, paymnt, 1h) > 1', "unknown event type 'paymnt'"],
      ['count(user, 1 hour) > 1', "'1 hour' is not a duration"],
      ['count(user, 0s) > 1', "'0s' is not a duration"],
      ['sum(user, 100d) > 1.0', 'longer than 90 days'],
      ['distinct(device, 1d) > 1', 'expected distinct(of, entity[, types], window)'],
      ['count(user, payment, login, 1h) > 1', 'expected count(entity[, types], window)'],
      ['count(user, (1h)) > 1', "unexpected '('"],
      ['count(user, 1h > 1', 'unclosed count('],
    ];
    for (const [expr, msg] of cases) {
      const [p] = problemsOf([rule(expr)]);
      expect(p?.path, expr).toBe('/rules/0/expression');
      expect(p?.message, expr).toContain(msg);
    }
  });

  it('does not mistake strings, methods or longer names for feature calls', () => {
    expect(fires('"count(user, 1h)" == "count(user, 1h)"', base)).toBe(true);
    expect(
      fires('[1.0, 2.0].exists(x, x > 1.5) && account_age_days >= 0.0', base, [[FIRST_SEEN, undefined]]),
    ).toBe(true);
  });

  it('rejects duplicate ids, unknown placeholders and too many rules', () => {
    expect(problemsOf([rule('true', { id: 'a' }), rule('true', { id: 'a' })])).toEqual([
      { path: '/rules/1/id', message: "duplicate rule id 'a' (also /rules/0)" },
    ]);
    const [p] = problemsOf([rule('true', { reason: 'hi {{nobody}}' })]);
    expect(p).toEqual({
      path: '/rules/0/reason',
      message: 'unknown placeholder {{nobody}} (use a rule variable, attrs.<key> or a feature call)',
    });
    const many = Array.from({ length: RULE_LIMITS.maxRules + 1 }, (_, i) => rule('true', { id: `r${i}` }));
    expect(problemsOf(many)[0]?.message).toBe('at most 1000 rules');
  });

  it('rejects expressions that are too long or too deeply nested', () => {
    const long = `amount > 1.0 ${'|| amount > 1.0 '.repeat(130)}`;
    expect(long.length).toBeGreaterThan(2000);
    expect(problemsOf([rule(long)])[0]).toEqual({
      path: '/rules/0/expression',
      message: 'must not have more than 2000 characters',
    });
    const deep = `${'('.repeat(40)}true${')'.repeat(40)}`;
    expect(problemsOf([rule(deep)])[0]?.message).toContain('Exceeded maxDepth (32)');
    const wide = Array.from({ length: 60 }, (_, i) => `user == "u${i}"`).join(' || ');
    expect(fires(wide, base)).toBe(true);
  });

  it('rejects unsafe or dynamic regular expressions', () => {
    expect(problemsOf([rule('user.matches("(a+)+$")')])[0]?.message).toContain('nested quantifier');
    expect(problemsOf([rule('user.matches(user)')])[0]?.message).toContain('one string literal pattern');
    expect(problemsOf([rule('matches(user, "a")')])[0]?.message).toContain('one string literal pattern');
  });

  it('fails safely on prototype probes', () => {
    expect(problemsOf([rule('__proto__ == null')])[0]?.message).toContain(
      "identifiers starting with '_' are reserved",
    );
    expect(problemsOf([rule('constructor == null')])[0]?.message).toContain('Unknown variable: constructor');
    expect(problemsOf([rule('user.constructor == null')])[0]?.path).toBe('/rules/0/expression');
    expect(problemsOf([rule('_f0__ > 1')])[0]?.message).toContain('reserved');
    const probes = [
      'attrs.__proto__ != null',
      'attrs["constructor"] != null',
      'attrs.constructor != null',
      'has(attrs.__proto__)',
      '"__proto__" in attrs',
      'attrs["__proto__"]["polluted"] == true',
    ];
    for (const p of probes) expect(fires(p, { ...base, attrs: { a: 1 } }), p).toBe(false);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});
