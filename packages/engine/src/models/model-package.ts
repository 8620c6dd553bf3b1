/**
 * Helpers shared by the model packages (the JSON-able objects models save to and load from):
 * typed arrays as little-endian base64 strings (exact, about 3x smaller than JSON numbers), a
 * checksum over a package's content, and readers that validate untrusted input field by field.
 * Every failure throws `Error('corrupt <what> package: <reason>')`.
 */

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = (() => {
  const t = new Int16Array(128).fill(-1);
  for (let i = 0; i < 64; i++) t[B64.charCodeAt(i)] = i;
  return t;
})();

/**
 * Base64 (RFC 4648, with padding) of bytes.
 * @example bytesToBase64(new Uint8Array([1, 2, 3])); // 'AQID'
 */
export function bytesToBase64(bytes: Uint8Array): string {
  const parts: string[] = [];
  let chunk = '';
  const n = bytes.length;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    chunk += B64[v >>> 18]! + B64[(v >>> 12) & 63]! + B64[(v >>> 6) & 63]! + B64[v & 63]!;
    if (chunk.length >= 8192) {
      parts.push(chunk);
      chunk = '';
    }
  }
  if (i < n) {
    const v = (bytes[i]! << 16) | (i + 1 < n ? bytes[i + 1]! << 8 : 0);
    chunk += B64[v >>> 18]! + B64[(v >>> 12) & 63]! + (i + 1 < n ? B64[(v >>> 6) & 63]! : '=') + '=';
  }
  parts.push(chunk);
  return parts.join('');
}

/**
 * Decodes base64 produced by {@link bytesToBase64}; returns undefined for malformed input.
 * @example base64ToBytes('AQID'); // Uint8Array [1, 2, 3]
 */
export function base64ToBytes(s: string): Uint8Array | undefined {
  if (s.length % 4 !== 0) return undefined;
  let pad = 0;
  if (s.endsWith('==')) pad = 2;
  else if (s.endsWith('=')) pad = 1;
  const out = new Uint8Array((s.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < s.length; i += 4) {
    let v = 0;
    for (let k = 0; k < 4; k++) {
      const c = s.charCodeAt(i + k);
      if (c === 61 && i + k >= s.length - pad) {
        v <<= 6;
        continue;
      }
      const d = c < 128 ? B64_INDEX[c]! : -1;
      if (d < 0) return undefined;
      v = (v << 6) | d;
    }
    if (o < out.length) out[o++] = v >>> 16;
    if (o < out.length) out[o++] = (v >>> 8) & 255;
    if (o < out.length) out[o++] = v & 255;
  }
  return out;
}

/**
 * Little-endian base64 of a Float64Array (exact: every bit is kept).
 * @example encodeFloat64(Float64Array.of(1.5));
 */
export function encodeFloat64(a: Float64Array): string {
  const bytes = new Uint8Array(a.length * 8);
  const dv = new DataView(bytes.buffer);
  for (let i = 0; i < a.length; i++) dv.setFloat64(i * 8, a[i]!, true);
  return bytesToBase64(bytes);
}

/**
 * Little-endian base64 of an Int32Array.
 * @example encodeInt32(Int32Array.of(-1, 7));
 */
export function encodeInt32(a: Int32Array): string {
  const bytes = new Uint8Array(a.length * 4);
  const dv = new DataView(bytes.buffer);
  for (let i = 0; i < a.length; i++) dv.setInt32(i * 4, a[i]!, true);
  return bytesToBase64(bytes);
}

/**
 * 32-bit FNV-1a checksum of a string's UTF-16 code units (packages checksum their canonical
 * content, so an edited or truncated package is rejected).
 * @example checksumString('abc'); // 440920331
 */
export function checksumString(s: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h >>> 0;
}

/**
 * Whether a value is a non-null, non-array object (the only shape a package can have).
 * @example isRecord({ a: 1 }); // true
 */
export function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/**
 * Validating reader over one untrusted package object; every getter throws a clear
 * `corrupt <what> package: <field> ...` error.
 * @example
 * const r = createPackageReader(JSON.parse(text), 'ecod');
 * const n = r.int('rows', 1);
 */
export interface PackageReader {
  readonly record: Record<string, unknown>;
  fail(reason: string): never;
  string(key: string): string;
  int(key: string, min: number, max?: number): number;
  number(key: string): number;
  float64(key: string, length: number): Float64Array;
  int32(key: string, length: number): Int32Array;
  object(key: string): Record<string, unknown>;
  stringsOrUndefined(key: string, length: number): readonly string[] | undefined;
}

/** @see PackageReader @example createPackageReader({ version: 1 }, 'isolation forest').int('version', 1); */
export function createPackageReader(x: unknown, what: string): PackageReader {
  const fail = (reason: string): never => {
    throw new Error(`corrupt ${what} package: ${reason}`);
  };
  const o: Record<string, unknown> = isRecord(x) ? x : fail('not an object');
  const bytes = (key: string, width: number, length: number): Uint8Array => {
    const v = o[key];
    if (typeof v !== 'string') return fail(`${key} is not a base64 string`);
    const b = base64ToBytes(v);
    if (b === undefined) return fail(`${key} is not valid base64`);
    if (b.length !== width * length)
      return fail(`${key} holds ${b.length / width} values, expected ${length}`);
    return b;
  };
  return {
    record: o,
    fail,
    string(key) {
      const v = o[key];
      return typeof v === 'string' ? v : fail(`${key} is not a string`);
    },
    int(key, min, max = Number.MAX_SAFE_INTEGER) {
      const v = o[key];
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
        return fail(`${key} is not an integer in [${min}, ${max}]`);
      }
      return v;
    },
    number(key) {
      const v = o[key];
      return typeof v === 'number' && Number.isFinite(v) ? v : fail(`${key} is not a finite number`);
    },
    float64(key, length) {
      const b = bytes(key, 8, length);
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      const out = new Float64Array(length);
      for (let i = 0; i < length; i++) out[i] = dv.getFloat64(i * 8, true);
      return out;
    },
    int32(key, length) {
      const b = bytes(key, 4, length);
      const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
      const out = new Int32Array(length);
      for (let i = 0; i < length; i++) out[i] = dv.getInt32(i * 4, true);
      return out;
    },
    object(key) {
      const v = o[key];
      return isRecord(v) ? v : fail(`${key} is not an object`);
    },
    stringsOrUndefined(key, length) {
      const v = o[key];
      if (v === undefined) return undefined;
      if (!Array.isArray(v) || v.length !== length) return fail(`${key} is not a list of ${length} names`);
      const out: string[] = [];
      for (const s of v) out.push(typeof s === 'string' ? s : fail(`${key} holds a non-string`));
      return out;
    },
  };
}
