import { describe, expect, it } from 'vitest';
import { rocAuc } from '../../metrics/ranking-metrics.js';
import { createSeededRandom } from '../../ports/clock.js';
import { loadSequenceModel, trainSequenceModel, type SequenceTrainingEvent } from './sequence-model.js';
import { createSequenceScorer } from './sequence-scorer.js';

const TYPES = ['login', 'payment', 'social', 'withdrawal', 'password_reset'] as const;

/**
 * Toy pattern that needs memory: a withdrawal is malicious exactly when a password reset came
 * within the user's previous three events; on its own a withdrawal looks the same either way.
 */
function toyStream(seed: number, users: number, perUser: number): SequenceTrainingEvent[] {
  const rnd = createSeededRandom(seed);
  const out: SequenceTrainingEvent[] = [];
  for (let u = 0; u < users; u++) {
    let at = 1_700_000_000_000 + Math.floor(rnd.next() * 1e6);
    const recent: string[] = [];
    for (let i = 0; i < perUser; i++) {
      const r = rnd.next();
      const type =
        r < 0.3
          ? 'login'
          : r < 0.55
            ? 'payment'
            : r < 0.75
              ? 'social'
              : r < 0.92
                ? 'withdrawal'
                : 'password_reset';
      at += 1000 + Math.floor(rnd.next() * 600_000);
      const label = type === 'withdrawal' && recent.slice(-3).includes('password_reset') ? 1 : 0;
      out.push({ user: `u${u}`, type, at, amount: type === 'login' ? 0 : 10 + rnd.next() * 500, label });
      recent.push(type);
    }
  }
  return out;
}

const train = toyStream(1, 240, 30);
const test = toyStream(2, 80, 30);
const opts = {
  hidden: 8,
  sequenceLength: 8,
  epochs: 25,
  learningRate: 0.02,
  batchSize: 16,
  seed: 5,
} as const;
const model = trainSequenceModel(train, opts);

describe('trainSequenceModel', () => {
  it('learns a pattern that needs memory (AUC > 0.9 on withdrawals of unseen users)', () => {
    const scores: number[] = [];
    const alone: number[] = [];
    const labels: number[] = [];
    for (let u = 0; u < 80; u++) {
      const events = test.filter((e) => e.user === `u${u}`);
      const p = model.predictSequence(events);
      events.forEach((e, i) => {
        if (e.type === 'withdrawal') {
          scores.push(p[i]!);
          alone.push(model.predictSequence([e])[0]!);
          labels.push(e.label);
        }
      });
    }
    expect(labels.filter((l) => l === 1).length).toBeGreaterThan(20);
    expect(rocAuc(scores, labels)).toBeGreaterThan(0.9);
    // control: without the history the same events cannot be told apart
    expect(rocAuc(alone, labels)).toBeLessThan(0.7);
    expect(model.history.length).toBeGreaterThan(1);
    expect(model.bestEpoch).toBeGreaterThan(0);
    expect(model.encoder.eventTypes).toEqual([...TYPES].sort());
  });

  it('is deterministic per seed', () => {
    const small = train.slice(0, 3000);
    const a = trainSequenceModel(small, { ...opts, epochs: 3 });
    const b = trainSequenceModel(small, { ...opts, epochs: 3 });
    const c = trainSequenceModel(small, { ...opts, epochs: 3, seed: 6 });
    expect(a.toJSON().theta).toBe(b.toJSON().theta);
    expect(a.toJSON().theta).not.toBe(c.toJSON().theta);
  });

  it('trains with dropout and early stopping on the AUC', () => {
    const m = trainSequenceModel(train.slice(0, 4500), {
      ...opts,
      epochs: 40,
      dropout: 0.2,
      evalMetric: 'auc',
      earlyStoppingRounds: 2,
      positiveWeight: 'balanced',
    });
    expect(m.history.length).toBeLessThan(40);
    expect(m.bestEpoch).toBe(m.history.length - 2);
    expect(m.params.positiveWeight).toBeGreaterThan(5);
  });

  it('rejects bad input with clear errors', () => {
    expect(() => trainSequenceModel([])).toThrow(/no training events/);
    expect(() => trainSequenceModel(train.map((e) => ({ ...e, label: 0 })))).toThrow(/both classes/);
    expect(() => trainSequenceModel([{ ...train[0]!, label: 2 }, ...train])).toThrow(/label 2/);
    expect(() => trainSequenceModel([{ ...train[0]!, at: NaN }, ...train])).toThrow(/non-finite time/);
    expect(() => trainSequenceModel(train, { hidden: 0 })).toThrow(/hidden must be an integer/);
    expect(() => trainSequenceModel(train, { dropout: 1 })).toThrow(/dropout/);
  });
});

describe('sequence model packages', () => {
  it('round-trips through JSON with identical predictions', () => {
    const text = JSON.stringify(model.toJSON());
    const loaded = loadSequenceModel(JSON.parse(text));
    const events = test.slice(0, 30);
    expect([...loaded.predictSequence(events)]).toEqual([...model.predictSequence(events)]);
    expect(loaded.params).toEqual(model.params);
    expect(JSON.stringify(loaded.toJSON())).toBe(text);
  });

  it('rejects corrupt packages naming the problem', () => {
    const pkg = model.toJSON();
    const bad =
      (p: unknown): (() => unknown) =>
      () =>
        loadSequenceModel(p);
    expect(bad('nope')).toThrow(/corrupt sequence model package: not an object/);
    expect(bad({ ...pkg, format: 'vigil.gbdt' })).toThrow(/format/);
    expect(bad({ ...pkg, version: 9 })).toThrow(/version/);
    expect(bad({ ...pkg, theta: pkg.theta.slice(0, -8) })).toThrow(/theta/);
    expect(bad({ ...pkg, eventTypes: pkg.eventTypes.slice(1) })).toThrow(/eventTypes/);
    expect(bad({ ...pkg, scaling: [0, 0, 0, 1] })).toThrow(/standard deviation/);
    expect(bad({ ...pkg, params: { ...pkg.params, dropout: 'x' } })).toThrow(/params: .*dropout/);
    expect(bad({ ...pkg, checksum: pkg.checksum ^ 1 })).toThrow(/checksum/);
    const flipped = pkg.theta[10] === 'A' ? 'B' : 'A';
    expect(bad({ ...pkg, theta: pkg.theta.slice(0, 10) + flipped + pkg.theta.slice(11) })).toThrow(
      /checksum/,
    );
  });
});

describe('createSequenceScorer', () => {
  it('scores a stream exactly as predictSequence, one user at a time and interleaved', () => {
    const scorer = createSequenceScorer(model);
    const expected = new Map<string, Float64Array>();
    for (const u of ['u0', 'u1', 'u2'])
      expected.set(u, model.predictSequence(test.filter((e) => e.user === u)));
    const seen = new Map<string, number>();
    // interleave the three users' events by time
    const stream = test.filter((e) => ['u0', 'u1', 'u2'].includes(e.user)).sort((a, b) => a.at - b.at);
    for (const e of stream) {
      const i = seen.get(e.user) ?? 0;
      seen.set(e.user, i + 1);
      const peeked = scorer.peek(e.user, e);
      const p = scorer.score(e.user, e);
      expect(p).toBe(peeked);
      expect(p).toBeCloseTo(expected.get(e.user)![i]!, 12);
    }
    expect(scorer.users).toBe(3);
  });

  it('keeps at most maxUsers users, forgetting the least recently seen', () => {
    const scorer = createSequenceScorer(model, { maxUsers: 2 });
    const e = { type: 'login', at: 1000 };
    scorer.score('a', e);
    scorer.score('b', e);
    scorer.score('a', { ...e, at: 2000 });
    scorer.score('c', e); // evicts b
    expect(scorer.users).toBe(2);
    const fresh = createSequenceScorer(model).score('b', { type: 'withdrawal', at: 5000, amount: 300 });
    expect(scorer.score('b', { type: 'withdrawal', at: 5000, amount: 300 })).toBe(fresh);
    scorer.forget('b');
    expect(scorer.users).toBe(2 - 1);
    expect(() => createSequenceScorer(model, { maxUsers: 0 })).toThrow(/maxUsers/);
  });

  it('handles unseen event types, missing amounts and out-of-order events', () => {
    const scorer = createSequenceScorer(model);
    const p1 = scorer.score('z', { type: 'custom:quest', at: 10_000 });
    const p2 = scorer.score('z', { type: 'withdrawal', at: 5_000, amount: Number.NaN });
    for (const p of [p1, p2]) {
      expect(p).toBeGreaterThan(0);
      expect(p).toBeLessThan(1);
    }
  });
});

describe('saved scorer state', () => {
  const users = ['u0', 'u1', 'u2', 'u3'];
  const stream = test.filter((e) => users.includes(e.user)).sort((a, b) => a.at - b.at);
  const half = Math.floor(stream.length / 2);

  it('a restored scorer scores the rest of the stream exactly as one that never stopped', () => {
    const never = createSequenceScorer(model, { maxUsers: 3 });
    const before = createSequenceScorer(model, { maxUsers: 3 });
    for (const e of stream.slice(0, half)) {
      never.score(e.user, e);
      before.score(e.user, e);
    }
    const after = createSequenceScorer(model, { maxUsers: 3 });
    after.score('someone-else', stream[0]!); // replaced, not merged
    after.restore(before.save());
    expect(after.users).toBe(3);
    // bit-identical, evictions included (maxUsers 3 of 4 users: recency order is part of the state)
    for (const e of stream.slice(half)) expect(after.score(e.user, e)).toBe(never.score(e.user, e));
    expect(after.save()).toEqual(never.save());
    after.clear();
    expect(after.users).toBe(0);
  });

  it('refuses corrupt bytes and another model, keeping its own state', () => {
    const a = createSequenceScorer(model);
    for (const e of stream.slice(0, 20)) a.score(e.user, e);
    const saved = a.save();
    const b = createSequenceScorer(model);
    b.score('kept', stream[0]!);
    const flipped = saved.slice();
    flipped[saved.length - 9] = flipped[saved.length - 9]! ^ 1;
    expect(() => b.restore(flipped)).toThrow(/gru state: corrupt: checksum mismatch/);
    expect(() => b.restore(saved.subarray(0, 12))).toThrow(/gru state/);
    expect(() => b.restore(new Uint8Array(0))).toThrow(/gru state/);
    const other = trainSequenceModel(train.slice(0, 600), { ...opts, epochs: 1 });
    expect(createSequenceScorer(other).fingerprint).not.toBe(a.fingerprint);
    expect(() => createSequenceScorer(other).restore(saved)).toThrow(/saved by model gru:.*this model is/);
    expect(b.users).toBe(1);
    // the same weights loaded again have the same fingerprint
    expect(createSequenceScorer(loadSequenceModel(model.toJSON())).fingerprint).toBe(a.fingerprint);
  });

  it('a smaller bound keeps the most recently seen users', () => {
    const a = createSequenceScorer(model);
    for (const e of stream.slice(0, half)) a.score(e.user, e);
    const last = stream[half - 1]!.user;
    const small = createSequenceScorer(model, { maxUsers: 1 });
    small.restore(a.save());
    expect(small.users).toBe(1);
    const e = stream[half]!;
    const ref = createSequenceScorer(model);
    ref.restore(a.save());
    expect(small.peek(last, e)).toBe(ref.peek(last, e));
  });
});
