import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { hammingDistanceHex64, isHex64, popcount32, readHex64 } from './perceptual-hash.js';

describe('perceptual hash helpers', () => {
  it('reads 16 hex digits as two 32-bit halves, any case', () => {
    const h = new Uint32Array(2);
    expect(readHex64('FFFFFFFF0000000a', h, 0)).toBe(true);
    expect([...h]).toEqual([0xffffffff, 10]);
    expect(isHex64('00ff00ff00ff00ff')).toBe(true);
    expect(isHex64('00ff00ff00ff00f')).toBe(false);
    expect(isHex64('00ff00ff00ff00fg')).toBe(false);
    expect(isHex64('')).toBe(false);
  });

  it('counts bits', () => {
    expect(popcount32(0)).toBe(0);
    expect(popcount32(0b1011)).toBe(3);
    expect(popcount32(0xffffffff)).toBe(32);
    expect(popcount32(0x80000000)).toBe(1);
  });

  it('measures Hamming distance between 64-bit hashes', () => {
    expect(hammingDistanceHex64('0000000000000000', '000000000000000f')).toBe(4);
    expect(hammingDistanceHex64('ffffffffffffffff', '0000000000000000')).toBe(64);
    expect(hammingDistanceHex64('8000000000000001', '0000000000000000')).toBe(2);
    expect(hammingDistanceHex64('abc', '0000000000000000')).toBeUndefined();
  });

  it('agrees with a BigInt reference', () => {
    const hex = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }).map((b) => b.toString(16).padStart(16, '0'));
    fc.assert(
      fc.property(hex, hex, (a, b) => {
        const x = BigInt(`0x${a}`) ^ BigInt(`0x${b}`);
        const expected = x
          .toString(2)
          .split('')
          .filter((c) => c === '1').length;
        expect(hammingDistanceHex64(a, b)).toBe(expected);
      }),
    );
  });
});
