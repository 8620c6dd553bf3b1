import { createEngine, createTable, DAY, type VigilEvent } from '@vigil/engine';
import { describe, expect, it } from 'vitest';
import { classifierOnnx, logisticOnnx } from './logistic-onnx.fixture.js';
import { importOnnxModel, loadOnnxPackage, type OnnxImportOptions } from './onnx-import.js';
import { loadOnnxModel, loadOnnxPackageScorer } from './onnx-model.js';
import { createOnnxModelHook } from './onnx-model-hook.js';
import { skipOnnx } from './onnx-runtime.fixture.js';
import { loadOnnxRuntime, loadOnnxSyncRuntime } from './onnx-runtime.js';

const W = [0.004, -0.7, 1.5] as const;
const B = -0.2;
const COLS = ['amount', 'hour', 'attrs.score'] as const;
const T0 = Date.UTC(2026, 0, 15, 0);
const sigmoid = (x: readonly number[]): number =>
  1 / (1 + Math.exp(-(x[0]! * W[0] + x[1]! * W[1] + x[2]! * W[2] + B)));

const rows: readonly (readonly [number, number, number])[] = [
  [120, 3, 0.2],
  [0, 0, 0],
  [980.5, 23, 2.5],
  [15, 12, -1],
  [3000, 7, 0.75],
];
const event = (r: readonly number[], i: number): VigilEvent => ({
  app: 'a',
  id: `e${i}`,
  type: 'payment',
  user: `u${i}`,
  amount: r[0]!,
  at: T0 + r[1]! * 3_600_000,
  attrs: { score: r[2]! },
});

async function packageOf(bytes: Uint8Array, opts: Partial<OnnxImportOptions> = {}): Promise<string> {
  return JSON.stringify(await importOnnxModel(bytes, { columns: [...COLS], ...opts }));
}

describe.skipIf(skipOnnx)('live onnx scoring (the synchronous binding)', () => {
  it('the synchronous binding scores exactly like the public asynchronous API', async () => {
    const bytes = classifierOnnx([...W], B);
    const pub = await loadOnnxRuntime();
    const asyncSession = await pub.createSession(bytes);
    const sync = (await loadOnnxSyncRuntime()).createSession(bytes);
    for (const r of rows) {
      const x = Float32Array.from(r);
      const a = await asyncSession.run({ input: pub.float32(x, [1, 3]) }, ['probabilities']);
      const s = sync.run({ input: pub.float32(x, [1, 3]) }, ['probabilities']);
      expect(s['probabilities']!.dims).toEqual([1, 2]);
      expect(Array.from(s['probabilities']!.data as Float32Array)).toEqual(
        Array.from(a['probabilities']!.data as Float32Array),
      );
      expect((s['probabilities']!.data as Float32Array)[1]).toBeCloseTo(sigmoid(r), 6);
    }
    // the same fetch list twice, then another: each run answers its own names
    const x = pub.float32(Float32Array.from(rows[0]!), [1, 3]);
    expect(Object.keys(sync.run({ input: x }, ['label']))).toEqual(['label']);
    expect(Object.keys(sync.run({ input: x }, ['label', 'probabilities']))).toEqual([
      'label',
      'probabilities',
    ]);
    sync.dispose();
    expect(() => sync.run({ input: x }, ['label'])).toThrow(/disposed/);
    await asyncSession.release();
  });

  it('a hook in the engine scores each event like the batch scorer scores its features', async () => {
    const text = await packageOf(classifierOnnx([...W], B));
    const model = await loadOnnxPackage(text);
    const hook = createOnnxModelHook(model, { id: 'lr', version: '1', live: true });
    expect(hook.features).toEqual([]);
    const engine = createEngine({ models: [hook] });
    const live = rows.map((r, i) => engine.score(event(r, i), T0 + DAY));
    const { scorer, release } = await loadOnnxPackageScorer(text, { id: 'lr', version: '1' });
    const table = createTable(
      [...COLS],
      [0, 1, 2].map((c) => rows.map((r) => r[c]!)),
    );
    const batch = await scorer.scoreTable(table);
    live.forEach((d, i) => {
      expect(d.failures).toEqual([]);
      expect(d.models).toEqual([
        { model: 'lr', version: '1', live: true, score: d.models[0]!.score, contributions: [] },
      ]);
      expect(Math.abs(d.models[0]!.score - batch[i]!)).toBeLessThan(1e-6);
      expect(Math.abs(d.models[0]!.score - sigmoid(rows[i]!))).toBeLessThan(1e-5);
    });
    await release();
    model.dispose();
  });

  it('missing features take the fill, text is a recorded failure, float64 and sigmoid outputs read right', async () => {
    // logit output (a single column) read through sigmoid, float64 input, missing fed as 0
    const margin = logisticOnnx([...W], B); // sigmoid already applied: the hook's sigmoid applies again
    const text = await packageOf(margin, { transform: 'sigmoid', missing: 0 });
    const hook = createOnnxModelHook(await loadOnnxPackage(text), { id: 'm', live: false });
    const engine = createEngine({ models: [hook] });
    const noScore: VigilEvent = { app: 'a', id: 'n', type: 'payment', user: 'u', amount: 100, at: T0 };
    const d = engine.score(noScore, T0);
    const p = sigmoid([100, 0, 0]);
    expect(d.models[0]).toMatchObject({ model: 'm', live: false });
    expect(Math.abs(d.models[0]!.score - 1 / (1 + Math.exp(-p)))).toBeLessThan(1e-6);
    const bad = engine.score({ ...noScore, id: 'b', attrs: { score: 'high' } }, T0);
    expect(bad.models).toEqual([]);
    expect(bad.failures).toEqual([
      { detector: 'model:m', error: "feature 'attrs.score' is not a number: 'high'" },
    ]);
    expect(engine.score({ ...noScore, id: 's', attrs: { score: ' 2.5 ' } }, T0).models).toHaveLength(1);

    const dbl = await packageOf(classifierOnnx([...W], B, { input: 'double' }));
    const h2 = createOnnxModelHook(await loadOnnxPackage(dbl), { id: 'd', live: true });
    const e2 = createEngine({ models: [h2] });
    rows.forEach((r, i) => {
      expect(Math.abs(e2.score(event(r, i), T0).models[0]!.score - sigmoid(r))).toBeLessThan(1e-6);
    });
    // NaN for a missing feature when no fill is set: the logistic graph propagates it, a failure
    const nan = createOnnxModelHook(await loadOnnxPackage(await packageOf(classifierOnnx([...W], B))), {
      id: 'nan',
      live: true,
    });
    const e3 = createEngine({ models: [nan] });
    expect(e3.score(noScore, T0).failures[0]).toMatchObject({ detector: 'model:nan' });
  });

  it('contributions by occlusion against a baseline, in the same run', async () => {
    const baseline = [50, 12, 0] as const;
    const text = await packageOf(classifierOnnx([...W], B), { baseline: [...baseline] });
    const hook = createOnnxModelHook(await loadOnnxPackage(text), {
      id: 'c',
      live: true,
      maxContributions: 2,
    });
    const engine = createEngine({ models: [hook] });
    const r = rows[2]!;
    const m = engine.score(event(r, 2), T0).models[0]!;
    expect(Math.abs(m.score - sigmoid(r))).toBeLessThan(1e-6);
    const expected = [0, 1, 2]
      .map((c) => {
        const x = [...r];
        x[c] = baseline[c]!;
        return { feature: COLS[c]!, value: sigmoid(r) - sigmoid(x) };
      })
      .sort((a, b) => Math.abs(b.value) - Math.abs(a.value))
      .slice(0, 2);
    expect(m.contributions.map((c) => c.feature)).toEqual(expected.map((c) => c.feature));
    m.contributions.forEach((c, i) => expect(Math.abs(c.value - expected[i]!.value)).toBeLessThan(1e-5));
  });

  it('the public batch model and the package scorer agree on a fixed one-row graph', async () => {
    const bytes = classifierOnnx([...W], B, { batch: 1 });
    const text = await packageOf(bytes);
    const { scorer, release } = await loadOnnxPackageScorer(text, { id: 'one', version: '1' });
    const table = createTable(
      [...COLS],
      [0, 1, 2].map((c) => rows.map((r) => r[c]!)),
    );
    const scores = await scorer.scoreTable(table);
    rows.forEach((r, i) => expect(Math.abs(scores[i]! - sigmoid(r))).toBeLessThan(1e-6));
    await release();
    const model = await loadOnnxModel(bytes, { output: 'probabilities' });
    await expect(model.predict(new Float32Array(6), 3)).rejects.toThrow(
      /ONNX model failed on a \[2, 3\] input/,
    );
    await model.release();
  });
});
