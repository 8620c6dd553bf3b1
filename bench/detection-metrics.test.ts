import { describe, expect, it } from 'vitest';
import { createTally, detectionReport, percentile, type ScoredRow } from './detection-metrics.js';

describe('percentile', () => {
  it('uses the nearest rank', () => {
    const xs = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile(xs, 100)).toBe(100);
    expect(percentile(xs, 0)).toBe(1);
    expect(percentile(Float64Array.from([7]), 99)).toBe(7);
    expect(percentile(new Float64Array(0), 50)).toBe(0);
  });
});

describe('detectionReport', () => {
  const row = (
    scenario: string,
    episode: number,
    type: string,
    flagged: boolean,
    risk = flagged ? 0.8 : 0.1,
  ): ScoredRow => ({
    scenario,
    episode,
    type,
    flagged,
    risk,
  });

  it('computes recall per event and per episode, precision and the false-positive rate', () => {
    const rows: ScoredRow[] = [
      // card testing: episode 1 caught on one of two events, episode 2 missed
      row('card_testing', 1, 'payment', true),
      row('card_testing', 1, 'payment', false),
      row('card_testing', 2, 'payment', false),
      // structuring: caught twice
      row('structuring', 3, 'transfer', true),
      row('structuring', 3, 'transfer', true),
      // normal traffic: one false positive on a payment among 5 normal events
      row('normal', 0, 'payment', true),
      row('normal', 0, 'payment', false),
      row('normal', 0, 'login', false),
      row('normal', 0, 'login', false),
      row('normal', 0, 'transfer', false),
    ];
    const r = detectionReport(rows, 'outcome != allow');
    expect(r.rule).toBe('outcome != allow');
    expect(r.normalEvents).toBe(5);
    expect(r.maliciousEvents).toBe(5);
    expect(r.truePositives).toBe(3);
    expect(r.falsePositives).toBe(1);
    expect(r.precision).toBeCloseTo(0.75);
    expect(r.recall).toBeCloseTo(0.6);
    expect(r.falsePositiveRate).toBeCloseTo(0.2);
    const ct = r.scenarios['card_testing']!;
    expect(ct.events).toBe(3);
    expect(ct.recall).toBeCloseTo(1 / 3);
    expect(ct.episodes).toBe(2);
    expect(ct.episodesDetected).toBe(1);
    expect(ct.episodeRecall).toBeCloseTo(0.5);
    // the one false positive is a payment, the event type card testing uses
    expect(ct.precision).toBeCloseTo(0.5);
    expect(ct.types).toEqual(['payment']);
    const st = r.scenarios['structuring']!;
    expect(st.recall).toBe(1);
    expect(st.precision).toBe(1);
    expect(st.meanRisk).toBeCloseTo(0.8);
    expect(r.normalByType['payment']).toEqual({ events: 2, flagged: 1 });
    expect(r.normalByType['login']).toEqual({ events: 2, flagged: 0 });
  });

  it('reports zeros rather than NaN on empty input', () => {
    const r = detectionReport([], 'x');
    expect(r.precision).toBe(0);
    expect(r.recall).toBe(0);
    expect(r.falsePositiveRate).toBe(0);
    expect(r.scenarios).toEqual({});
  });
});

describe('createTally', () => {
  it('counts and ranks keys', () => {
    const t = createTally();
    for (const k of ['b', 'a', 'b', 'c', 'b', 'a']) t.add(k);
    expect(t.total).toBe(6);
    expect(t.top(2)).toEqual([
      ['b', 3],
      ['a', 2],
    ]);
  });
});
