import { describe, expect, it } from 'vitest';
import { classifierOnnx, logisticOnnx } from './logistic-onnx.fixture.js';
import { importOnnxModel, loadOnnxPackage, OnnxImportError, type OnnxImportOptions } from './onnx-import.js';
import { createOnnxPackage, isOnnxPackage, OnnxPackageError, parseOnnxPackage } from './onnx-package.js';
import { skipOnnx } from './onnx-runtime.fixture.js';
import {
  loadOnnxSyncRuntime,
  OnnxBindingError,
  OnnxRuntimeMissingError,
  requireOnnxBinding,
} from './onnx-runtime.js';

const W = [0.5, -1.25, 2] as const;
const COLS = ['amount', 'user_count_1d', 'attrs.score'] as const;
const missingRuntime = {
  importer: () => Promise.reject(new Error("Cannot find package 'onnxruntime-node'")),
};

async function problem(
  bytes: Uint8Array,
  opts: OnnxImportOptions,
): Promise<{ path: string; message: string }> {
  try {
    await importOnnxModel(bytes, opts);
  } catch (err) {
    if (err instanceof OnnxImportError) return err.details[0]!;
    throw err;
  }
  throw new Error('the import was accepted');
}

describe('onnx import without the runtime', () => {
  it('checks the columns before needing the runtime, then names the install command', async () => {
    const bytes = classifierOnnx([...W], 0.1);
    const opts = { columns: [...COLS] };
    await expect(importOnnxModel(bytes, opts, missingRuntime)).rejects.toThrow(OnnxRuntimeMissingError);
    await expect(importOnnxModel(bytes, opts, missingRuntime)).rejects.toThrow(
      /ONNXRUNTIME_NODE_INSTALL=skip npm install --no-save onnxruntime-node@1\.30\.0/,
    );
    await expect(importOnnxModel(bytes, { columns: ['V1'] }, missingRuntime)).rejects.toThrow(
      /V1 cannot be computed from live events/,
    );
  });

  it('a changed internal binding is refused by name, never used', async () => {
    const bytes = classifierOnnx([...W], 0.1);
    // a public surface that looks right (no runtime needed) over a binding that does not
    const reshaped = {
      importer: () => Promise.resolve({ InferenceSession: { create: () => undefined }, Tensor: class {} }),
      binding: () => ({ binding: { binding: {} }, version: '9.9.9' }),
    };
    await expect(importOnnxModel(bytes, { columns: [...COLS] }, reshaped)).rejects.toThrow(OnnxBindingError);
    await expect(loadOnnxSyncRuntime(reshaped)).rejects.toThrow(
      /onnxruntime-node 9\.9\.9's internal binding is not the one live ONNX scoring was written for \(1\.30\.0\): dist\/binding\.js exports no initOrt\(\) or binding\.InferenceSession/,
    );
  });
});

describe.skipIf(skipOnnx)('onnx import (onnxruntime-node)', () => {
  it('reads the pinned binding', async () => {
    expect(requireOnnxBinding().version).toBe('1.30.0');
    expect((await loadOnnxSyncRuntime()).version).toBe('1.30.0');
  });

  it('a sklearn-shaped classifier: probabilities, positive class column, hashes', async () => {
    const bytes = classifierOnnx([...W], 0.1);
    const pkg = await importOnnxModel(bytes, { columns: [...COLS], file: 'lr.onnx' });
    expect(pkg).toMatchObject({
      kind: 'onnx',
      features: [...COLS],
      input: { name: 'input', type: 'float32', batch: null },
      output: { name: 'probabilities', width: 2, index: 1, transform: 'none' },
      missing: null,
      baseline: null,
      training: { source: 'import', file: 'lr.onnx', bytes: bytes.length },
    });
    expect(pkg.sha256).toMatch(/^[0-9a-f]{64}$/);
    const text = JSON.stringify(pkg);
    expect(isOnnxPackage(text)).toBe(true);
    expect(isOnnxPackage(JSON.stringify(pkg, null, 2))).toBe(true);
    expect(isOnnxPackage('{"format":"vigil.model-package"}')).toBe(false);
    expect(parseOnnxPackage(text).bytes).toEqual(bytes);
    // one-column output, double input, batch fixed at 1, an explicit sigmoid
    expect((await importOnnxModel(logisticOnnx([...W], 0.1), { columns: [...COLS] })).output).toEqual({
      name: 'y',
      width: 1,
      index: 0,
      transform: 'none',
    });
    const dbl = await importOnnxModel(classifierOnnx([...W], 0.1, { input: 'double' }), {
      columns: [...COLS],
      transform: 'sigmoid',
      missing: 0,
    });
    expect(dbl).toMatchObject({ input: { type: 'float64' }, output: { transform: 'sigmoid' }, missing: 0 });
    const one = await importOnnxModel(classifierOnnx([...W], 0.1, { batch: 1 }), { columns: [...COLS] });
    expect(one.input.batch).toBe(1);
  });

  it('refuses every unsupported graph or option with a located, named problem', async () => {
    const clf = classifierOnnx([...W], 0.1);
    const cases: [Uint8Array, OnnxImportOptions, string, RegExp][] = [
      [clf, { columns: ['amount', 'V7', 'attrs.x'] }, '/columns', /V7 cannot be computed from live events/],
      [clf, { columns: ['amount', 'country', 'hour'] }, '/columns', /country hold text/],
      [clf, { columns: ['amount', 'amount', 'hour'] }, '/columns', /'amount' is given twice/],
      [clf, { columns: [] }, '/columns', /name the model input columns/],
      [
        clf,
        { columns: ['amount', 'hour'] },
        '/columns',
        /input 'input' takes 3 features per row \(shape \[N, 3\]\), but 2 columns were given \(amount, hour\)/,
      ],
      [
        classifierOnnx([...W], 0.1, { width: 'D' }),
        { columns: ['amount', 'hour'] },
        '/columns',
        /the model failed on a \[1, 2\] input/,
      ],
      [
        classifierOnnx([...W], 0.1, { input: 'int64' }),
        { columns: [...COLS] },
        '/onnx',
        /input 'input' is of type int64; Vigil feeds float32 or float64/,
      ],
      [
        classifierOnnx([...W], 0.1, { secondInput: true }),
        { columns: [...COLS] },
        '/onnx',
        /the model has 2 inputs \(input, extra\); Vigil feeds one \[rows, features\] float tensor/,
      ],
      [classifierOnnx([...W], 0.1, { batch: 4 }), { columns: [...COLS] }, '/onnx', /fixed batch of 4 rows/],
      [
        classifierOnnx([...W], 0.1, { zipmap: true }),
        { columns: [...COLS] },
        '/output',
        /no float tensor output: 'output_probability' is a sequence of maps \(sklearn-onnx's ZipMap\).*'zipmap': False/,
      ],
      [
        classifierOnnx([...W], 0.1, { zipmap: true }),
        { columns: [...COLS], output: 'output_probability' },
        '/output',
        /output 'output_probability' is a sequence of maps/,
      ],
      [clf, { columns: [...COLS], output: 'label' }, '/output', /output 'label' is int64, not a float score/],
      [
        clf,
        { columns: [...COLS], output: 'proba' },
        '/output',
        /no output 'proba' \(outputs: label, probabilities\)/,
      ],
      [
        clf,
        { columns: [...COLS], classIndex: 2 },
        '/class_index',
        /class_index 2 is outside output 'probabilities' \(2 values per row\)/,
      ],
      [clf, { columns: [...COLS], baseline: [0, 0] }, '/baseline', /baseline has 2 values for 3 columns/],
      [
        classifierOnnx([...W], 0.1, { batch: 1 }),
        { columns: [...COLS], baseline: [0, 0, 0] },
        '/baseline',
        /contributions need a dynamic batch dimension/,
      ],
      [new Uint8Array(0), { columns: [...COLS] }, '/onnx', /invalid ONNX model: the file is empty/],
      [clf.subarray(0, clf.length - 9), { columns: [...COLS] }, '/onnx', /^invalid ONNX model: /],
      [
        new Uint8Array(64).map((_, i) => (i * 37 + 11) & 0xff),
        { columns: [...COLS] },
        '/onnx',
        /^invalid ONNX model: .*protobuf parsing failed/,
      ],
    ];
    for (const [bytes, opts, path, message] of cases) {
      const p = await problem(bytes, opts);
      expect(p.path, JSON.stringify(opts)).toBe(path);
      expect(p.message).toMatch(message);
    }
  });

  it('a tampered or mismatched stored package is never loaded', async () => {
    const pkg = await importOnnxModel(classifierOnnx([...W], 0.1), { columns: [...COLS] });
    const model = await loadOnnxPackage(JSON.stringify(pkg));
    expect(model.session.inputs[0]).toMatchObject({ name: 'input', type: 'float32', shape: ['N', 3] });
    model.dispose();
    const other = classifierOnnx([0.5, -1.25, 2.5], 0.1);
    const tampered: [unknown, RegExp][] = [
      ['{"format":"vigil.onnx-package"', /not valid JSON/],
      [{ ...pkg, onnx: Buffer.from(other).toString('base64') }, /the ONNX bytes do not match their sha256/],
      [{ ...pkg, features: ['amount', 'hour', 'attrs.score'] }, /checksum mismatch/],
      [{ ...pkg, output: { ...pkg.output, index: 0 } }, /checksum mismatch/],
      [
        { ...pkg, output: { ...pkg.output, index: 2 } },
        /output is not \{name, width, index < width, transform\}/,
      ],
      [{ ...pkg, onnx: '!!!' }, /onnx is not base64/],
      [{ ...pkg, version: 2 }, /unsupported version 2/],
    ];
    for (const [input, message] of tampered) {
      expect(() => parseOnnxPackage(input)).toThrow(OnnxPackageError);
      await expect(loadOnnxPackage(input)).rejects.toThrow(message);
    }
    // a package whose hashes hold but whose graph no longer fits it (written by hand, not imported)
    const lying = createOnnxPackage(logisticOnnx([...W], 0.1), {
      features: [...COLS],
      input: { name: 'input', type: 'float32', batch: null },
      output: pkg.output,
      missing: null,
      baseline: null,
      training: pkg.training,
    });
    await expect(loadOnnxPackage(lying)).rejects.toThrow(
      /corrupt model package: the graph does not match the package: no output 'probabilities' \(outputs: y\)/,
    );
    const broken = createOnnxPackage(new Uint8Array([8, 8, 1, 2, 3]), {
      features: [...COLS],
      input: pkg.input,
      output: pkg.output,
      missing: null,
      baseline: null,
      training: pkg.training,
    });
    await expect(loadOnnxPackage(broken)).rejects.toThrow(
      /corrupt model package: its ONNX bytes do not load/,
    );
  });
});
