import { createTable } from '@vigil/engine';
import { describe, expect, it } from 'vitest';
import { logisticOnnx } from './logistic-onnx.fixture.js';
import { createOnnxBatchScorer, loadOnnxModel } from './onnx-model.js';
import { loadOnnxRuntime, OnnxRuntimeMissingError } from './onnx-runtime.js';

// onnxruntime-node is optional: .ci/run installs it (CI=true must run these tests); elsewhere they skip.
const runtime = await loadOnnxRuntime().then(
  () => undefined,
  (err: unknown) => (err instanceof Error ? err.message : String(err)),
);
const inCi = process.env['CI'] === 'true';
if (runtime !== undefined && !inCi) {
  console.warn(`skipping the ONNX inference tests: ${runtime}`);
}

const W = [0.5, -1.25, 2] as const;
const B = 0.1;
const sigmoid = (x: readonly number[]): number =>
  1 / (1 + Math.exp(-(x[0]! * W[0] + x[1]! * W[1] + x[2]! * W[2] + B)));

describe('onnx runtime', () => {
  it.runIf(inCi)('is installed in CI', () => {
    expect(runtime).toBeUndefined();
  });

  it('a missing onnxruntime-node fails with the install command', async () => {
    const importer = () => Promise.reject(new Error("Cannot find package 'onnxruntime-node'"));
    await expect(loadOnnxModel(logisticOnnx([...W], B), { importer })).rejects.toThrow(
      OnnxRuntimeMissingError,
    );
    await expect(loadOnnxModel(logisticOnnx([...W], B), { importer })).rejects.toThrow(
      /ONNX models need the optional onnxruntime-node package: ONNXRUNTIME_NODE_INSTALL=skip npm install .*onnxruntime-node@1\.30\.0.*Cannot find package/,
    );
  });

  it('a module without the runtime surface is reported the same way', async () => {
    await expect(loadOnnxRuntime(() => Promise.resolve({ default: {} }))).rejects.toThrow(
      /optional onnxruntime-node package.*no InferenceSession\.create or Tensor/,
    );
  });
});

describe.skipIf(runtime !== undefined && !inCi)('onnx models (onnxruntime-node)', () => {
  const rows = [
    [1, 2, 3],
    [0, 0, 0],
    [-2.5, 0.75, -1],
    [10, -3, 0.25],
    [0.001, 100, -50],
  ] as const;

  it('scores sigmoid(x·w + b) like the closed form to 1e-5', async () => {
    const model = await loadOnnxModel(logisticOnnx([...W], B));
    expect(model.inputName).toBe('x');
    expect(model.outputName).toBe('y');
    const scores = await model.predict(new Float32Array(rows.flat()), 3);
    expect(scores).toHaveLength(rows.length);
    rows.forEach((r, i) => expect(Math.abs(scores[i]! - sigmoid(r))).toBeLessThan(1e-5));
    expect(scores[1]).toBeCloseTo(0.52498, 5);
    expect(await model.predict(new Float32Array(0), 3)).toHaveLength(0);
    await expect(model.predict(new Float32Array(4), 3)).rejects.toThrow(
      /does not split into rows of width 3/,
    );
    await expect(model.predict(new Float32Array(4), 2)).rejects.toThrow(
      /ONNX model failed on a \[2, 2\] input/,
    );
    await model.release();
  });

  it('a batch scorer reads named columns in the graph order, in chunks', async () => {
    const model = await loadOnnxModel(logisticOnnx([...W], B));
    const scorer = createOnnxBatchScorer(model, {
      id: 'lr',
      version: '1',
      columns: ['a', 'b', 'c'],
      chunkRows: 2,
    });
    // columns stored in another order, one as numeric strings, plus an unused column
    const table = createTable(
      ['c', 'extra', 'a', 'b'],
      [rows.map((r) => r[2]), rows.map(() => 'x'), rows.map((r) => String(r[0])), rows.map((r) => r[1])],
    );
    const scores = await scorer.scoreTable(table);
    expect(scorer.kind).toBe('onnx');
    rows.forEach((r, i) => expect(Math.abs(scores[i]! - sigmoid(r))).toBeLessThan(1e-5));
    await expect(scorer.scoreTable(createTable(['a', 'b'], [[1], [2]]))).rejects.toThrow(/needs column 'c'/);
    await expect(scorer.scoreTable(createTable(['a', 'b', 'c'], [[1], ['oops'], [2]]))).rejects.toThrow(
      /column 'b' row 1 is not a number: 'oops'/,
    );
    await model.release();
  });

  it('a corrupted or empty file fails with a clear error', async () => {
    const good = logisticOnnx([...W], B);
    await expect(loadOnnxModel(good.subarray(0, good.length - 7))).rejects.toThrow(/^invalid ONNX model: /);
    const garbage = new Uint8Array(64).map((_, i) => (i * 37 + 11) & 0xff);
    await expect(loadOnnxModel(garbage)).rejects.toThrow(/^invalid ONNX model: /);
    await expect(loadOnnxModel(new Uint8Array(0))).rejects.toThrow('invalid ONNX model: the file is empty');
  });

  it('an unknown output name is rejected', async () => {
    await expect(loadOnnxModel(logisticOnnx([...W], B), { output: 'proba' })).rejects.toThrow(
      "invalid ONNX model: no output 'proba' (outputs: y)",
    );
  });
});
