/**
 * Models trained elsewhere, imported as ONNX and run by the optional onnxruntime-node: batch
 * scoring of whole tables through the public asynchronous API (`vigil evaluate`). Live per-event
 * scoring goes through the synchronous binding instead (onnx-model-hook.ts); both read features
 * and outputs with the same helpers (onnx-package.ts), so they give the same scores.
 */
import type { DataTable } from '@vigil/engine';
import { cellValue, parseOnnxPackage, scoreAt, type OnnxOutputSpec } from './onnx-package.js';
import {
  loadOnnxRuntime,
  type OnnxFloatType,
  type OnnxImporter,
  type OnnxSession,
  type OnnxRuntime,
} from './onnx-runtime.js';

/** Options of {@link loadOnnxModel}. @example const o: OnnxLoadOptions = { output: 'probabilities' }; */
export interface OnnxLoadOptions {
  /** Imports onnxruntime-node (tests inject a failing one). */
  readonly importer?: OnnxImporter;
  /** The output holding the score; defaults to the graph's only (or first) output. */
  readonly output?: string;
  /** The input's element type (default float32). */
  readonly inputType?: OnnxFloatType;
}

/** How a row's score is read from the output. @example const r: OnnxReadSpec = { width: 2, index: 1, transform: 'none' }; */
export type OnnxReadSpec = Pick<OnnxOutputSpec, 'width' | 'index' | 'transform'>;

/** A loaded ONNX graph with one float input of shape [rows, width]. @example const s = await model.predict(rows, 3); */
export interface OnnxModel {
  readonly inputName: string;
  readonly outputName: string;
  /**
   * Scores `rows.length / width` rows (row-major). Without `read`, the output must hold one value
   * per row, or two per row (class probabilities; the second, the positive class, is returned).
   */
  predict(rows: Float32Array | Float64Array, width: number, read?: OnnxReadSpec): Promise<Float64Array>;
  /** Frees the native session. */
  release(): Promise<void>;
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

function wrapModel(
  ort: OnnxRuntime,
  session: OnnxSession,
  outputName: string,
  inputType: OnnxFloatType,
): OnnxModel {
  const inputName = session.inputNames[0]!;
  return {
    inputName,
    outputName,
    async predict(rows, width, read) {
      if (!Number.isInteger(width) || width < 1 || rows.length % width !== 0) {
        throw new Error(`ONNX input of ${rows.length} values does not split into rows of width ${width}`);
      }
      const n = rows.length / width;
      if (n === 0) return new Float64Array(0);
      let out;
      try {
        const data =
          inputType === 'float64'
            ? rows instanceof Float64Array
              ? rows
              : Float64Array.from(rows)
            : rows instanceof Float32Array
              ? rows
              : Float32Array.from(rows);
        out = await session.run({ [inputName]: ort.tensor(inputType, data, [n, width]) }, [outputName]);
      } catch (err) {
        throw new Error(`ONNX model failed on a [${n}, ${width}] input: ${message(err)}`);
      }
      const data = out[outputName]?.data;
      if (!(data instanceof Float32Array) && !(data instanceof Float64Array)) {
        throw new Error(`ONNX output '${outputName}' is not a float tensor`);
      }
      if (read !== undefined) {
        if (data.length !== n * read.width) {
          throw new Error(
            `ONNX output '${outputName}' has ${data.length} values for ${n} rows (want ${n * read.width})`,
          );
        }
        const scores = new Float64Array(n);
        for (let i = 0; i < n; i++) scores[i] = scoreAt(data, i, read);
        return scores;
      }
      if (data.length !== n && data.length !== 2 * n) {
        throw new Error(
          `ONNX output '${outputName}' has ${data.length} values for ${n} rows (want ${n} or ${2 * n})`,
        );
      }
      const stride = data.length / n;
      const scores = new Float64Array(n);
      for (let i = 0; i < n; i++) scores[i] = data[i * stride + stride - 1]!;
      return scores;
    },
    release: () => session.release(),
  };
}

/**
 * Loads an ONNX model from its bytes. Throws the runtime's "not installed" error (with the install
 * command), or `invalid ONNX model: ...` for a corrupt or unsupported file.
 * @example const model = await loadOnnxModel(await readFile('fraud.onnx')); await model.predict(rows, 3);
 */
export async function loadOnnxModel(bytes: Uint8Array, options: OnnxLoadOptions = {}): Promise<OnnxModel> {
  const ort = await loadOnnxRuntime(options.importer);
  if (bytes.length === 0) throw new Error('invalid ONNX model: the file is empty');
  let session: OnnxSession;
  try {
    session = await ort.createSession(bytes);
  } catch (err) {
    throw new Error(`invalid ONNX model: ${message(err)}`);
  }
  const fail = async (why: string): Promise<never> => {
    await session.release();
    throw new Error(`invalid ONNX model: ${why}`);
  };
  if (session.inputNames.length !== 1) {
    return fail(`want one input (a [rows, features] float tensor), found ${session.inputNames.length}`);
  }
  const outputName = options.output ?? session.outputNames[0];
  if (outputName === undefined || !session.outputNames.includes(outputName)) {
    return fail(`no output '${String(outputName)}' (outputs: ${session.outputNames.join(', ')})`);
  }
  return wrapModel(ort, session, outputName, options.inputType ?? 'float32');
}

/** What {@link createOnnxBatchScorer} needs. @example const o: OnnxScorerOptions = { id: 'xgb', version: '1', columns: ['amount'] }; */
export interface OnnxScorerOptions {
  readonly id: string;
  readonly version: string;
  /** The model's input columns, in the order the graph expects them. */
  readonly columns: readonly string[];
  /** Rows per `run()` call. */
  readonly chunkRows?: number;
  /** Value a missing cell is fed as (default null: NaN). */
  readonly missing?: number | null;
  /** How each row's score is read (default: see {@link OnnxModel.predict}). */
  readonly read?: OnnxReadSpec;
  /** The input's element type (default float32). */
  readonly inputType?: OnnxFloatType;
}

/** Scores whole tables with an ONNX model (batch paths only; see the file comment). @example const s = await scorer.scoreTable(table); */
export interface OnnxBatchScorer {
  readonly kind: 'onnx';
  readonly id: string;
  readonly version: string;
  readonly columns: readonly string[];
  /** One score per row of `table`; missing cells are fed as the `missing` fill (default NaN: the graph decides). */
  scoreTable(table: DataTable): Promise<Float64Array>;
}

/**
 * Wraps an ONNX model as a batch scorer over named columns (evaluate, batch prediction, backtests).
 * Throws at scoring time when a column is absent or a cell is not numeric.
 * @example
 * const scorer = createOnnxBatchScorer(await loadOnnxModel(bytes), { id: 'xgb', version: '1', columns: ['amount', 'tx_1d'] });
 * const scores = await scorer.scoreTable(table);
 */
export function createOnnxBatchScorer(model: OnnxModel, options: OnnxScorerOptions): OnnxBatchScorer {
  const width = options.columns.length;
  if (width === 0) throw new Error('an ONNX scorer needs at least one input column');
  const chunk = Math.max(1, Math.floor(options.chunkRows ?? 8192));
  return {
    kind: 'onnx',
    id: options.id,
    version: options.version,
    columns: options.columns,
    async scoreTable(table) {
      const cols = options.columns.map((name) => {
        const i = table.columns.indexOf(name);
        if (i < 0) throw new Error(`ONNX model ${options.id} needs column '${name}', absent from the data`);
        return table.data[i]!;
      });
      const scores = new Float64Array(table.rows);
      const size = Math.min(chunk, table.rows) * width;
      const rows = options.inputType === 'float64' ? new Float64Array(size) : new Float32Array(size);
      for (let start = 0; start < table.rows; start += chunk) {
        const n = Math.min(chunk, table.rows - start);
        for (let r = 0; r < n; r++) {
          for (let c = 0; c < width; c++) {
            const cell = cols[c]![start + r] ?? null;
            const v = cellValue(cell, options.missing ?? null);
            if (v === undefined) {
              const name = options.columns[c]!;
              throw new Error(
                `ONNX model ${options.id}: column '${name}' row ${start + r + 1} is not a number: '${String(cell)}'`,
              );
            }
            rows[r * width + c] = v;
          }
        }
        scores.set(await model.predict(rows.subarray(0, n * width), width, options.read), start);
      }
      return scores;
    },
  };
}

/**
 * The batch scorer of a stored ONNX package (`vigil evaluate` on a registry version): validates
 * the package, loads its graph through the public API and reads features and scores exactly as
 * the live hook does. Throws the package's `corrupt model package: ...` or the runtime's errors.
 * @example const { scorer, release } = await loadOnnxPackageScorer(text, { id: 'fraud', version: '2' }); await scorer.scoreTable(table);
 */
export async function loadOnnxPackageScorer(
  input: unknown,
  options: { readonly id: string; readonly version: string; readonly importer?: OnnxImporter },
): Promise<{ readonly scorer: OnnxBatchScorer; readonly release: () => Promise<void> }> {
  const { pkg, bytes } = parseOnnxPackage(input);
  const model = await loadOnnxModel(bytes, {
    output: pkg.output.name,
    inputType: pkg.input.type,
    ...(options.importer !== undefined ? { importer: options.importer } : {}),
  });
  const scorer = createOnnxBatchScorer(model, {
    id: options.id,
    version: options.version,
    columns: pkg.features,
    missing: pkg.missing,
    read: pkg.output,
    inputType: pkg.input.type,
    // a graph fixed at one row per run is fed one row at a time
    ...(pkg.input.batch !== null ? { chunkRows: pkg.input.batch } : {}),
  });
  return { scorer, release: () => model.release() };
}
