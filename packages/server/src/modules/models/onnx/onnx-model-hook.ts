import { compileLiveFeatures, type Cell, type ModelContribution, type ModelHook } from '@vigil/engine';
import type { LoadedOnnxModel } from './onnx-import.js';
import { cellValue, scoreAt } from './onnx-package.js';

/** Options of {@link createOnnxModelHook}. @example const o: OnnxHookOptions = { id: 'fraud', version: '2', live: true }; */
export interface OnnxHookOptions {
  /** The hook id (the decision's `models[].model`): the registry name. */
  readonly id: string;
  readonly version?: string;
  /** true: counts towards the decision; false: shadow. */
  readonly live: boolean;
  /** Contributions reported per event when the package has a baseline (default 5, largest first). */
  readonly maxContributions?: number;
}

/**
 * The live hook of a loaded ONNX model: each event's live features (the package's columns, in
 * order) fill one reused input row, missing ones with the package's fill, and the synchronous
 * session scores it in the engine's `score` call. With a baseline, the same run scores the row with
 * each feature set to its baseline value, and contributions are the score differences. Text that
 * is not a number in a feature (an `attrs.<key>` holding a word) throws, which the engine records
 * in `decision.failures` without scoring the model. The hook keeps no state between events.
 * @example
 * const hook = createOnnxModelHook(await loadOnnxPackage(record.package), { id: 'fraud', version: '1', live: true });
 * createEngine({ models: [hook] });
 */
export function createOnnxModelHook(model: LoadedOnnxModel, opts: OnnxHookOptions): ModelHook {
  const { pkg, runtime, session } = model;
  const set = compileLiveFeatures(pkg.features);
  const columns = pkg.features;
  const d = columns.length;
  const baseline = pkg.baseline;
  const rows = baseline === null ? 1 : d + 1;
  const data = pkg.input.type === 'float64' ? new Float64Array(rows * d) : new Float32Array(rows * d);
  // the tensor wraps `data` without a copy and run() is synchronous, so one tensor serves every event
  const feeds = { [pkg.input.name]: runtime.tensor(pkg.input.type, data, [rows, d]) };
  const outputs = [pkg.output.name];
  const expected = rows * pkg.output.width;
  const max = opts.maxContributions ?? 5;
  const record: Record<string, Cell> = {};
  const none: readonly ModelContribution[] = [];
  const hook: ModelHook = {
    id: opts.id,
    live: opts.live,
    features: set.specs,
    score(ctx) {
      set.fill(ctx.event, ctx.features, record);
      for (let c = 0; c < d; c++) {
        const cell = record[columns[c]!];
        const v = cellValue(cell, pkg.missing);
        if (v === undefined) throw new Error(`feature '${columns[c]!}' is not a number: '${String(cell)}'`);
        data[c] = v;
      }
      if (baseline !== null) {
        for (let r = 1; r <= d; r++) {
          data.copyWithin(r * d, 0, d);
          data[r * d + r - 1] = baseline[r - 1]!;
        }
      }
      const out = session.run(feeds, outputs)[pkg.output.name]!.data;
      if (!(out instanceof Float32Array || out instanceof Float64Array) || out.length !== expected) {
        throw new Error(`output '${pkg.output.name}' did not return ${expected} float values`);
      }
      const score = scoreAt(out, 0, pkg.output);
      if (baseline === null) return { score, contributions: none };
      const top: ModelContribution[] = [];
      for (let c = 0; c < d; c++) {
        const v = score - scoreAt(out, c + 1, pkg.output);
        if (v !== 0 && Number.isFinite(v)) top.push({ feature: columns[c]!, value: v });
      }
      top.sort((a, b) => Math.abs(b.value) - Math.abs(a.value));
      if (top.length > max) top.length = max;
      return { score, contributions: top };
    },
  };
  return opts.version === undefined ? hook : { ...hook, version: opts.version };
}
