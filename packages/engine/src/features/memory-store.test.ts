import { describe, expect, it } from 'vitest';
import type { VigilEvent } from '../events/event.js';
import {
  DAY,
  HOUR,
  MINUTE,
  cluster,
  count,
  distinct,
  first,
  hist,
  last,
  neighbors,
  stats,
  sum,
  type FeatureSpec,
} from './feature-spec.js';
import { compilePlan, type FeaturePlan, type FeatureSnapshot } from './feature-store.js';
import { createMemoryFeatureStore } from './memory-store.js';

/** 2026-01-05 00:00:00 UTC, a Monday. */
const T0 = Date.UTC(2026, 0, 5);
let seq = 0;
function ev(o: Partial<VigilEvent> = {}): VigilEvent {
  return { id: `e${seq++}`, app: 'shop', type: 'login', at: T0, ...o };
}

/** A store and a plan of the given specs; `run` evaluates one event. */
function setup(specs: FeatureSpec[], opts: Parameters<typeof createMemoryFeatureStore>[0] = {}) {
  const store = createMemoryFeatureStore(opts);
  const plan = compilePlan(specs);
  return { store, plan, run: (o: Partial<VigilEvent>): FeatureSnapshot => store.evaluate(plan, ev(o)) };
}

describe('count', () => {
  const c = count({ entity: 'ip', window: HOUR });
  const signups = count({ entity: 'ip', window: HOUR, types: ['signup'] });

  it('includes the current event and counts per entity', () => {
    const { run } = setup([c]);
    expect(run({ ip: '1.1.1.1' }).get(c)).toBe(1);
    expect(run({ ip: '1.1.1.1', at: T0 + MINUTE }).get(c)).toBe(2);
    expect(run({ ip: '2.2.2.2', at: T0 + MINUTE }).get(c)).toBe(1);
    expect(run({ ip: '1.1.1.1', at: T0 + 2 * MINUTE }).get(c)).toBe(3);
  });

  it('counts only matching types but answers every event', () => {
    const { run } = setup([signups]);
    expect(run({ ip: '1.1.1.1', type: 'signup' }).get(signups)).toBe(1);
    expect(run({ ip: '1.1.1.1', type: 'login' }).get(signups)).toBe(1);
    expect(run({ ip: '1.1.1.1', type: 'signup' }).get(signups)).toBe(2);
  });

  it('is 0 when the event lacks the entity', () => {
    const { run } = setup([c]);
    run({ ip: '1.1.1.1' });
    expect(run({ user: 'u1' }).get(c)).toBe(0);
  });

  it('never counts an expired event, and misses at most the oldest partial bucket', () => {
    const { run } = setup([c]); // 12 buckets of 5 minutes
    run({ ip: 'x', at: T0 }); // bucket [T0, T0+5m)
    expect(run({ ip: 'x', at: T0 + HOUR - 1 }).get(c)).toBe(2);
    // At T0+1h the event at T0 is exactly out of (now - 1h, now].
    expect(run({ ip: 'x', at: T0 + HOUR }).get(c)).toBe(2); // the one at T0+1h-1 and this one
    const s = setup([c]);
    s.run({ ip: 'x', at: T0 + 4 * MINUTE }); // still inside at T0+1h+3m, but in a partly expired bucket
    expect(s.run({ ip: 'x', at: T0 + HOUR + 3 * MINUTE }).get(c)).toBe(1);
    expect(s.run({ ip: 'x', at: T0 + 3 * HOUR }).get(c)).toBe(1);
  });

  it('stores out-of-order events inside the window and answers too-old ones alone', () => {
    const { run } = setup([c]);
    run({ ip: 'x', at: T0 + 30 * MINUTE });
    run({ ip: 'x', at: T0 + 40 * MINUTE });
    // 5 minutes late: stored in its own bucket; its window does not see the later bucket.
    expect(run({ ip: 'x', at: T0 + 35 * MINUTE }).get(c)).toBe(2);
    expect(run({ ip: 'x', at: T0 + 41 * MINUTE }).get(c)).toBe(4);
    // Two hours late: outside the ring, answered as if alone, state untouched.
    expect(run({ ip: 'x', at: T0 - HOUR }).get(c)).toBe(1);
    expect(run({ ip: 'x', at: T0 + 42 * MINUTE }).get(c)).toBe(5);
  });

  it('survives clock skew and non-finite times', () => {
    const { run } = setup([c]);
    run({ ip: 'x', at: T0 });
    expect(run({ ip: 'x', at: T0 + 365 * DAY }).get(c)).toBe(1); // far future: ring emptied
    expect(run({ ip: 'x', at: T0 + MINUTE }).get(c)).toBe(1); // back to normal: alone, no crash
    expect(run({ ip: 'x', at: Number.NaN }).get(c)).toBe(0);
    expect(run({ ip: 'x', at: -5 * DAY }).get(c)).toBe(1);
    expect(run({ ip: 'x', at: T0 + 365 * DAY + MINUTE }).get(c)).toBe(2);
  });
});

describe('sum', () => {
  const s = sum({ entity: 'user', field: 'amount', window: DAY, types: ['payment'] });
  const won = sum({ entity: 'user', field: 'won', window: DAY });

  it('sums the field over the window including the current event', () => {
    const { run } = setup([s]);
    expect(run({ user: 'u', type: 'payment', amount: 10 }).get(s)).toBe(10);
    expect(run({ user: 'u', type: 'payment', amount: 5.5, at: T0 + HOUR }).get(s)).toBe(15.5);
    expect(run({ user: 'u', type: 'login', amount: 100, at: T0 + HOUR }).get(s)).toBe(15.5);
    expect(run({ user: 'u', type: 'payment', at: T0 + HOUR }).get(s)).toBe(15.5); // no amount
    expect(run({ user: 'u', type: 'payment', amount: 1, at: T0 + DAY + 3 * HOUR }).get(s)).toBe(1);
  });

  it('reads attrs.won through the shared extractor', () => {
    const { run } = setup([won]);
    run({ user: 'u', type: 'game_result', attrs: { won: true } });
    run({ user: 'u', type: 'game_result', attrs: { won: false } });
    expect(run({ user: 'u', type: 'game_result', attrs: { won: true } }).get(won)).toBe(2);
  });
});

describe('distinct', () => {
  const d = distinct({ entity: 'device', of: 'user', window: DAY });

  it('counts distinct values including the current one', () => {
    const { run } = setup([d]);
    expect(run({ device: 'd', user: 'a' }).get(d)).toBe(1);
    expect(run({ device: 'd', user: 'b' }).get(d)).toBe(2);
    expect(run({ device: 'd', user: 'a' }).get(d)).toBe(2);
    expect(run({ device: 'd' }).get(d)).toBe(2); // no user: read only
    expect(run({ device: 'e', user: 'a' }).get(d)).toBe(1);
    expect(run({ user: 'a' }).get(d)).toBe(0); // no device
  });

  it('forgets values last seen outside the window', () => {
    const { run } = setup([d]);
    run({ device: 'd', user: 'a', at: T0 });
    run({ device: 'd', user: 'b', at: T0 + 12 * HOUR });
    expect(run({ device: 'd', user: 'c', at: T0 + DAY + 3 * HOUR }).get(d)).toBe(2);
    run({ device: 'd', user: 'a', at: T0 + DAY + 4 * HOUR }); // seen again: back in
    expect(run({ device: 'd', user: 'c', at: T0 + DAY + 5 * HOUR }).get(d)).toBe(3);
  });

  it('is exact beyond the inline slots and up to the exact limit', () => {
    const { run } = setup([d], { distinctExactLimit: 64 });
    for (let i = 0; i < 63; i++) run({ device: 'd', user: `u${i}`, at: T0 + i * 1000 });
    expect(run({ device: 'd', user: 'u63', at: T0 + 64_000 }).get(d)).toBe(64);
    expect(run({ device: 'd', user: 'u5', at: T0 + 65_000 }).get(d)).toBe(64);
  });

  it('switches to HyperLogLog when large (few % error) and back to exact once it expires', () => {
    const { run, store } = setup([d]);
    let v = 0;
    for (let i = 0; i < 10_000; i++) v = run({ device: 'd', user: `user-${i}`, at: T0 + i }).get(d);
    expect(Math.abs(v - 10_000) / 10_000).toBeLessThan(0.05);
    expect(store.stats().bytes).toBeLessThan(200_000); // bounded: a sketch per bucket, not 10k values
    expect(run({ device: 'd', user: 'late', at: T0 + 3 * DAY }).get(d)).toBe(1);
    expect(run({ device: 'd', user: 'late2', at: T0 + 3 * DAY + 1 }).get(d)).toBe(2);
  });
});

describe('stats', () => {
  const s = stats({ entity: 'user', field: 'amount', types: ['payment'] });
  const decayed = stats({ entity: 'user', field: 'amount', halfLife: HOUR });

  it('returns Welford mean and population std before the current event', () => {
    const { run } = setup([s]);
    expect(run({ user: 'u', type: 'payment', amount: 10 }).get(s)).toEqual({ n: 0, mean: 0, std: 0 });
    expect(run({ user: 'u', type: 'payment', amount: 20 }).get(s)).toEqual({ n: 1, mean: 10, std: 0 });
    run({ user: 'u', type: 'login', amount: 1000 }); // other type: ignored
    run({ user: 'u', type: 'payment' }); // no amount: ignored
    const v = run({ user: 'u', type: 'payment', amount: 30 }).get(s);
    expect(v).toEqual({ n: 2, mean: 15, std: 5 });
    expect(run({ user: 'u', type: 'payment' }).get(s)).toEqual({ n: 3, mean: 20, std: Math.sqrt(200 / 3) });
  });

  it('decays older values by their age (half-life), also for late events', () => {
    const { run } = setup([decayed]);
    run({ user: 'u', amount: 0, at: T0 });
    run({ user: 'u', amount: 10, at: T0 + HOUR }); // weights 0.5 and 1
    const v = run({ user: 'u', at: T0 + HOUR }).get(decayed);
    expect(v.n).toBe(2);
    expect(v.mean).toBeCloseTo(10 / 1.5, 12);
    expect(v.std).toBeCloseTo(Math.sqrt((0.5 * (0 - 20 / 3) ** 2 + (10 - 20 / 3) ** 2) / 1.5), 12);
    const late = setup([decayed]);
    late.run({ user: 'u', amount: 10, at: T0 + HOUR });
    late.run({ user: 'u', amount: 0, at: T0 }); // an hour late: weight 0.5, newer state not decayed
    const w = late.run({ user: 'u', at: T0 + HOUR }).get(decayed);
    expect(w.mean).toBeCloseTo(10 / 1.5, 12);
  });
});

describe('last and first', () => {
  const ip = last({ entity: 'user', field: 'ip' });
  const geo = last({ entity: 'user', field: 'geo', types: ['login'] });
  const canvas = last({ entity: 'device', field: 'canvas' });
  const f = first({ entity: 'user' });

  it('returns the previous value and when it was seen', () => {
    const { run } = setup([ip, geo, f]);
    const a = run({ user: 'u', ip: '1.1.1.1', geo: { lat: 1, lon: 2, country: 'FR' }, at: T0 });
    expect(a.get(ip)).toBeUndefined();
    expect(a.get(f)).toBeUndefined();
    const b = run({ user: 'u', ip: '2.2.2.2', at: T0 + 10 });
    expect(b.get(ip)).toEqual({ value: '1.1.1.1', at: T0 });
    expect(b.get(f)).toBe(T0);
    expect(b.get(geo)).toEqual({ value: { lat: 1, lon: 2, country: 'FR' }, at: T0 });
    const c = run({ user: 'u', type: 'payment', geo: { lat: 9, lon: 9 }, at: T0 + 20 });
    expect(c.get(ip)).toEqual({ value: '2.2.2.2', at: T0 + 10 });
    expect(run({ user: 'u', at: T0 + 30 }).get(geo)?.value).toEqual({ lat: 1, lon: 2, country: 'FR' });
  });

  it('keeps the newer value when an older event arrives late, and lowers first', () => {
    const { run } = setup([ip, f]);
    run({ user: 'u', ip: 'new', at: T0 + 100 });
    expect(run({ user: 'u', ip: 'old', at: T0 }).get(f)).toBe(T0 + 100);
    const s = run({ user: 'u', at: T0 + 200 });
    expect(s.get(ip)).toEqual({ value: 'new', at: T0 + 100 });
    expect(s.get(f)).toBe(T0);
  });

  it('reads attrs fingerprints through the shared extractor', () => {
    const { run } = setup([canvas]);
    run({ device: 'd', attrs: { canvas: 'abc' } });
    run({ device: 'd', attrs: { canvas: 42 } }); // not a string: no update
    expect(run({ device: 'd' }).get(canvas)?.value).toBe('abc');
  });
});

describe('hist', () => {
  const hours = hist({ entity: 'user', of: 'hour' });
  const days = hist({ entity: 'user', of: 'dow', types: ['login'] });

  it('counts per UTC hour and day of week (Sunday first) before the current event', () => {
    const { run } = setup([hours, days]);
    const a = run({ user: 'u', at: T0 + 3 * HOUR + 5 }); // Monday 03:00
    expect(a.get(hours)).toEqual(new Array(24).fill(0));
    expect(a.get(days)).toEqual(new Array(7).fill(0));
    run({ user: 'u', at: T0 - DAY + 23 * HOUR, type: 'payment' }); // Sunday 23:00, not a login
    const b = run({ user: 'u', at: T0 + 3 * HOUR + 59 * MINUTE });
    const h = new Array(24).fill(0);
    h[3] = 1;
    h[23] = 1;
    expect(b.get(hours)).toEqual(h);
    expect(b.get(days)).toEqual([0, 1, 0, 0, 0, 0, 0]);
    expect(run({ user: 'u', at: T0 }).get(hours)[3]).toBe(2);
  });
});

describe('neighbors', () => {
  const n = neighbors({ entity: 'user', of: 'device', max: 3 });

  it('lists the most recent distinct values newest first, capped, before the current event', () => {
    const { run } = setup([n]);
    expect(run({ user: 'u', device: 'a', at: T0 + 1 }).get(n)).toEqual([]);
    expect(run({ user: 'u', device: 'b', at: T0 + 2 }).get(n)).toEqual(['a']);
    const kept = run({ user: 'u', device: 'c', at: T0 + 3 }).get(n);
    expect(kept).toEqual(['b', 'a']);
    expect(run({ user: 'u', device: 'a', at: T0 + 4 }).get(n)).toEqual(['c', 'b', 'a']);
    expect(run({ user: 'u', device: 'd', at: T0 + 5 }).get(n)).toEqual(['a', 'c', 'b']);
    expect(run({ user: 'u', at: T0 + 6 }).get(n)).toEqual(['d', 'a', 'c']);
    expect(kept).toEqual(['b', 'a']); // values handed out never change
  });

  it('places late values by time and ignores ones older than a full list', () => {
    const { run } = setup([n]);
    run({ user: 'u', device: 'a', at: T0 + 10 });
    run({ user: 'u', device: 'b', at: T0 + 30 });
    run({ user: 'u', device: 'c', at: T0 + 20 }); // late: between b and a
    expect(run({ user: 'u', at: T0 + 40 }).get(n)).toEqual(['b', 'c', 'a']);
    run({ user: 'u', device: 'z', at: T0 }); // older than everything in a full list
    run({ user: 'u', device: 'a', at: T0 + 5 }); // older sighting of a: no move
    expect(run({ user: 'u', at: T0 + 40 }).get(n)).toEqual(['b', 'c', 'a']);
  });

  it('breaks equal times by the latest sighting, also for a value that fell off (found by fast-check)', () => {
    const { run } = setup([n]);
    for (const device of ['0', '2', '3', '1', '0']) run({ user: 'u', device, at: T0 + 1 });
    expect(run({ user: 'u', at: T0 }).get(n)).toEqual(['0', '1', '3']);
    run({ user: 'u', device: '3', at: T0 + 1 }); // seen again at the same time: first again
    expect(run({ user: 'u', at: T0 }).get(n)).toEqual(['3', '0', '1']);
  });

  it('caps max by the store option', () => {
    const big = neighbors({ entity: 'user', of: 'ip', max: 1000 });
    const { run } = setup([big], { maxNeighbors: 2 });
    for (const ip of ['1', '2', '3']) run({ user: 'u', ip });
    expect(run({ user: 'u' }).get(big)).toEqual(['3', '2']);
  });
});

describe('cluster', () => {
  const c = cluster({ entity: 'user', via: ['device', 'ip'] });

  it('links users sharing any via value and returns the size after linking', () => {
    const { run } = setup([c]);
    expect(run({ user: 'a', device: 'd1' }).get(c)).toEqual({ size: 1 });
    expect(run({ user: 'b', device: 'd2', ip: 'i1' }).get(c)).toEqual({ size: 1 });
    expect(run({ user: 'c', device: 'd1', ip: 'i1' }).get(c)).toEqual({ size: 3 });
    expect(run({ user: 'a' }).get(c)).toEqual({ size: 3 });
    expect(run({ user: 'z' }).get(c)).toEqual({ size: 1 });
    expect(run({ device: 'd1' }).get(c)).toEqual({ size: 0 }); // no user
  });

  it('keeps apps apart and caps how many users one value merges', () => {
    const { run } = setup([c], { maxClusterLinks: 2 });
    run({ user: 'a', device: 'hub' });
    expect(run({ user: 'b', device: 'hub' }).get(c)).toEqual({ size: 2 });
    expect(run({ user: 'c', device: 'hub' }).get(c)).toEqual({ size: 1 }); // hub cap reached
    expect(run({ app: 'other', user: 'a', device: 'hub' }).get(c)).toEqual({ size: 1 });
  });
});

describe('readAs', () => {
  const pairAmount = last({ entity: 'pair', field: 'amount' });
  const reverse = last({ entity: 'pair', field: 'amount', readAs: 'reverse_pair' });
  const sent = count({ entity: 'wallet', window: HOUR, types: ['transfer'] });
  const received = count({ entity: 'wallet', window: HOUR, types: ['transfer'], readAs: 'counterparty' });

  it('reads the opposite direction without updating it', () => {
    const { run, store } = setup([pairAmount, reverse, sent, received]);
    const a = run({ type: 'transfer', wallet: 'A', counterparty: 'B', amount: 7 });
    expect(a.get(reverse)).toBeUndefined();
    expect(a.get(received)).toBe(0); // B never sent anything: no state created for it
    expect(store.stats().entities).toBe(2); // wallet A and pair A>B
    const b = run({ type: 'transfer', wallet: 'B', counterparty: 'A', amount: 3, at: T0 + 1 });
    expect(b.get(reverse)).toEqual({ value: 7, at: T0 });
    expect(b.get(pairAmount)).toBeUndefined();
    expect(b.get(received)).toBe(1); // transfers sent by A in the last hour
    expect(b.get(sent)).toBe(1);
  });

  it('reads the state before the current event even for the same entity', () => {
    const { run } = setup([sent, received]);
    const s = run({ type: 'transfer', wallet: 'A', counterparty: 'A' });
    expect(s.get(sent)).toBe(1);
    expect(s.get(received)).toBe(0);
  });

  it('reads and then updates the same row when a write group has the readAs entity (one lookup)', () => {
    // r:user (referral counts of the acting user, as a referrer) and w:user share the user's row
    const logins = count({ entity: 'user', window: HOUR });
    const referred = distinct({ entity: 'referrer', of: 'user', window: DAY, types: ['referral'] });
    const referredByMe = distinct({
      entity: 'referrer',
      of: 'user',
      window: DAY,
      types: ['referral'],
      readAs: 'user',
    });
    const { run, store } = setup([logins, referred, referredByMe]);
    // u1 is new: the read finds no row, the write creates it
    const a = run({ user: 'u1' });
    expect([a.get(logins), a.get(referredByMe)]).toEqual([1, 0]);
    run({ type: 'referral', user: 'n1', referrer: 'u1', at: T0 + 1 });
    // u1 exists now: read through the row found once, then counted on it
    const b = run({ user: 'u1', at: T0 + 2 });
    expect([b.get(logins), b.get(referredByMe), b.get(referred)]).toEqual([2, 1, 0]);
    // a self-referral reads the state before the event, then the write group updates it
    const c = run({ type: 'referral', user: 'u1', referrer: 'u1', at: T0 + 3 });
    expect([c.get(logins), c.get(referredByMe), c.get(referred)]).toEqual([3, 1, 2]);
    expect(run({ user: 'u1', at: T0 + 4 }).get(referredByMe)).toBe(2);
    expect(store.stats().entities).toBe(2); // users u1 and n1
  });

  it('rejects a readAs field of another namespace', () => {
    const bad = count({ entity: 'user', window: HOUR, readAs: 'device' });
    expect(() => setup([bad]).run({ user: 'u', device: 'd' })).toThrow(/namespace/);
  });
});

describe('store', () => {
  const c = count({ entity: 'user', window: HOUR });

  it('keeps apps apart', () => {
    const { run } = setup([c]);
    run({ app: 'a', user: 'u' });
    run({ app: 'a', user: 'u' });
    expect(run({ app: 'b', user: 'u' }).get(c)).toBe(1);
    expect(run({ app: 'a', user: 'u' }).get(c)).toBe(3);
  });

  it('shares state between plans through state keys and keeps it when a plan adds states', () => {
    const store = createMemoryFeatureStore();
    const p1 = compilePlan([c]);
    const more = [c, first({ entity: 'user' }), sum({ entity: 'user', field: 'amount', window: DAY })];
    const p2 = compilePlan(more);
    for (let i = 0; i < 20; i++) store.evaluate(p1, ev({ user: `u${i % 5}`, at: T0 + i }));
    const s = store.evaluate(p2, ev({ user: 'u1', at: T0 + 100, amount: 4 }));
    expect(s.get(c)).toBe(5);
    expect(s.get(more[1]!)).toBeUndefined();
    expect(s.get(more[2]!)).toBe(4);
    expect(store.evaluate(p1, ev({ user: 'u1', at: T0 + 101 })).get(c)).toBe(6);
  });

  it('throws when asked for a spec outside the plan', () => {
    const { run } = setup([c]);
    expect(() => run({ user: 'u' }).get(first({ entity: 'user' }))).toThrow(/not part of the plan/);
  });

  it('rejects invalid windows and options', () => {
    expect(() => setup([count({ entity: 'user', window: 0 })]).run({ user: 'u' })).toThrow(/window/);
    expect(() => createMemoryFeatureStore({ hllPrecision: 30 })).toThrow(/hllPrecision/);
    expect(() => createMemoryFeatureStore({ windowBuckets: 0 })).toThrow(/windowBuckets/);
  });

  it('expires idle entities and their cluster nodes, keeping memberships of the others', () => {
    const cl = cluster({ entity: 'user', via: ['device'] });
    const { run, store } = setup([c, cl]);
    run({ user: 'a', device: 'd', at: T0 });
    run({ user: 'b', device: 'd', at: T0 + DAY });
    run({ user: 'c', device: 'd', at: T0 + 2 * DAY });
    expect(store.stats().entities).toBe(3);
    const before = store.stats().bytes;
    expect(store.expire(T0 + DAY)).toBe(1);
    expect(store.stats().entities).toBe(2);
    expect(store.stats().bytes).toBeLessThanOrEqual(before);
    expect(run({ user: 'b', at: T0 + 2 * DAY }).get(cl)).toEqual({ size: 2 }); // b and c stay linked
    expect(run({ user: 'a', at: T0 + 2 * DAY }).get(c)).toBe(1); // a starts afresh
    expect(store.expire(T0 + 10 * DAY)).toBe(3);
    expect(store.stats().entities).toBe(0);
  });

  it('keeps cluster node caches in rows right after expire renumbers the union-find', () => {
    const cl = cluster({ entity: 'user', via: ['device', 'ip'] });
    const devices = count({ entity: 'device', window: HOUR });
    const ips = count({ entity: 'ip', window: HOUR });
    const { run, store } = setup([devices, cl, ips]);
    run({ user: 'old', device: 'x', ip: 'gone', at: T0 });
    run({ user: 'b', device: 'd', at: T0 + DAY });
    run({ user: 'c', ip: 'i', at: T0 + DAY });
    expect(store.expire(T0 + DAY)).toBe(3); // old, x, gone
    expect(run({ user: 'n', device: 'd', ip: 'i', at: T0 + DAY + 1 }).get(cl)).toEqual({ size: 3 });
    expect(run({ user: 'b', at: T0 + DAY + 2 }).get(cl)).toEqual({ size: 3 });
    expect(run({ user: 'old', device: 'x', at: T0 + DAY + 3 }).get(cl)).toEqual({ size: 1 });
    const copy = createMemoryFeatureStore();
    copy.restore(store.snapshot());
    expect(copy.snapshot()).toEqual(store.snapshot());
  });

  it('reports entities and a byte estimate that grows with them', () => {
    const { run, store } = setup([c, last({ entity: 'user', field: 'ip' })]);
    expect(store.stats().entities).toBe(0);
    run({ user: 'u1', ip: '1.2.3.4' });
    const one = store.stats();
    for (let i = 0; i < 2000; i++) run({ user: `user-${i}`, ip: '1.2.3.4' });
    const many = store.stats();
    expect(one.entities).toBe(1);
    expect(many.entities).toBe(2001);
    expect(many.bytes).toBeGreaterThan(one.bytes + 2000 * 64);
  });
});

describe('snapshot and restore', () => {
  const specs = [
    count({ entity: 'user', window: HOUR }),
    distinct({ entity: 'device', of: 'user', window: DAY }),
    last({ entity: 'user', field: 'geo' }),
    neighbors({ entity: 'user', of: 'device', max: 4 }),
    cluster({ entity: 'user', via: ['device'] }),
    stats({ entity: 'user', field: 'amount', halfLife: HOUR }),
  ];

  function filled(): { store: ReturnType<typeof createMemoryFeatureStore>; plan: FeaturePlan } {
    const { store, plan, run } = setup(specs);
    for (let i = 0; i < 200; i++)
      run({
        user: `u${i % 17}`,
        device: `d${i % 5}`,
        amount: i,
        at: T0 + i * MINUTE,
        geo: { lat: i % 90, lon: 0, ...(i % 2 === 0 ? { country: 'FR' } : {}) },
      });
    return { store, plan };
  }

  it('round-trips every value', () => {
    const { store, plan } = filled();
    const copy = createMemoryFeatureStore();
    copy.restore(store.snapshot());
    expect(copy.stats()).toEqual(store.stats());
    const e = ev({ user: 'u3', device: 'd4', amount: 1, at: T0 + 300 * MINUTE });
    const a = store.evaluate(plan, e);
    const va = specs.map((s) => a.get(s));
    const b = copy.evaluate(plan, e);
    expect(specs.map((s) => b.get(s))).toEqual(va);
    expect(copy.snapshot()).toEqual(store.snapshot());
  });

  it('rejects corrupt bytes with a clear error and leaves the store as it was', () => {
    const { store } = filled();
    const bytes = store.snapshot();
    const target = createMemoryFeatureStore();
    target.restore(bytes);
    const flipped = bytes.slice();
    flipped[Math.floor(bytes.length / 2)]! ^= 0x10;
    expect(() => target.restore(flipped)).toThrow(/corrupt feature snapshot: checksum/);
    expect(() => target.restore(bytes.subarray(0, bytes.length - 7))).toThrow(/corrupt feature snapshot/);
    expect(() => target.restore(new Uint8Array(3))).toThrow(/corrupt feature snapshot/);
    const wrongMagic = bytes.slice();
    wrongMagic[0] = 0;
    expect(() => target.restore(wrongMagic)).toThrow(/bad magic/);
    const wrongVersion = bytes.slice();
    wrongVersion[4] = 99;
    expect(() => target.restore(wrongVersion)).toThrow(/version 99/);
    expect(target.snapshot()).toEqual(bytes);
  });

  it('refuses a snapshot taken with other options', () => {
    const { store } = filled();
    expect(() => createMemoryFeatureStore({ windowBuckets: 6 }).restore(store.snapshot())).toThrow(
      /windowBuckets/,
    );
  });

  it('restores an empty store', () => {
    const empty = createMemoryFeatureStore();
    const copy = createMemoryFeatureStore();
    copy.restore(empty.snapshot());
    expect(copy.stats().entities).toBe(0);
  });
});
