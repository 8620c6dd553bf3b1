/**
 * The registry package of an imported ONNX model: one JSON document (stored as text in the
 * registry's `package` column like every other kind, so it needs no new column on SQLite or
 * PostgreSQL) holding the ONNX bytes as base64, the live feature names fed to the graph's input in
 * order, which output is the fraud probability and how to read it, and the missing-value fill.
 * Two hashes guard it: `sha256` over the ONNX bytes (the same as `sha256sum model.onnx`) and
 * `checksum` over every part that decides a score; a package failing either is never loaded.
 */
import { createHash } from 'node:crypto';
import { cellToNumber, isMissingCell, isRecord, type Cell } from '@vigil/engine';

/** Package format name. @example ONNX_PACKAGE_FORMAT; // 'vigil.onnx-package' */
export const ONNX_PACKAGE_FORMAT = 'vigil.onnx-package';
/** Version of {@link ONNX_PACKAGE_FORMAT}. @example ONNX_PACKAGE_VERSION; // 1 */
export const ONNX_PACKAGE_VERSION = 1;
/** The registry kind of an imported ONNX model. @example record.kind === ONNX_KIND; */
export const ONNX_KIND = 'onnx';

/** Element types the graph's input may take (Vigil fills the rows as float32 or float64). @example ONNX_INPUT_TYPES.includes('float32'); */
export const ONNX_INPUT_TYPES = ['float32', 'float64'] as const;
/** One input type. @example const t: OnnxInputType = 'float64'; */
export type OnnxInputType = (typeof ONNX_INPUT_TYPES)[number];

/** What is applied to the chosen output value: none (already a probability) or the logistic function (a margin/logit). @example ONNX_TRANSFORMS; // ['none', 'sigmoid'] */
export const ONNX_TRANSFORMS = ['none', 'sigmoid'] as const;
/** One output transform. @example const t: OnnxTransform = 'sigmoid'; */
export type OnnxTransform = (typeof ONNX_TRANSFORMS)[number];

/** How the score is read from the graph. @example const o: OnnxOutputSpec = { name: 'probabilities', width: 2, index: 1, transform: 'none' }; */
export interface OnnxOutputSpec {
  /** The graph output holding the score (a float tensor [N], [N, 1] or [N, classes]). */
  readonly name: string;
  /** Values per row (1 for [N] and [N, 1]). */
  readonly width: number;
  /** Which of a row's values is the fraud score (the positive class's column). */
  readonly index: number;
  readonly transform: OnnxTransform;
}

/** The graph input the features are fed to. @example const i: OnnxInputSpec = { name: 'input', type: 'float32', batch: null }; */
export interface OnnxInputSpec {
  readonly name: string;
  readonly type: OnnxInputType;
  /** A fixed batch dimension (e.g. 1), or null when the graph takes any number of rows. */
  readonly batch: number | null;
}

/** Where the model came from. @example const s: OnnxSource = { source: 'import', file: 'fraud.onnx', bytes: 1024 }; */
export interface OnnxSource {
  readonly source: 'import';
  readonly file: string | null;
  readonly bytes: number;
}

/** The stored package. @example const pkg: OnnxPackage = parseOnnxPackage(row.package).pkg; */
export interface OnnxPackage {
  readonly format: typeof ONNX_PACKAGE_FORMAT;
  readonly version: typeof ONNX_PACKAGE_VERSION;
  readonly kind: typeof ONNX_KIND;
  /** Live feature names, in the order of the input tensor's columns. */
  readonly features: readonly string[];
  readonly input: OnnxInputSpec;
  readonly output: OnnxOutputSpec;
  /** The value a missing feature is fed as; null feeds NaN (tree models exported from XGBoost/LightGBM read NaN as missing). */
  readonly missing: number | null;
  /**
   * A reference row (one value per feature). When set, each live decision reports per-feature
   * contributions by occlusion: score(x) − score(x with that feature set to its baseline value),
   * computed in the same run as the score (one [features + 1, features] batch). Null: none.
   */
  readonly baseline: readonly number[] | null;
  readonly training: OnnxSource;
  /** The ONNX file, base64. */
  readonly onnx: string;
  /** sha256 (hex) of the ONNX bytes. */
  readonly sha256: string;
  /** sha256 (hex) of the parts that decide a score (see {@link onnxPackageChecksum}). */
  readonly checksum: string;
}

/** A package without its hashes and envelope, as {@link createOnnxPackage} takes it. @example const p: OnnxPackageParts = { features, input, output, missing: null, baseline: null, training }; */
export type OnnxPackageParts = Pick<
  OnnxPackage,
  'features' | 'input' | 'output' | 'missing' | 'baseline' | 'training'
>;

/** Thrown for a corrupt or mismatched stored package. @example if (err instanceof OnnxPackageError) log.error(err.message); */
export class OnnxPackageError extends Error {
  constructor(why: string) {
    super(`corrupt model package: ${why}`);
    this.name = 'OnnxPackageError';
  }
}

const sha256 = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');

/**
 * The checksum over every part that decides a score (the ONNX bytes enter through their sha256).
 * @example onnxPackageChecksum(pkg) === pkg.checksum;
 */
export function onnxPackageChecksum(p: OnnxPackageParts & Pick<OnnxPackage, 'sha256'>): string {
  return sha256(
    JSON.stringify([
      ONNX_KIND,
      p.features,
      [p.input.name, p.input.type, p.input.batch],
      [p.output.name, p.output.width, p.output.index, p.output.transform],
      p.missing,
      p.baseline,
      p.sha256,
    ]),
  );
}

/**
 * Builds a package around ONNX bytes (validation against the graph is the importer's job).
 * @example const pkg = createOnnxPackage(bytes, { features: ['amount'], input, output, missing: null, baseline: null, training });
 */
export function createOnnxPackage(bytes: Uint8Array, parts: OnnxPackageParts): OnnxPackage {
  const hash = sha256(bytes);
  return {
    format: ONNX_PACKAGE_FORMAT,
    version: ONNX_PACKAGE_VERSION,
    kind: ONNX_KIND,
    features: [...parts.features],
    input: { ...parts.input },
    output: { ...parts.output },
    missing: parts.missing,
    baseline: parts.baseline === null ? null : [...parts.baseline],
    training: { ...parts.training },
    onnx: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'),
    sha256: hash,
    checksum: onnxPackageChecksum({ ...parts, sha256: hash }),
  };
}

/**
 * Whether parsed JSON (or package text) claims to be an ONNX package (it may still be corrupt).
 * @example if (isOnnxPackage(JSON.parse(text))) ...
 */
export function isOnnxPackage(x: unknown): boolean {
  if (typeof x === 'string') return /"format"\s*:\s*"vigil\.onnx-package"/.test(x);
  return isRecord(x) && x['format'] === ONNX_PACKAGE_FORMAT;
}

function corrupt(why: string): never {
  throw new OnnxPackageError(why);
}

/**
 * The number a feature cell is fed as: its numeric value, `missing` (NaN when null) for a missing
 * cell, or undefined for text that is not a number (the caller reports it). Live and batch
 * scoring both use this, so the same features give the same scores.
 * @example cellValue('12.5', null); // 12.5
 */
export function cellValue(cell: Cell | undefined, missing: number | null): number | undefined {
  const v = cellToNumber(cell);
  if (!Number.isNaN(v)) return v;
  return isMissingCell(cell) ? (missing ?? NaN) : undefined;
}

/**
 * The score of row `row` in an output tensor's data: the row's `index`-th value, through the
 * output's transform.
 * @example scoreAt(Float32Array.of(0.2, 0.8), 0, { width: 2, index: 1, transform: 'none' }); // 0.8 (as float32)
 */
export function scoreAt(
  data: Float32Array | Float64Array,
  row: number,
  out: Pick<OnnxOutputSpec, 'width' | 'index' | 'transform'>,
): number {
  const v = data[row * out.width + out.index]!;
  return out.transform === 'sigmoid' ? 1 / (1 + Math.exp(-v)) : v;
}

/** Whether a value is an input type. @example isOnnxInputType('float32'); // true */
export function isOnnxInputType(v: unknown): v is OnnxInputType {
  return (ONNX_INPUT_TYPES as readonly unknown[]).includes(v);
}

/** Whether a value is a transform. @example isOnnxTransform('sigmoid'); // true */
export function isOnnxTransform(v: unknown): v is OnnxTransform {
  return (ONNX_TRANSFORMS as readonly unknown[]).includes(v);
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const count = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Validates a stored package (text or parsed JSON): envelope, every field, the ONNX bytes
 * against `sha256`, and `checksum`. Returns the package and its ONNX bytes; throws
 * {@link OnnxPackageError} (`corrupt model package: ...`).
 * @example const { pkg, bytes } = parseOnnxPackage(row.package);
 */
export function parseOnnxPackage(input: unknown): { readonly pkg: OnnxPackage; readonly bytes: Uint8Array } {
  let o: unknown = input;
  if (typeof input === 'string') {
    try {
      o = JSON.parse(input);
    } catch {
      return corrupt('not valid JSON');
    }
  }
  if (!isRecord(o)) return corrupt('not an object');
  if (o['format'] !== ONNX_PACKAGE_FORMAT) return corrupt(`format is not ${ONNX_PACKAGE_FORMAT}`);
  if (o['version'] !== ONNX_PACKAGE_VERSION) return corrupt(`unsupported version ${String(o['version'])}`);
  if (o['kind'] !== ONNX_KIND) return corrupt(`kind is not ${ONNX_KIND}`);
  const f = o['features'];
  if (!Array.isArray(f) || f.length === 0 || !f.every((s): s is string => typeof s === 'string'))
    return corrupt('features is not a list of names');
  const i = o['input'];
  if (
    !isRecord(i) ||
    typeof i['name'] !== 'string' ||
    !isOnnxInputType(i['type']) ||
    !(i['batch'] === null || (count(i['batch']) && i['batch'] > 0))
  )
    return corrupt('input is not {name, type: float32|float64, batch}');
  const out = o['output'];
  if (
    !isRecord(out) ||
    typeof out['name'] !== 'string' ||
    !count(out['width']) ||
    out['width'] < 1 ||
    !count(out['index']) ||
    out['index'] >= out['width'] ||
    !isOnnxTransform(out['transform'])
  )
    return corrupt('output is not {name, width, index < width, transform}');
  const missing = o['missing'];
  if (missing !== null && !finite(missing)) return corrupt('missing is not a number or null');
  const baseline = o['baseline'];
  if (
    baseline !== null &&
    (!Array.isArray(baseline) || baseline.length !== f.length || !baseline.every(finite))
  )
    return corrupt('baseline is not one number per feature');
  const t = o['training'];
  if (
    !isRecord(t) ||
    t['source'] !== 'import' ||
    !(t['file'] === null || typeof t['file'] === 'string') ||
    !count(t['bytes'])
  )
    return corrupt('training is not {source: import, file, bytes}');
  const b64 = o['onnx'];
  if (typeof b64 !== 'string' || b64.length === 0 || !BASE64.test(b64)) return corrupt('onnx is not base64');
  const bytes = new Uint8Array(Buffer.from(b64, 'base64'));
  if (o['sha256'] !== sha256(bytes)) return corrupt('the ONNX bytes do not match their sha256');
  const type = i['type'];
  const transform = out['transform'];
  const pkg: OnnxPackage = {
    format: ONNX_PACKAGE_FORMAT,
    version: ONNX_PACKAGE_VERSION,
    kind: ONNX_KIND,
    features: f,
    input: { name: i['name'], type, batch: i['batch'] },
    output: {
      name: out['name'],
      width: out['width'],
      index: out['index'],
      transform,
    },
    missing,
    baseline,
    training: { source: 'import', file: t['file'], bytes: t['bytes'] },
    onnx: b64,
    sha256: o['sha256'],
    checksum: typeof o['checksum'] === 'string' ? o['checksum'] : '',
  };
  if (pkg.checksum !== onnxPackageChecksum(pkg)) return corrupt('checksum mismatch');
  return { pkg, bytes };
}
