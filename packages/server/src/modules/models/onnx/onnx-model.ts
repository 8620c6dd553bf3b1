/**
 * Models trained elsewhere, imported as ONNX and run by the optional onnxruntime-node.
 *
 * Scope: batch scoring only (evaluate, batch prediction, backtest replays that score a prepared
 * feature table). onnxruntime's `run()` is asynchronous and the engine's `ModelHook.score` is
 * synchronous, so live per-event ONNX scoring in the engine is not supported yet.
 */
import { cellToNumber, isMissingCell, type DataTable } from '@vigil/engine';
import { loadOnnxRuntime, type OnnxImporter, type OnnxSession, type OnnxRuntime } from './onnx-runtime.js';

/** Options of {@link loadOnnxModel}. @example const o: OnnxLoadOptions = { output: 'probabilities' }; */
export interface OnnxLoadOptions {
  /** Imports onnxruntime-node (tests inject a failing one). */
  readonly importer?: OnnxImporter;
  /** The output holding the score; defaults to the graph's only (or first) output. */
  readonly output?: string;
}

/** A loaded ONNX graph with one float input of shape [rows, width]. @example const s = await model.predict(rows, 3); */
export interface OnnxModel {
  readonly inputName: string;
  readonly outputName: string;
  /**
   * Scores `rows.length / width` rows (row-major). The output must hold one value per row, or two
   * per row (class probabilities; the second, the positive class, is returned).
   */
  predict(rows: Float32Array, width: number): Promise<Float64Array>;
  /** Frees the native session. */
  release(): Promise<void>;
}

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

function wrapModel(ort: OnnxRuntime, session: OnnxSession, outputName: string): OnnxModel {
  const inputName = session.inputNames[0]!;
  return {
    inputName,
    outputName,
    async predict(rows, width) {
      if (!Number.isInteger(width) || width < 1 || rows.length % width !== 0) {
        throw new Error(`ONNX input of ${rows.length} values does not split into rows of width ${width}`);
      }
      const n = rows.length / width;
      if (n === 0) return new Float64Array(0);
      let out;
      try {
        out = await session.run({ [inputName]: ort.float32(rows, [n, width]) });
      } catch (err) {
        throw new Error(`ONNX model failed on a [${n}, ${width}] input: ${message(err)}`);
      }
      const data = out[outputName]?.data;
      if (!(data instanceof Float32Array) && !(data instanceof Float64Array)) {
        throw new Error(`ONNX output '${outputName}' is not a float tensor`);
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
  return wrapModel(ort, session, outputName);
}

/** What {@link createOnnxBatchScorer} needs. @example const o: OnnxScorerOptions = { id: 'xgb', version: '1', columns: ['amount'] }; */
export interface OnnxScorerOptions {
  readonly id: string;
  readonly version: string;
  /** The model's input columns, in the order the graph expects them. */
  readonly columns: readonly string[];
  /** Rows per `run()` call. */
  readonly chunkRows?: number;
}

/** Scores whole tables with an ONNX model (batch paths only; see the file comment). @example const s = await scorer.scoreTable(table); */
export interface OnnxBatchScorer {
  readonly kind: 'onnx';
  readonly id: string;
  readonly version: string;
  readonly columns: readonly string[];
  /** One score per row of `table`; missing cells are NaN (the graph decides what NaN means). */
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
      const rows = new Float32Array(Math.min(chunk, table.rows) * width);
      for (let start = 0; start < table.rows; start += chunk) {
        const n = Math.min(chunk, table.rows - start);
        for (let r = 0; r < n; r++) {
          for (let c = 0; c < width; c++) {
            const cell = cols[c]![start + r] ?? null;
            const v = cellToNumber(cell);
            if (Number.isNaN(v) && !isMissingCell(cell)) {
              const name = options.columns[c]!;
              throw new Error(
                `ONNX model ${options.id}: column '${name}' row ${start + r + 1} is not a number: '${String(cell)}'`,
              );
            }
            rows[r * width + c] = v;
          }
        }
        scores.set(await model.predict(rows.subarray(0, n * width), width), start);
      }
      return scores;
    },
  };
}
