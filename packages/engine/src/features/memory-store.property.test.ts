import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { VigilEvent } from '../events/event.js';
import { cluster, count, distinct, neighbors, sum, type FeatureSpec } from './feature-spec.js';
import { compilePlan } from './feature-store.js';
import { createMemoryFeatureStore } from './memory-store.js';
import { realisticEvents, realisticSpecs } from './realistic-plan.fixture.js';
import { windowLayout } from './windowed-counter.js';

const T0 = Date.UTC(2026, 0, 5);

/**
 * Windows under test, with their layout at the default 12 target buckets: 12 × 5 s, 7 × 1 ms,
 * one bucket of 13 ms (prime), 12 × 3 ms.
 */
const WINDOWS = [60_000, 7, 13, 36] as const;

interface Step {
  readonly offset: number;
  readonly user: number;
  readonly login: boolean;
  readonly amount: number;
  readonly value: number;
}

const step = (span: number): fc.Arbitrary<Step> =>
  fc.record({
    offset: fc.integer({ min: 0, max: span }),
    user: fc.integer({ min: 0, max: 2 }),
    login: fc.boolean(),
    amount: fc.integer({ min: 0, max: 100 }),
    value: fc.integer({ min: 0, max: 9 }),
  });

/** Random streams over about five windows; `sorted` gives in-order streams. */
const streams = (sorted: boolean) =>
  fc
    .constantFrom(...WINDOWS)
    .chain((window) =>
      fc
        .array(step(window * 5), { minLength: 1, maxLength: 120 })
        .map((steps) => ({ window, steps: sorted ? [...steps].sort((a, b) => a.offset - b.offset) : steps })),
    );

function toEvent(s: Step, i: number): VigilEvent {
  return {
    id: `e${i}`,
    app: 'a',
    type: s.login ? 'login' : 'payment',
    at: T0 + s.offset,
    user: `u${s.user}`,
    device: `d${s.value}`,
    amount: s.amount,
  };
}

/** Runs a stream through a fresh store and calls `check` with every value and the events so far. */
function replay(
  window: number,
  steps: readonly Step[],
  check: (i: number, values: { c: number; s: number; d: number }) => void,
): void {
  const c = count({ entity: 'user', window, types: ['login'] });
  const s = sum({ entity: 'user', field: 'amount', window, types: ['login'] });
  const d = distinct({ entity: 'user', of: 'device', window, types: ['login'] });
  const plan = compilePlan([c, s, d] as FeatureSpec[]);
  const store = createMemoryFeatureStore();
  steps.forEach((st, i) => {
    const snap = store.evaluate(plan, toEvent(st, i));
    check(i, { c: snap.get(c), s: snap.get(s), d: snap.get(d) });
  });
}

describe('sliding windows (property)', () => {
  it('never count an expired event, and equal the exact count from the first whole bucket on (in order)', () => {
    fc.assert(
      fc.property(streams(true), ({ window, steps }) => {
        const { buckets: B, width: w } = windowLayout(window, 12);
        replay(window, steps, (i, v) => {
          const now = T0 + steps[i]!.offset;
          const cur = steps[i]!;
          const kc = Math.floor(now / w);
          const mine = steps.slice(0, i + 1).filter((x) => x.user === cur.user && x.login);
          const inWindow = mine.filter((x) => T0 + x.offset > now - window);
          const fromWholeBucket = mine.filter((x) => T0 + x.offset >= (kc - B + 1) * w);
          // Upper bound: only events inside (now - window, now] can count.
          expect(v.c).toBeLessThanOrEqual(inWindow.length);
          // Exact: everything from the first bucket wholly inside the window.
          expect(v.c).toBe(fromWholeBucket.length);
          expect(v.s).toBe(fromWholeBucket.reduce((a, x) => a + x.amount, 0));
          expect(v.d).toBe(new Set(fromWholeBucket.map((x) => x.value)).size);
          // The undercount is at most the events of one bucket.
          const partial = inWindow.length - fromWholeBucket.length;
          expect(
            mine.filter((x) => Math.floor((T0 + x.offset) / w) === kc - B).length,
          ).toBeGreaterThanOrEqual(partial);
        });
      }),
      { numRuns: 300 },
    );
  });

  it('out of order: match the bucket-ring model exactly and never see expired or later-bucket events', () => {
    fc.assert(
      fc.property(streams(false), ({ window, steps }) => {
        const { buckets: B, width: w } = windowLayout(window, 12);
        const bucketOf = (x: Step): number => Math.floor((T0 + x.offset) / w);
        // Model of one user's ring: events stored (not older than the ring when they came).
        const stored: Step[][] = [[], [], []];
        const head = [-Infinity, -Infinity, -Infinity];
        replay(window, steps, (i, v) => {
          const cur = steps[i]!;
          const now = T0 + cur.offset;
          const kc = bucketOf(cur);
          let alone: Step | undefined;
          if (cur.login) {
            if (kc > head[cur.user]! - B) stored[cur.user]!.push(cur);
            else alone = cur;
            head[cur.user] = Math.max(head[cur.user]!, kc);
          }
          const from = Math.max(kc - B + 1, head[cur.user]! - B + 1);
          const held = stored[cur.user]!.filter((x) => bucketOf(x) >= from && bucketOf(x) <= kc);
          expect(v.c).toBe(held.length + (alone === undefined ? 0 : 1));
          expect(v.s).toBe(held.reduce((a, x) => a + x.amount, alone?.amount ?? 0));
          // Bounds that hold whatever the order: nothing expired, nothing from a later bucket.
          const seen = steps
            .slice(0, i + 1)
            .filter(
              (x) => x.user === cur.user && x.login && T0 + x.offset > now - window && bucketOf(x) <= kc,
            );
          expect(v.c).toBeLessThanOrEqual(seen.length);
          expect(v.d).toBeLessThanOrEqual(new Set(seen.map((x) => x.value)).size);
          if (cur.login) expect(v.d).toBeGreaterThanOrEqual(1);
        });
      }),
      { numRuns: 300 },
    );
  });
});

describe('neighbors (property)', () => {
  it('are the newest distinct values by last-seen time, newest first, whatever the order', () => {
    const spec = neighbors({ entity: 'user', of: 'device', max: 3 });
    const plan = compilePlan([spec]);
    const events = fc.array(
      fc.record({ offset: fc.integer({ min: 0, max: 50 }), value: fc.integer({ min: 0, max: 7 }) }),
      { maxLength: 60 },
    );
    fc.assert(
      fc.property(events, (steps) => {
        const store = createMemoryFeatureStore();
        // Model: per value its newest time and the last arrival at that time (ties: latest first).
        const best = new Map<string, { at: number; arrival: number }>();
        steps.forEach((st, i) => {
          const device = `dev-${st.value}`;
          const at = T0 + st.offset;
          const got = store
            .evaluate(plan, { id: `e${i}`, app: 'a', type: 'login', at, user: 'u', device })
            .get(spec);
          const want = [...best.entries()]
            .sort((a, b) => b[1].at - a[1].at || b[1].arrival - a[1].arrival)
            .slice(0, 3)
            .map(([v]) => v);
          expect(got).toEqual(want);
          const prev = best.get(device);
          if (prev === undefined || at >= prev.at) best.set(device, { at, arrival: i });
        });
      }),
      { numRuns: Number(process.env['NB_RUNS'] ?? 300) },
    );
  });
});

describe('cluster (property)', () => {
  it('is the number of users connected through shared devices or IPs (brute force)', () => {
    // Two plans: one where devices and IPs have rows of their own (node cache words used), one
    // where the cluster is the only spec (union-find maps only).
    const c = cluster({ entity: 'user', via: ['device', 'ip'] });
    const plans = [
      compilePlan([c, count({ entity: 'device', window: 60_000 }), count({ entity: 'ip', window: 60_000 })]),
      compilePlan([c]),
    ];
    const events = fc.array(
      fc.record({
        user: fc.integer({ min: 0, max: 9 }),
        device: fc.option(fc.integer({ min: 0, max: 6 })),
        ip: fc.option(fc.integer({ min: 0, max: 6 })),
      }),
      { maxLength: 50 },
    );
    fc.assert(
      fc.property(events, fc.integer({ min: 0, max: 1 }), (steps, p) => {
        const store = createMemoryFeatureStore();
        const links: [string, string][] = [];
        steps.forEach((st, i) => {
          const e: VigilEvent = {
            id: `e${i}`,
            app: 'a',
            type: 'login',
            at: T0 + i,
            user: `u${st.user}`,
            ...(st.device === null ? {} : { device: `d${st.device}` }),
            ...(st.ip === null ? {} : { ip: `i${st.ip}` }),
          };
          if (st.device !== null) links.push([`u:u${st.user}`, `d:d${st.device}`]);
          if (st.ip !== null) links.push([`u:u${st.user}`, `i:i${st.ip}`]);
          const seen = new Set([`u:u${st.user}`]);
          for (let grew = true; grew;) {
            grew = false;
            for (const [a, b] of links)
              if (seen.has(a) !== seen.has(b)) {
                seen.add(a);
                seen.add(b);
                grew = true;
              }
          }
          const users = [...seen].filter((x) => x.startsWith('u:')).length;
          expect(store.evaluate(plans[p]!, e).get(c)).toEqual({ size: users });
        });
      }),
      { numRuns: 300 },
    );
  });
});

interface Op {
  readonly kind: 'event' | 'expire';
  readonly offset: number;
  readonly type: 'signup' | 'login' | 'payment' | 'transfer';
  readonly user: number;
  readonly device: number;
  readonly ip: number;
  readonly wallet: number;
  readonly counterparty: number;
  readonly amount: number;
  readonly geo: boolean;
}

const ops = fc.array(
  fc.record({
    kind: fc.constantFrom<Op['kind']>(
      'event',
      'event',
      'event',
      'event',
      'event',
      'event',
      'event',
      'expire',
    ),
    offset: fc.integer({ min: 0, max: 3 * 86_400_000 }),
    type: fc.constantFrom<Op['type']>('signup', 'login', 'payment', 'transfer'),
    user: fc.integer({ min: 0, max: 6 }),
    device: fc.integer({ min: 0, max: 3 }),
    ip: fc.integer({ min: 0, max: 3 }),
    wallet: fc.integer({ min: 0, max: 3 }),
    counterparty: fc.integer({ min: 0, max: 3 }),
    amount: fc.integer({ min: 1, max: 5000 }),
    geo: fc.boolean(),
  }),
  { minLength: 1, maxLength: 80 },
);

function opEvent(o: Op, i: number): VigilEvent {
  return {
    id: `e${i}`,
    app: o.user % 3 === 0 ? 'other' : 'shop',
    type: o.type,
    at: T0 + o.offset,
    user: `u${o.user}`,
    device: `d${o.device}`,
    ip: `10.0.0.${o.ip}`,
    amount: o.amount,
    emailDomain: `m${o.ip}.example`,
    userAgent: `ua${o.device}`,
    ...(o.geo ? { geo: { lat: o.ip, lon: o.device, country: 'FR' } } : {}),
    ...(o.type === 'transfer' ? { wallet: `w${o.wallet}`, counterparty: `w${o.counterparty}` } : {}),
  };
}

describe('snapshot and restore (property)', () => {
  it('a restored store answers every later event exactly as the original', () => {
    const specs = realisticSpecs();
    const plan = compilePlan(specs);
    fc.assert(
      fc.property(ops, ops, (before, after) => {
        const a = createMemoryFeatureStore({ distinctExactLimit: 6 });
        const apply = (store: typeof a, o: Op, i: number): unknown[] | number =>
          o.kind === 'expire'
            ? store.expire(T0 + o.offset)
            : specs.map((s) => structuredClone(store.evaluate(plan, opEvent(o, i)).get(s)));
        before.forEach((o, i) => apply(a, o, i));
        const bytes = a.snapshot();
        const b = createMemoryFeatureStore({ distinctExactLimit: 6 });
        b.restore(bytes);
        expect(b.snapshot()).toEqual(bytes);
        after.forEach((o, i) => {
          expect(apply(b, o, i)).toEqual(apply(a, o, i));
        });
        expect(b.stats()).toEqual(a.stats());
        expect(b.snapshot()).toEqual(a.snapshot());
      }),
      { numRuns: 60 },
    );
  });
});

describe('memory', () => {
  it('stays within 1 KB per entity for a realistic 42-spec plan over 10,000 entities', () => {
    const plan = compilePlan(realisticSpecs());
    expect(plan.specs.length).toBeGreaterThanOrEqual(40);
    // 40,000 events over 2,500 users: every entity has a history (filled windows, histograms,
    // neighbor lists). Without transfers every entity is a user, device, IP or e-mail domain
    // (the widest rows); with them, many are wallet pairs (narrow rows).
    for (const transfers of [true, false]) {
      const store = createMemoryFeatureStore();
      for (let c = 0; c < 40; c++)
        for (const e of realisticEvents({ users: 2500, count: 1000, seed: c + 1, start: T0 + c * 50_000 }))
          if (transfers || e.type !== 'transfer') store.evaluate(plan, e);
      const { entities, bytes } = store.stats();
      expect(entities).toBeGreaterThanOrEqual(10_000);
      expect(bytes / entities).toBeLessThanOrEqual(1024);
    }
  });

  it('stays bounded for one entity with unbounded distinct values', () => {
    const plan = compilePlan(realisticSpecs());
    const store = createMemoryFeatureStore();
    const base: VigilEvent = { id: 'x', app: 'a', type: 'login', at: T0, user: 'u', ip: '1.1.1.1' };
    for (let i = 0; i < 2000; i++) store.evaluate(plan, { ...base, device: `dev-${i}`, at: T0 + i });
    const small = store.stats();
    for (let i = 2000; i < 20_000; i++) store.evaluate(plan, { ...base, device: `dev-${i}`, at: T0 + i });
    const large = store.stats();
    // 18,000 more devices: their own rows grow, the user's and the IP's state does not.
    const perNewEntity = (large.bytes - small.bytes) / (large.entities - small.entities);
    expect(perNewEntity).toBeLessThan(1024);
  });
});
