/**
 * The optional ONNX runtime. onnxruntime-node (~290 MB) is not a dependency of any package, so the
 * default install never pulls it in; it is imported on first use, and a clear error says how to
 * install it when it is missing. Its module is checked at run time against the small surface used
 * here, so this file type-checks whether or not the package is installed.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/** The command that installs the optional runtime offline (its postinstall would fetch CUDA libraries). @example console.error(ONNX_RUNTIME_INSTALL); */
export const ONNX_RUNTIME_INSTALL =
  'ONNXRUNTIME_NODE_INSTALL=skip npm install --no-save onnxruntime-node@1.30.0 (or put onnxruntime-node-install=skip in .npmrc first)';

/** A tensor as returned by a session. @example const t: OnnxTensor = { data: new Float32Array(2), dims: [2, 1] }; */
export interface OnnxTensor {
  readonly data: unknown;
  readonly dims: readonly number[];
}

/** One loaded graph. @example const out = await session.run({ [session.inputNames[0]!]: tensor }, ['y']); */
export interface OnnxSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  /** Runs the graph; `outputs` (default: every output) names the outputs to compute. */
  run(
    feeds: Readonly<Record<string, OnnxTensor>>,
    outputs?: readonly string[],
  ): Promise<Readonly<Record<string, OnnxTensor>>>;
  release(): Promise<void>;
}

/** The float input types Vigil feeds. @example const t: OnnxFloatType = 'float32'; */
export type OnnxFloatType = 'float32' | 'float64';

/** The part of onnxruntime-node Vigil uses. @example const s = await (await loadOnnxRuntime()).createSession(bytes); */
export interface OnnxRuntime {
  createSession(bytes: Uint8Array): Promise<OnnxSession>;
  /** A float32 tensor over `data` with shape `dims`. */
  float32(data: Float32Array, dims: readonly number[]): OnnxTensor;
  /** A float32 or float64 tensor over `data` (no copy) with shape `dims`. */
  tensor(type: OnnxFloatType, data: Float32Array | Float64Array, dims: readonly number[]): OnnxTensor;
}

/** Imports the runtime's module; injectable so tests can simulate a missing package. @example const imp: OnnxImporter = () => import('onnxruntime-node'); */
export type OnnxImporter = () => Promise<unknown>;

/** Thrown when the optional runtime cannot be imported. @example if (err instanceof OnnxRuntimeMissingError) console.error(err.message); */
export class OnnxRuntimeMissingError extends Error {
  constructor(cause: string) {
    super(
      `ONNX models need the optional onnxruntime-node package: ${ONNX_RUNTIME_INSTALL}. Import failed: ${cause}`,
    );
    this.name = 'OnnxRuntimeMissingError';
  }
}

// A non-literal specifier: neither tsc nor the bundler resolves the optional package ahead of time.
const ORT_MODULE: string = 'onnxruntime-node';

/** Imports onnxruntime-node. @example const mod = await importOnnxRuntimeNode(); */
export const importOnnxRuntimeNode: OnnxImporter = () => import(ORT_MODULE);

const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));

function field(obj: unknown, key: string): unknown {
  const isObject = (typeof obj === 'object' && obj !== null) || typeof obj === 'function';
  return isObject && key in obj ? Reflect.get(obj, key) : undefined;
}

function stringList(v: unknown, what: string): readonly string[] {
  if (!Array.isArray(v) || !v.every((s): s is string => typeof s === 'string')) {
    throw new Error(`onnxruntime-node returned no ${what}`);
  }
  return v;
}

function isTensor(v: unknown): v is OnnxTensor {
  const dims = field(v, 'dims');
  return Array.isArray(dims) && dims.every((d) => typeof d === 'number') && field(v, 'data') !== undefined;
}

function wrapSession(s: unknown): OnnxSession {
  const run = field(s, 'run');
  const release = field(s, 'release');
  if (typeof run !== 'function' || typeof release !== 'function') {
    throw new Error('onnxruntime-node returned a session without run()/release()');
  }
  const inputNames = stringList(field(s, 'inputNames'), 'input names');
  const outputNames = stringList(field(s, 'outputNames'), 'output names');
  return {
    inputNames,
    outputNames,
    async run(feeds, outputs) {
      const raw: unknown = await Reflect.apply(
        run,
        s,
        outputs === undefined ? [feeds] : [feeds, [...outputs]],
      );
      const out: Record<string, OnnxTensor> = {};
      for (const name of outputNames) {
        const t = field(raw, name);
        if (t === undefined) continue;
        if (!isTensor(t)) throw new Error(`onnxruntime-node returned output '${name}' that is not a tensor`);
        out[name] = t;
      }
      return out;
    },
    async release() {
      await Reflect.apply(release, s, []);
    },
  };
}

/**
 * Imports onnxruntime-node and checks its surface. Throws {@link OnnxRuntimeMissingError} (with the
 * install command) when the package is not installed or cannot load.
 * @example const ort = await loadOnnxRuntime(); const session = await ort.createSession(bytes);
 */
export async function loadOnnxRuntime(importer: OnnxImporter = importOnnxRuntimeNode): Promise<OnnxRuntime> {
  let mod: unknown;
  try {
    mod = await importer();
  } catch (err) {
    throw new OnnxRuntimeMissingError(message(err));
  }
  const root = field(mod, 'InferenceSession') === undefined ? field(mod, 'default') : mod;
  const InferenceSession = field(root, 'InferenceSession');
  const create = field(InferenceSession, 'create');
  const Tensor = field(root, 'Tensor');
  if (typeof create !== 'function' || typeof Tensor !== 'function') {
    throw new OnnxRuntimeMissingError('the module has no InferenceSession.create or Tensor');
  }
  return {
    async createSession(bytes) {
      const s: unknown = await Reflect.apply(create, InferenceSession, [bytes]);
      return wrapSession(s);
    },
    float32: (data, dims) => makeTensor(Tensor, 'float32', data, dims),
    tensor: (type, data, dims) => makeTensor(Tensor, type, data, dims),
  };
}

function makeTensor(
  Tensor: unknown,
  type: OnnxFloatType,
  data: Float32Array | Float64Array,
  dims: readonly number[],
): OnnxTensor {
  if (typeof Tensor !== 'function') throw new Error('onnxruntime-node has no Tensor');
  const t: unknown = Reflect.construct(Tensor, [type, data, [...dims]]);
  if (!isTensor(t)) throw new Error('onnxruntime-node built a tensor without data or dims');
  return t;
}

/*
 * Synchronous sessions, for live scoring.
 *
 * The engine's ModelHook.score is synchronous, and onnxruntime-node's public `session.run()`
 * returns a promise. Its native binding, though, is synchronous: in 1.30.0 `dist/backend.js`
 * only wraps `binding.InferenceSession#run(feeds, fetches, options)` in `setImmediate`, and
 * `dist/binding.d.ts` says "Binding exports a simple synchronized inference session object
 * wrap". So live hooks call that binding directly (loaded once, asynchronously, when the registry
 * reloads), and score each event in a few microseconds without a promise. This reaches an
 * internal module of the pinned version (CI installs exactly {@link ONNX_RUNTIME_PINNED}): every
 * part used is checked when the runtime loads and when a session is created, and a different
 * shape fails with {@link OnnxBindingError} naming what changed, never a crash mid-event. The
 * tests check that this path scores exactly like the public asynchronous API.
 */

/** The onnxruntime-node version whose internal binding the live path was written against. @example ONNX_RUNTIME_PINNED; // '1.30.0' */
export const ONNX_RUNTIME_PINNED = '1.30.0';

/** Thrown when onnxruntime-node's internal binding does not have the shape live scoring relies on. @example if (err instanceof OnnxBindingError) console.error(err.message); */
export class OnnxBindingError extends Error {
  constructor(version: string, why: string) {
    super(
      `onnxruntime-node ${version}'s internal binding is not the one live ONNX scoring was written for (${ONNX_RUNTIME_PINNED}): ${why}. Install ${ONNX_RUNTIME_PINNED}: ${ONNX_RUNTIME_INSTALL}`,
    );
    this.name = 'OnnxBindingError';
  }
}

/** A graph input or output as the binding describes it. @example const v: OnnxValueInfo = { name: 'x', isTensor: true, type: 'float32', shape: ['N', 3] }; */
export interface OnnxValueInfo {
  readonly name: string;
  /** False for sequences and maps (e.g. sklearn-onnx's ZipMap output), which the binding cannot return. */
  readonly isTensor: boolean;
  /** Element type (float32, float64, int64, ...); undefined for a non-tensor or an unknown type. */
  readonly type: string | undefined;
  /** Dimensions: a number, or the symbolic name (or '?') of a dynamic one. Empty for a non-tensor. */
  readonly shape: readonly (number | string)[];
}

/** A loaded graph scored synchronously. @example const out = session.run({ x: tensor }, ['y']); */
export interface OnnxSyncSession {
  readonly inputs: readonly OnnxValueInfo[];
  readonly outputs: readonly OnnxValueInfo[];
  /** Runs the graph now (blocking) and returns the named outputs' tensors. */
  run(
    feeds: Readonly<Record<string, OnnxTensor>>,
    outputs: readonly string[],
  ): Readonly<Record<string, OnnxTensor>>;
  /** Frees the native session; later runs throw. */
  dispose(): void;
}

/**
 * Session options of live sessions: one event is one small row, so no thread pool; a failed run is
 * thrown (and recorded in the decision), so the runtime does not also print it (4: fatal only).
 */
const LIVE_SESSION_OPTIONS = {
  logSeverityLevel: 4,
  intraOpNumThreads: 1,
  interOpNumThreads: 1,
  executionMode: 'sequential',
  graphOptimizationLevel: 'all',
} as const;

/** The synchronous runtime. @example const session = (await loadOnnxSyncRuntime()).createSession(bytes); */
export interface OnnxSyncRuntime {
  /** The installed onnxruntime-node version. */
  readonly version: string;
  /** Loads a graph (throws the runtime's parse error for a corrupt file). */
  createSession(bytes: Uint8Array): OnnxSyncSession;
  /** A float32 or float64 tensor over `data` (no copy) with shape `dims`. */
  tensor(type: OnnxFloatType, data: Float32Array | Float64Array, dims: readonly number[]): OnnxTensor;
}

/**
 * Where onnxruntime-node's entry file resolves from here, or undefined when it is not installed.
 * Code bundled elsewhere (the `vigil score` workers) reaches the runtime through it.
 * @example const entry = resolveOnnxRuntime(); if (entry) await loadOnnxRuntime(onnxRuntimeAt(entry));
 */
export function resolveOnnxRuntime(): string | undefined {
  try {
    return requireHere.resolve(ORT_MODULE);
  } catch {
    return undefined;
  }
}

/**
 * The runtime options that import onnxruntime-node and its binding from a resolved entry file
 * (see {@link resolveOnnxRuntime}) instead of from this module's location.
 * @example const onnx = onnxRuntimeAt('/app/node_modules/onnxruntime-node/dist/index.js');
 */
export function onnxRuntimeAt(entry: string): {
  readonly importer: OnnxImporter;
  readonly binding: OnnxBindingLoader;
} {
  return {
    importer: () => import(pathToFileURL(entry).href),
    binding: () => {
      const fromPackage = createRequire(entry);
      const pkg: unknown = fromPackage('../package.json');
      return { binding: fromPackage('./binding.js'), version: field(pkg, 'version') };
    },
  };
}

/** Loads onnxruntime-node's internal binding module and its version (injectable for tests). @example const { binding, version } = requireOnnxBinding(); */
export type OnnxBindingLoader = () => { readonly binding: unknown; readonly version: unknown };

const requireHere = createRequire(import.meta.url);

/**
 * Requires `onnxruntime-node/dist/binding.js` next to the package the dynamic import resolved
 * (the package has no `exports` map, so the file is reachable; the same CommonJS instance is
 * shared with the public API, so the runtime is initialised once).
 * @example const { binding } = requireOnnxBinding();
 */
export const requireOnnxBinding: OnnxBindingLoader = () => {
  const fromPackage = createRequire(requireHere.resolve(ORT_MODULE));
  const pkg: unknown = fromPackage('../package.json');
  return { binding: fromPackage('./binding.js'), version: field(pkg, 'version') };
};

/** ONNX element type numbers as the binding reports them (onnxruntime-node 1.30.0 dist/backend.js). */
const ELEMENT_TYPES: readonly (string | undefined)[] = [
  undefined,
  'float32',
  'uint8',
  'int8',
  'uint16',
  'int16',
  'int32',
  'int64',
  'string',
  'bool',
  'float16',
  'float64',
  'uint32',
  'uint64',
];

function valueInfos(raw: unknown, what: string, version: string): OnnxValueInfo[] {
  if (!Array.isArray(raw)) throw new OnnxBindingError(version, `session.${what} is not a list`);
  return raw.map((m: unknown) => {
    const name = field(m, 'name');
    const isTensor = field(m, 'isTensor');
    if (typeof name !== 'string' || typeof isTensor !== 'boolean') {
      throw new OnnxBindingError(version, `session.${what} entries lack name/isTensor`);
    }
    if (!isTensor) return { name, isTensor, type: undefined, shape: [] };
    const type = field(m, 'type');
    const dims = field(m, 'shape');
    const symbolic = field(m, 'symbolicDimensions');
    if (typeof type !== 'number' || !Array.isArray(dims) || !Array.isArray(symbolic)) {
      throw new OnnxBindingError(version, `session.${what} entries lack type/shape/symbolicDimensions`);
    }
    const shape = dims.map((d: unknown, i): number | string => {
      if (typeof d !== 'number') throw new OnnxBindingError(version, `session.${what} has a non-numeric dim`);
      if (d >= 0) return d;
      const s: unknown = symbolic[i];
      return typeof s === 'string' && s !== '' ? s : '?';
    });
    return { name, isTensor, type: ELEMENT_TYPES[type], shape };
  });
}

/**
 * Imports onnxruntime-node (missing: {@link OnnxRuntimeMissingError} with the install command) and
 * its internal synchronous binding (a changed shape: {@link OnnxBindingError}).
 * @example
 * const ort = await loadOnnxSyncRuntime();
 * const session = ort.createSession(bytes);
 * const out = session.run({ x: ort.tensor('float32', row, [1, row.length]) }, ['y']);
 */
export async function loadOnnxSyncRuntime(
  opts: { readonly importer?: OnnxImporter; readonly binding?: OnnxBindingLoader } = {},
): Promise<OnnxSyncRuntime> {
  const pub = await loadOnnxRuntime(opts.importer);
  let loaded: ReturnType<OnnxBindingLoader>;
  try {
    loaded = (opts.binding ?? requireOnnxBinding)();
  } catch (err) {
    throw new OnnxRuntimeMissingError(`its internal binding did not load: ${message(err)}`);
  }
  const version = typeof loaded.version === 'string' ? loaded.version : 'unknown';
  const initOrt = field(loaded.binding, 'initOrt');
  const Session = field(field(loaded.binding, 'binding'), 'InferenceSession');
  if (typeof initOrt !== 'function' || typeof Session !== 'function') {
    throw new OnnxBindingError(version, 'dist/binding.js exports no initOrt() or binding.InferenceSession');
  }
  // the public API calls the same once-only initialiser before its first session
  Reflect.apply(initOrt, undefined, []);
  return {
    version,
    tensor: (type, data, dims) => pub.tensor(type, data, dims),
    createSession(bytes) {
      const native: unknown = Reflect.construct(Session, []);
      const load = field(native, 'loadModel');
      const run = field(native, 'run');
      const dispose = field(native, 'dispose');
      if (typeof load !== 'function' || typeof run !== 'function' || typeof dispose !== 'function') {
        throw new OnnxBindingError(version, 'InferenceSession has no loadModel()/run()/dispose()');
      }
      Reflect.apply(load, native, [bytes.buffer, bytes.byteOffset, bytes.byteLength, LIVE_SESSION_OPTIONS]);
      const inputs = valueInfos(field(native, 'inputMetadata'), 'inputMetadata', version);
      const outputs = valueInfos(field(native, 'outputMetadata'), 'outputMetadata', version);
      const options = {};
      // live hooks pass the same names array on every event: build its fetches once
      let lastNames: readonly string[] | undefined;
      let fetches: Record<string, null> = {};
      return {
        inputs,
        outputs,
        run(feeds, names) {
          if (names !== lastNames) {
            fetches = {};
            for (const n of names) fetches[n] = null;
            lastNames = names;
          }
          const raw: unknown = Reflect.apply(run, native, [feeds, fetches, options]);
          const out: Record<string, OnnxTensor> = {};
          for (const n of names) {
            const t = field(raw, n);
            if (!isTensor(t)) throw new OnnxBindingError(version, `run() returned no tensor '${n}'`);
            out[n] = t;
          }
          return out;
        },
        dispose: () => void Reflect.apply(dispose, native, []),
      };
    },
  };
}
