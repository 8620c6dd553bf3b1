/**
 * The optional ONNX runtime. onnxruntime-node (~290 MB) is not a dependency of any package, so the
 * default install never pulls it in; it is imported on first use, and a clear error says how to
 * install it when it is missing. Its module is checked at run time against the small surface used
 * here, so this file type-checks whether or not the package is installed.
 */

/** The command that installs the optional runtime offline (its postinstall would fetch CUDA libraries). @example console.error(ONNX_RUNTIME_INSTALL); */
export const ONNX_RUNTIME_INSTALL =
  'ONNXRUNTIME_NODE_INSTALL=skip npm install --no-save onnxruntime-node@1.30.0 (or put onnxruntime-node-install=skip in .npmrc first)';

/** A tensor as returned by a session. @example const t: OnnxTensor = { data: new Float32Array(2), dims: [2, 1] }; */
export interface OnnxTensor {
  readonly data: unknown;
  readonly dims: readonly number[];
}

/** One loaded graph. @example const out = await session.run({ [session.inputNames[0]!]: tensor }); */
export interface OnnxSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  run(feeds: Readonly<Record<string, OnnxTensor>>): Promise<Readonly<Record<string, OnnxTensor>>>;
  release(): Promise<void>;
}

/** The part of onnxruntime-node Vigil uses. @example const s = await (await loadOnnxRuntime()).createSession(bytes); */
export interface OnnxRuntime {
  createSession(bytes: Uint8Array): Promise<OnnxSession>;
  /** A float32 tensor over `data` with shape `dims`. */
  float32(data: Float32Array, dims: readonly number[]): OnnxTensor;
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
    async run(feeds) {
      const raw: unknown = await Reflect.apply(run, s, [feeds]);
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
    float32(data, dims) {
      const t: unknown = Reflect.construct(Tensor, ['float32', data, [...dims]]);
      if (!isTensor(t)) throw new Error('onnxruntime-node built a tensor without data or dims');
      return t;
    },
  };
}
