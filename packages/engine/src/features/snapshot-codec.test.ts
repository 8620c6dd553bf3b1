import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ByteReader, ByteWriter, checksum32 } from './snapshot-codec.js';

function sample(): Uint8Array {
  const w = new ByteWriter(3);
  w.u8(7);
  w.u32(123_456);
  w.i32(-5);
  w.f64(Math.PI);
  w.f64(Number.NEGATIVE_INFINITY);
  w.str('héllo ✓ 𝄞');
  w.raw(new Float64Array([1.5, 2.5, 3.5]), 2);
  return w.finish();
}

describe('snapshot codec', () => {
  it('round-trips values', () => {
    const r = ByteReader.open(sample(), 3);
    expect(r.u8()).toBe(7);
    expect(r.u32()).toBe(123_456);
    expect(r.i32()).toBe(-5);
    expect(r.f64()).toBe(Math.PI);
    expect(r.f64()).toBe(Number.NEGATIVE_INFINITY);
    expect(r.str()).toBe('héllo ✓ 𝄞');
    const a = new Float64Array(2);
    r.raw(a, 2);
    expect(Array.from(a)).toEqual([1.5, 2.5]);
    r.done();
  });

  it('detects any single changed byte', () => {
    const bytes = sample();
    fc.assert(
      fc.property(fc.integer({ min: 0, max: bytes.length - 1 }), fc.integer({ min: 1, max: 255 }), (i, x) => {
        const bad = bytes.slice();
        bad[i]! ^= x;
        expect(() => ByteReader.open(bad, 3)).toThrow(/corrupt feature snapshot/);
      }),
    );
  });

  it('rejects truncation, wrong versions and reads past the end', () => {
    const bytes = sample();
    expect(() => ByteReader.open(bytes.subarray(0, 8), 3)).toThrow(/only 8 bytes/);
    expect(() => ByteReader.open(bytes.subarray(0, bytes.length - 1), 3)).toThrow(/checksum/);
    expect(() => ByteReader.open(bytes, 4)).toThrow(/version 3 \(expected 4\)/);
    const r = ByteReader.open(bytes, 3);
    r.u8();
    expect(() => r.done()).toThrow(/trailing/);
    const w = new ByteWriter(1);
    w.u32(1);
    const short = ByteReader.open(w.finish(), 1);
    expect(() => short.f64()).toThrow(/unexpected end/);
    const big = new ByteWriter(1);
    big.u32(10);
    expect(() => ByteReader.open(big.finish(), 1).count(5, 'rows')).toThrow(/rows 10 out of range/);
  });

  it('checksums unaligned views the same as aligned copies', () => {
    const bytes = sample();
    const shifted = new Uint8Array(bytes.length + 1);
    shifted.set(bytes, 1);
    expect(checksum32(shifted.subarray(1))).toBe(checksum32(bytes));
    expect(ByteReader.open(shifted.subarray(1), 3).u8()).toBe(7);
  });
});
