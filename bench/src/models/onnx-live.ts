/**
 * The ONNX part of `bench:models`: a logistic regression trained here (full-batch gradient
 * descent on the same rows) is written as an ONNX graph by the server tests' encoder, imported
 * through the registry's importer (the columns are `attrs.f0..` live features) and scored one
 * event at a time through the live hook, i.e. onnxruntime-node's synchronous binding, exactly as
 * `POST /v1/events` scores it. For comparison, the same graph one row at a time through the public
 * asynchronous API (`await session.run()`), which live scoring cannot use.
 *
 * onnxruntime-node is optional (never a dependency): when it cannot load, {@link benchOnnx}
 * returns the reason and the bench prints a one-line skip. The server's modules are loaded by a
 * computed path so the bench's TypeScript project does not compile the server.
 */
import { emptyLists, rocAuc, type DetectorContext, type ModelHook, type VigilEvent } from '@vigil/engine';
import { measureLatency, type Latency } from './latency.js';

/** Result of {@link benchOnnx}. */
export type OnnxBench =
  | { readonly ok: false; readonly reason: string }
  | {
      readonly ok: true;
      readonly version: string;
      readonly trainMs: number;
      /** The live hook per event (features filled from the event, one synchronous run). */
      readonly live: Latency;
      /** `await session.run()` per row through the public API (same graph, same rows). */
      readonly async: Latency;
      readonly auc: number;
      readonly rows: number;
    };

const ONNX_DIR = new URL('../../../packages/server/src/modules/models/onnx/', import.meta.url);

function fn(mod: unknown, name: string): (...args: unknown[]) => unknown {
  const f: unknown = typeof mod === 'object' && mod !== null ? Reflect.get(mod, name) : undefined;
  if (typeof f !== 'function') throw new Error(`server module has no ${name}()`);
  return (...args) => Reflect.apply(f, mod, args) as unknown;
}

async function load(file: string): Promise<unknown> {
  const url: string = new URL(file, ONNX_DIR).href;
  return (await import(url)) as unknown;
}

function isHook(h: unknown): h is ModelHook {
  return typeof h === 'object' && h !== null && typeof Reflect.get(h, 'score') === 'function';
}

/** Logistic regression by full-batch gradient descent (standardised inputs are already N(0,1)). */
function trainLogistic(x: Float64Array, y: Uint8Array, cols: number, epochs = 300, lr = 0.5) {
  const n = y.length;
  const w = new Float64Array(cols);
  let b = 0;
  const g = new Float64Array(cols);
  for (let e = 0; e < epochs; e++) {
    g.fill(0);
    let gb = 0;
    for (let r = 0; r < n; r++) {
      let z = b;
      for (let c = 0; c < cols; c++) z += w[c]! * x[r * cols + c]!;
      const d = 1 / (1 + Math.exp(-z)) - y[r]!;
      for (let c = 0; c < cols; c++) g[c]! += d * x[r * cols + c]!;
      gb += d;
    }
    for (let c = 0; c < cols; c++) w[c]! -= (lr * g[c]!) / n;
    b -= (lr * gb) / n;
  }
  return { w: [...w], b };
}

/**
 * Trains, imports and times the ONNX model; `{ ok: false, reason }` when onnxruntime-node is missing.
 * @example const r = await benchOnnx({ xTrain, yTrain, xTest, yTest, cols, samples: 10_000 });
 */
export async function benchOnnx(d: {
  readonly xTrain: Float64Array;
  readonly yTrain: Uint8Array;
  readonly xTest: Float64Array;
  readonly yTest: Uint8Array;
  readonly cols: number;
  readonly samples: number;
}): Promise<OnnxBench> {
  const runtime = await load('onnx-runtime.ts');
  let version: string;
  try {
    const sync = await (fn(runtime, 'loadOnnxSyncRuntime')() as Promise<unknown>);
    version = String(Reflect.get(sync as object, 'version'));
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
  const fixture = await load('logistic-onnx.fixture.ts');
  const importer = await load('onnx-import.ts');
  const hooks = await load('onnx-model-hook.ts');

  const t0 = performance.now();
  const { w, b } = trainLogistic(d.xTrain, d.yTrain, d.cols);
  const trainMs = performance.now() - t0;
  const bytes = fn(fixture, 'logisticOnnx')(w, b);
  if (!(bytes instanceof Uint8Array)) throw new Error('logisticOnnx returned no bytes');
  const columns = Array.from({ length: d.cols }, (_, c) => `attrs.f${c}`);
  const pkg = await (fn(importer, 'importOnnxModel')(bytes, { columns }) as Promise<unknown>);
  const model = await (fn(importer, 'loadOnnxPackage')(JSON.stringify(pkg)) as Promise<unknown>);
  const hook = fn(hooks, 'createOnnxModelHook')(model, { id: 'onnx-lr', live: true });
  if (!isHook(hook)) throw new Error('createOnnxModelHook returned no hook');

  // one event per test row, its features as attributes; the hook reads no windowed feature
  const testRows = d.yTest.length;
  const none = {
    get: () => {
      throw new Error('no windowed features');
    },
  };
  const ctxs: DetectorContext[] = [];
  for (let r = 0; r < testRows; r++) {
    const attrs: Record<string, number> = {};
    for (let c = 0; c < d.cols; c++) attrs[`f${c}`] = d.xTest[r * d.cols + c]!;
    const event: VigilEvent = { app: 'bench', id: `e${r}`, type: 'payment', at: 0, attrs };
    ctxs.push({ event, features: none, lists: emptyLists, now: 0 });
  }
  const scores = ctxs.map((ctx) => hook.score(ctx, []).score);
  const live = measureLatency((i) => hook.score(ctxs[i % testRows]!, []).score, d.samples);

  // the public asynchronous API, one row per run
  const ort = await (fn(runtime, 'loadOnnxRuntime')() as Promise<unknown>);
  const session = await (fn(ort, 'createSession')(bytes) as Promise<unknown>);
  const run = fn(session, 'run');
  const tensor = fn(ort, 'float32');
  const times = new Float64Array(d.samples);
  for (let i = 0; i < d.samples + 1000; i++) {
    const r = i % testRows;
    const x = Float32Array.from(d.xTest.subarray(r * d.cols, (r + 1) * d.cols));
    const t = process.hrtime.bigint();
    await (run({ x: tensor(x, [1, d.cols]) }, ['y']) as Promise<unknown>);
    if (i >= 1000) times[i - 1000] = Number(process.hrtime.bigint() - t) / 1000;
  }
  times.sort();
  const pct = (p: number) => Math.round(times[Math.floor(d.samples * p)]! * 100) / 100;
  await (fn(session, 'release')() as Promise<unknown>);
  return {
    ok: true,
    version,
    trainMs,
    live,
    async: { p50: pct(0.5), p99: pct(0.99) },
    auc: rocAuc(Float64Array.from(scores), d.yTest),
    rows: testRows,
  };
}
