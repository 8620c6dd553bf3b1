/**
 * 64-bit perceptual hashes (pHash, dHash, aHash) as 16 hex digits, compared by Hamming
 * distance without allocating: each hash is read as two 32-bit halves.
 */

const scratch = new Uint32Array(4);

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  if (c >= 97 && c <= 102) return c - 87; // a-f
  if (c >= 65 && c <= 70) return c - 55; // A-F
  return -1;
}

/**
 * Reads a 16-hex-digit hash into `out[at]` (high 32 bits) and `out[at + 1]` (low 32 bits).
 * Returns false (leaving `out` unspecified) for anything else.
 * @example const h = new Uint32Array(2); readHex64('ffffffff00000000', h, 0); // true, h = [4294967295, 0]
 */
export function readHex64(s: string, out: Uint32Array, at: number): boolean {
  if (s.length !== 16) return false;
  let hi = 0;
  let lo = 0;
  for (let k = 0; k < 16; k++) {
    const d = hexDigit(s.charCodeAt(k));
    if (d < 0) return false;
    if (k < 8) hi = (hi << 4) | d;
    else lo = (lo << 4) | d;
  }
  out[at] = hi >>> 0;
  out[at + 1] = lo >>> 0;
  return true;
}

/**
 * Number of set bits of a 32-bit integer.
 * @example popcount32(0b1011); // 3
 */
export function popcount32(x: number): number {
  let v = x >>> 0;
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  v = (v + (v >>> 4)) & 0x0f0f0f0f;
  return Math.imul(v, 0x01010101) >>> 24;
}

/**
 * Hamming distance (0..64) between two 64-bit hex hashes, or undefined when either is not 16
 * hex digits.
 * @example hammingDistanceHex64('0000000000000000', '000000000000000f'); // 4
 */
export function hammingDistanceHex64(a: string, b: string): number | undefined {
  if (!readHex64(a, scratch, 0) || !readHex64(b, scratch, 2)) return undefined;
  return (
    popcount32((scratch[0] ?? 0) ^ (scratch[2] ?? 0)) + popcount32((scratch[1] ?? 0) ^ (scratch[3] ?? 0))
  );
}

/** Whether a string is a 64-bit hex hash. @example isHex64('00ff00ff00ff00ff'); // true */
export function isHex64(s: string): boolean {
  return readHex64(s, scratch, 0);
}
