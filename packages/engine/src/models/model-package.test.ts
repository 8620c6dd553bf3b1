import { describe, expect, it } from 'vitest';
import { quantileSorted, toDenseMatrix } from './matrix.js';
import {
  base64ToBytes,
  bytesToBase64,
  checksumString,
  createPackageReader,
  encodeFloat64,
  encodeInt32,
} from './model-package.js';

describe('base64 typed-array codec', () => {
  it('matches Node base64 for every padding case and round-trips', () => {
    for (let n = 0; n < 40; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 255);
      const s = bytesToBase64(bytes);
      expect(s).toBe(Buffer.from(bytes).toString('base64'));
      expect(Array.from(base64ToBytes(s)!)).toEqual(Array.from(bytes));
    }
    expect(base64ToBytes('abc')).toBeUndefined();
    expect(base64ToBytes('ab$=')).toBeUndefined();
  });

  it('keeps every bit of floats and ints through a package reader', () => {
    const f = Float64Array.of(0.1, -0, 1e-300, Math.PI, -7);
    const i = Int32Array.of(-1, 0, 2147483647, -2147483648);
    const r = createPackageReader({ f: encodeFloat64(f), i: encodeInt32(i) }, 'test');
    expect(Array.from(r.float64('f', 5))).toEqual(Array.from(f));
    expect(Object.is(r.float64('f', 5)[1], -0)).toBe(true);
    expect(Array.from(r.int32('i', 4))).toEqual(Array.from(i));
    expect(() => r.float64('f', 4)).toThrow('corrupt test package: f holds 5 values, expected 4');
    expect(() => r.int('f', 0)).toThrow(/f is not an integer/);
  });

  it('checksums strings with FNV-1a', () => {
    expect(checksumString('')).toBe(0x811c9dc5);
    expect(checksumString('a')).toBe(0xe40c292c);
    expect(checksumString('ab')).not.toBe(checksumString('ba'));
  });
});

describe('matrix helpers', () => {
  it('converts and validates input', () => {
    expect(
      toDenseMatrix([
        [1, 2],
        [3, 4],
      ]),
    ).toEqual({ data: Float64Array.of(1, 2, 3, 4), rows: 2, cols: 2 });
    expect(() => toDenseMatrix(Float64Array.of(1, 2, 3), 2)).toThrow(/not a whole number of rows/);
    expect(() => toDenseMatrix([[1, 2]], 3)).toThrow(/row 0 has 2 columns, expected 3/);
    expect(toDenseMatrix([[NaN]], 1, 'scoring data', false).data[0]).toBeNaN();
  });

  it('interpolates quantiles like numpy', () => {
    const s = Float64Array.of(1, 2, 3, 4);
    expect(quantileSorted(s, 0.5)).toBe(2.5);
    expect(quantileSorted(s, 0.9)).toBeCloseTo(3.7, 12);
    expect(quantileSorted(s, 1)).toBe(4);
  });
});
