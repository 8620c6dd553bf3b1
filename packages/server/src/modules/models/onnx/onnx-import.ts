/**
 * Importing an ONNX model into the registry, and loading a stored one for live scoring.
 *
 * Supported graphs: one float32 or float64 input of shape [rows, features] (rows dynamic, or 1),
 * whose columns are live feature names in order; the score is one float tensor output of shape
 * [rows], [rows, 1] or [rows, classes], read at a class column (a probability, or a margin turned
 * into one by `transform: 'sigmoid'`). Not supported: several inputs (one tensor per column),
 * integer or string inputs, text features (type, currency, country), and outputs that are not
 * tensors, such as the sequence of maps sklearn-onnx's ZipMap writes by default (export
 * classifiers with `options={id(model): {'zipmap': False}}`).
 */
import { compileLiveFeatures } from '@vigil/engine';
import {
  createOnnxPackage,
  isOnnxInputType,
  parseOnnxPackage,
  type OnnxInputSpec,
  type OnnxOutputSpec,
  type OnnxPackage,
  type OnnxTransform,
} from './onnx-package.js';
import {
  loadOnnxSyncRuntime,
  type OnnxBindingLoader,
  type OnnxImporter,
  type OnnxSyncRuntime,
  type OnnxSyncSession,
  type OnnxValueInfo,
} from './onnx-runtime.js';

/** Live feature names holding text: an ONNX model reads numbers only. */
const TEXT_FEATURES: ReadonlySet<string> = new Set(['type', 'currency', 'country']);

/** How the runtime is reached (tests inject a missing or reshaped one). @example const o: OnnxRuntimeOptions = { importer: () => import('onnxruntime-node') }; */
export interface OnnxRuntimeOptions {
  readonly importer?: OnnxImporter;
  readonly binding?: OnnxBindingLoader;
}

/** One problem of an import, located in the request. @example const p: OnnxImportProblem = { path: '/columns', message: 'unknown' }; */
export interface OnnxImportProblem {
  readonly path: string;
  readonly message: string;
}

/** An import the graph or the options refuse (the HTTP layer answers 400 with the details). @example if (err instanceof OnnxImportError) err.details; */
export class OnnxImportError extends Error {
  readonly details: readonly OnnxImportProblem[];
  constructor(message: string, details: readonly OnnxImportProblem[]) {
    super(message);
    this.name = 'OnnxImportError';
    this.details = details;
  }
}

/** What an import takes besides the bytes. @example const o: OnnxImportOptions = { columns: ['amount', 'user_count_1d'] }; */
export interface OnnxImportOptions {
  /** Live feature names, in the order of the input tensor's columns. */
  readonly columns: readonly string[];
  /** The output holding the score (default: the only float output, or the one named like "prob"). */
  readonly output?: string;
  /** The column of the output holding the fraud score (default: 0 for one column, 1 for two). */
  readonly classIndex?: number;
  /** `sigmoid` when the output is a margin/logit (default none: already a probability). */
  readonly transform?: OnnxTransform;
  /** Value a missing feature is fed as (default null: NaN). */
  readonly missing?: number | null;
  /** Reference row for contributions by occlusion (one value per column; default none). */
  readonly baseline?: readonly number[];
  /** The file name, kept for the record. */
  readonly file?: string;
}

function fail(path: string, message: string): never {
  throw new OnnxImportError(message, [{ path, message }]);
}

const shapeText = (v: OnnxValueInfo): string => `[${v.shape.join(', ')}]`;

function checkColumns(columns: readonly string[]): void {
  if (columns.length === 0) fail('/columns', 'name the model input columns (live feature names), in order');
  const seen = new Set<string>();
  for (const c of columns) {
    if (seen.has(c)) fail('/columns', `column '${c}' is given twice`);
    seen.add(c);
  }
  try {
    compileLiveFeatures(columns);
  } catch (err) {
    fail('/columns', err instanceof Error ? err.message : String(err));
  }
  const text = columns.filter((c) => TEXT_FEATURES.has(c));
  if (text.length > 0) {
    fail(
      '/columns',
      `column(s) ${text.join(', ')} hold text; an ONNX model is fed numbers (use numeric live features or attrs.<key>)`,
    );
  }
}

/** The single [rows, features] float input, checked against the columns. */
function inputOf(session: OnnxSyncSession, columns: readonly string[]): OnnxInputSpec {
  const ins = session.inputs;
  if (ins.length !== 1) {
    fail(
      '/onnx',
      `the model has ${ins.length} inputs (${ins.map((i) => i.name).join(', ')}); Vigil feeds one [rows, features] float tensor (export with a single input, e.g. sklearn-onnx initial_types=[('input', FloatTensorType([None, ${columns.length}]))])`,
    );
  }
  const input = ins[0]!;
  const type = input.type;
  if (!input.isTensor || !isOnnxInputType(type)) {
    fail(
      '/onnx',
      `input '${input.name}' is ${input.isTensor ? `of type ${type ?? 'unknown'}` : 'not a tensor'}; Vigil feeds float32 or float64 (export it with FloatTensorType or DoubleTensorType)`,
    );
  }
  if (input.shape.length !== 2) {
    fail('/onnx', `input '${input.name}' has shape ${shapeText(input)}; Vigil feeds [rows, features]`);
  }
  const [batch, width] = input.shape;
  if (typeof width === 'number' && width !== columns.length) {
    fail(
      '/columns',
      `input '${input.name}' takes ${width} features per row (shape ${shapeText(input)}), but ${columns.length} columns were given (${columns.join(', ')})`,
    );
  }
  if (typeof batch === 'number' && batch !== 1) {
    fail(
      '/onnx',
      `input '${input.name}' has a fixed batch of ${batch} rows (shape ${shapeText(input)}); Vigil needs a dynamic first dimension or 1`,
    );
  }
  return { name: input.name, type, batch: typeof batch === 'number' ? batch : null };
}

const ZIPMAP_HINT =
  "a sequence of maps (sklearn-onnx's ZipMap), which onnxruntime-node cannot return: convert the classifier with options={id(model): {'zipmap': False}} to get a float [rows, classes] probabilities tensor";

/** The output holding the score (name and declared width; the width may be dynamic). */
function outputOf(
  session: OnnxSyncSession,
  wanted: string | undefined,
): { name: string; width: number | null } {
  const outs = session.outputs;
  const isFloat = (o: OnnxValueInfo) => o.isTensor && isOnnxInputType(o.type);
  let out: OnnxValueInfo | undefined;
  if (wanted !== undefined) {
    out = outs.find((o) => o.name === wanted);
    if (out === undefined) {
      fail('/output', `no output '${wanted}' (outputs: ${outs.map((o) => o.name).join(', ')})`);
    }
  } else {
    const floats = outs.filter(isFloat);
    const probs = floats.filter((o) => /prob/i.test(o.name));
    out = floats.length === 1 ? floats[0] : probs.length === 1 ? probs[0] : undefined;
    if (out === undefined && floats.length > 1) {
      fail(
        '/output',
        `the model has several float outputs (${floats.map((o) => o.name).join(', ')}): name the one holding the score`,
      );
    }
    if (out === undefined) {
      const maps = outs.filter((o) => !o.isTensor);
      fail(
        '/output',
        maps.length > 0
          ? `no float tensor output: '${maps[0]!.name}' is ${ZIPMAP_HINT}`
          : `no float tensor output (outputs: ${outs.map((o) => `${o.name} ${o.type ?? '?'}`).join(', ')})`,
      );
    }
  }
  if (!out.isTensor) fail('/output', `output '${out.name}' is ${ZIPMAP_HINT}`);
  if (!isFloat(out)) {
    fail(
      '/output',
      `output '${out.name}' is ${out.type ?? 'of an unknown type'}, not a float score (a classifier's label output is not a probability; pick its probabilities output)`,
    );
  }
  const rank = out.shape.length;
  if (rank === 0 || rank > 2) {
    fail(
      '/output',
      `output '${out.name}' has shape ${shapeText(out)}; Vigil reads [rows] or [rows, classes]`,
    );
  }
  const w = rank === 1 ? 1 : out.shape[1]!;
  return { name: out.name, width: typeof w === 'number' ? w : null };
}

/** Runs one row of zeros (or the fixed batch) and reads the output's real width. */
function trialWidth(
  ort: OnnxSyncRuntime,
  session: OnnxSyncSession,
  input: OnnxInputSpec,
  features: number,
  output: string,
): number {
  const rows = input.batch ?? 1;
  const data =
    input.type === 'float64' ? new Float64Array(rows * features) : new Float32Array(rows * features);
  let out;
  try {
    out = session.run({ [input.name]: ort.tensor(input.type, data, [rows, features]) }, [output])[output]!;
  } catch (err) {
    fail(
      '/columns',
      `the model failed on a [${rows}, ${features}] input: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  if (!(out.data instanceof Float32Array) && !(out.data instanceof Float64Array)) {
    fail('/output', `output '${output}' did not return float values`);
  }
  if (out.data.length === 0 || out.data.length % rows !== 0) {
    fail('/output', `output '${output}' returned ${out.data.length} values for ${rows} row(s)`);
  }
  return out.data.length / rows;
}

function outputSpec(
  name: string,
  width: number,
  opts: Pick<OnnxImportOptions, 'classIndex' | 'transform'>,
): OnnxOutputSpec {
  const index = opts.classIndex ?? (width === 1 ? 0 : width === 2 ? 1 : undefined);
  if (index === undefined) {
    fail(
      '/class_index',
      `output '${name}' has ${width} values per row: name the fraud class's column (class_index)`,
    );
  }
  if (!Number.isInteger(index) || index < 0 || index >= width) {
    fail('/class_index', `class_index ${index} is outside output '${name}' (${width} values per row)`);
  }
  return { name, width, index, transform: opts.transform ?? 'none' };
}

/**
 * Validates an ONNX file against the import options and returns the registry package. Throws
 * {@link OnnxImportError} (bad options or an unsupported graph, with details) or the runtime's
 * OnnxRuntimeMissingError (with the install command).
 * @example const pkg = await importOnnxModel(bytes, { columns: ['amount', 'user_count_1d', 'attrs.score'] });
 */
export async function importOnnxModel(
  bytes: Uint8Array,
  opts: OnnxImportOptions,
  runtime: OnnxRuntimeOptions = {},
): Promise<OnnxPackage> {
  checkColumns(opts.columns);
  if (opts.baseline !== undefined && opts.baseline.length !== opts.columns.length) {
    fail('/baseline', `baseline has ${opts.baseline.length} values for ${opts.columns.length} columns`);
  }
  if (opts.baseline?.some((v) => !Number.isFinite(v))) fail('/baseline', 'baseline values must be numbers');
  if (opts.missing !== undefined && opts.missing !== null && !Number.isFinite(opts.missing)) {
    fail('/missing', 'missing must be a number');
  }
  if (bytes.length === 0) fail('/onnx', 'invalid ONNX model: the file is empty');
  const ort = await loadOnnxSyncRuntime(runtime);
  let session: OnnxSyncSession;
  try {
    session = ort.createSession(bytes);
  } catch (err) {
    return fail('/onnx', `invalid ONNX model: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    const input = inputOf(session, opts.columns);
    if (opts.baseline !== undefined && input.batch !== null) {
      fail('/baseline', `contributions need a dynamic batch dimension; input '${input.name}' takes 1 row`);
    }
    const declared = outputOf(session, opts.output);
    const width = trialWidth(ort, session, input, opts.columns.length, declared.name);
    if (declared.width !== null && declared.width !== width) {
      fail(
        '/output',
        `output '${declared.name}' declares ${declared.width} values per row but returned ${width}`,
      );
    }
    return createOnnxPackage(bytes, {
      features: opts.columns,
      input,
      output: outputSpec(declared.name, width, opts),
      missing: opts.missing ?? null,
      baseline: opts.baseline ?? null,
      training: { source: 'import', file: opts.file ?? null, bytes: bytes.length },
    });
  } finally {
    session.dispose();
  }
}

/** A stored package with its live session. @example const m = await loadOnnxPackage(row.package); createOnnxModelHook(m, { id: 'x', live: true }); */
export interface LoadedOnnxModel {
  readonly pkg: OnnxPackage;
  readonly runtime: OnnxSyncRuntime;
  readonly session: OnnxSyncSession;
  /** Frees the native session (only when nothing scores with it any more). */
  dispose(): void;
}

/**
 * Loads a stored package for live scoring: validates it (hashes, fields, live columns), creates a
 * synchronous session and checks the graph still matches the package. Throws
 * OnnxPackageError (`corrupt model package: ...`), the runtime's missing/binding errors, or an
 * Error naming a column live events cannot provide.
 * @example const model = await loadOnnxPackage(record.package);
 */
export async function loadOnnxPackage(
  input: unknown,
  runtime: OnnxRuntimeOptions = {},
): Promise<LoadedOnnxModel> {
  const { pkg, bytes } = parseOnnxPackage(input);
  compileLiveFeatures(pkg.features);
  const ort = await loadOnnxSyncRuntime(runtime);
  let session: OnnxSyncSession;
  try {
    session = ort.createSession(bytes);
  } catch (err) {
    throw new Error(
      `corrupt model package: its ONNX bytes do not load: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  try {
    const i = inputOf(session, pkg.features);
    const o = outputOf(session, pkg.output.name);
    if (i.name !== pkg.input.name || i.type !== pkg.input.type || i.batch !== pkg.input.batch) {
      throw new Error(
        `input ${i.name} ${i.type} does not match the package's ${pkg.input.name} ${pkg.input.type}`,
      );
    }
    if (o.width !== null && o.width !== pkg.output.width) {
      throw new Error(
        `output '${o.name}' has ${o.width} values per row, the package reads ${pkg.output.width}`,
      );
    }
  } catch (err) {
    session.dispose();
    throw new Error(
      `corrupt model package: the graph does not match the package: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  return { pkg, runtime: ort, session, dispose: () => session.dispose() };
}
