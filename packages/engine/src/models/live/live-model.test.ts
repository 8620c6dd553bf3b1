import { describe, expect, it } from 'vitest';
import { createTable, type Cell } from '../../data/data-table.js';
import { DataError } from '../../data/data-error.js';
import { createEngine } from '../../engine.js';
import { compileLiveFeatures, isLiveFeature } from './live-features.js';
import { createLiveModelHook } from './live-model-hook.js';
import { loadModelPackage, trainModelPackage, splitTable } from './model-package.js';

/** amount and user_count_1h; fraud = big amounts in bursts. */
function fraudTable(n: number): ReturnType<typeof createTable> {
  let s = 7;
  const rnd = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296;
  const rows: Cell[][] = [];
  for (let i = 0; i < n; i++) {
    const fraud = rnd() < 0.2;
    const amount = fraud ? 500 + rnd() * 500 : rnd() * 100;
    const burst = fraud ? 5 + Math.floor(rnd() * 5) : 1 + Math.floor(rnd() * 2);
    rows.push([amount, burst, fraud ? 1 : 0]);
  }
  const cols = ['amount', 'user_count_1h', 'is_fraud'];
  return createTable(
    cols,
    cols.map((_, c) => rows.map((r) => r[c]!)),
  );
}

describe('live features', () => {
  it('knows live names and rejects the rest with the list', () => {
    expect(isLiveFeature('amount')).toBe(true);
    expect(isLiveFeature('attrs.score')).toBe(true);
    expect(isLiveFeature('V17')).toBe(false);
    expect(() => compileLiveFeatures(['amount', 'V17'])).toThrow(/V17 cannot be computed from live events/);
  });
});

describe('model package', () => {
  it('trains gbdt, evaluates on the split and round-trips through JSON', () => {
    const { package: pkg, model } = trainModelPackage(fraudTable(600), {
      kind: 'gbdt',
      label: 'is_fraud',
      trees: 40,
    });
    expect(pkg.metrics?.rocAuc).toBeGreaterThan(0.95);
    expect(pkg.training.rows + pkg.training.testRows).toBe(600);
    expect(pkg.trainingScores.length).toBeGreaterThan(100);
    const again = loadModelPackage(JSON.stringify(pkg));
    expect(again.scoreRecord({ amount: 900, user_count_1h: 7 })).toBeCloseTo(
      model.scoreRecord({ amount: 900, user_count_1h: 7 }),
      12,
    );
    expect(again.scoreRecord({ amount: 900, user_count_1h: 7 })).toBeGreaterThan(0.8);
    expect(again.scoreRecord({ amount: 20, user_count_1h: 1 })).toBeLessThan(0.2);
  });

  it('rejects a corrupted package with a clear DataError', () => {
    const { package: pkg } = trainModelPackage(fraudTable(200), { kind: 'rf', label: 'is_fraud', trees: 10 });
    const text = JSON.stringify(pkg);
    expect(() => loadModelPackage(text.slice(0, text.length - 20))).toThrow(
      /corrupt model package: not valid JSON/,
    );
    const edited = { ...pkg, features: ['amount', 'hour'] };
    expect(() => loadModelPackage(edited)).toThrow(/checksum mismatch/);
    try {
      loadModelPackage({ ...pkg, kind: 'svm' });
    } catch (e) {
      expect(e).toBeInstanceOf(DataError);
    }
  });

  it('iforest scores are calibrated to 0 for normal rows and high for outliers', () => {
    const { model } = trainModelPackage(fraudTable(500), { kind: 'iforest', trees: 50 });
    expect(model.scoreRecord({ amount: 50, user_count_1h: 1, is_fraud: 0 })).toBe(0);
    expect(model.scoreRecord({ amount: 50000, user_count_1h: 40, is_fraud: 0 })).toBeGreaterThan(0.5);
  });

  it('supervised training without a label or with one class fails naming the problem', () => {
    expect(() => trainModelPackage(fraudTable(50), { kind: 'gbdt' })).toThrow(
      /supervised: name the label column/,
    );
    const t = fraudTable(50);
    const one = createTable(t.columns, [t.data[0]!, t.data[1]!, t.data[2]!.map(() => 0)]);
    expect(() => trainModelPackage(one, { kind: 'gbdt', label: 'is_fraud' })).toThrow(DataError);
  });

  it('time split puts earlier rows in training', () => {
    const t = createTable(
      ['day', 'v'],
      [
        ['2026-01-01', '2026-01-02', '2026-01-03'],
        [1, 2, 3],
      ],
    );
    const s = splitTable(t, 'day:2026-01-02', 1);
    expect([s.train.rows, s.test.rows]).toEqual([1, 2]);
    expect(() => splitTable(t, 'nope:2026-01-02', 1)).toThrow(/"nope" is not in the data/);
  });
});

describe('live model hook', () => {
  it('scores events through live features: bursts of big amounts score high, live changes the outcome, shadow does not', () => {
    const { package: pkg } = trainModelPackage(fraudTable(800), {
      kind: 'gbdt',
      label: 'is_fraud',
      trees: 40,
    });
    const run = (live: boolean) => {
      const engine = createEngine({
        detectors: [],
        models: [createLiveModelHook(pkg, { id: 'm', version: '1', live })],
      });
      const t0 = Date.UTC(2026, 0, 1);
      let last;
      for (let i = 0; i < 8; i++) {
        const r = engine.process(
          { id: `e${i}`, type: 'payment', user: 'u1', amount: 900, at: t0 + i * 1000 },
          { now: t0 + i * 1000, app: 'a' },
        );
        if (!r.ok) throw new Error('invalid');
        last = r.value.decision;
      }
      if (last === undefined) throw new Error('no decision');
      return last;
    };
    const live = run(true);
    expect(live.models[0]?.score).toBeGreaterThan(0.8);
    expect(live.models[0]?.live).toBe(true);
    expect(live.models[0]?.contributions.length).toBeGreaterThan(0);
    const shadow = run(false);
    expect(shadow.models[0]?.live).toBe(false);
    expect(shadow.risk).toBeLessThan(live.risk);
  });

  it('refuses a package whose columns are not live features', () => {
    const t = fraudTable(200);
    const renamed = createTable(['V1', 'V2', 'is_fraud'], [...t.data]);
    const { package: pkg } = trainModelPackage(renamed, { kind: 'rf', label: 'is_fraud', trees: 5 });
    expect(() => createLiveModelHook(pkg, { id: 'x', live: true })).toThrow(/V1, V2 cannot be computed/);
  });
});
