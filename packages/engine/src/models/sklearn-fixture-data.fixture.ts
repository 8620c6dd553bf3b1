import type { DenseMatrix } from './matrix.js';
import { createNumpyLegacyRandom } from './numpy-random.js';

/**
 * Test data for the scikit-learn replay: column 0 continuous in [-5, 5), column 1 on a 1/8 grid
 * (ties, so nodes where it is constant), column 2 constant, further columns continuous with a
 * heavy tail; every 7th row repeats the previous one (duplicate rows end in unsplittable nodes).
 * @example const x = sklearnFixtureMatrix(300, 4, 2024);
 */
export function sklearnFixtureMatrix(rows: number, cols: number, seed: number): DenseMatrix {
  const rng = createNumpyLegacyRandom(seed);
  const data = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let j = 0; j < cols; j++) {
      const u = rng.randomSample();
      const i = r * cols + j;
      if (r % 7 === 6) data[i] = data[i - cols]!;
      else if (j === 0) data[i] = u * 10 - 5;
      else if (j === 1) data[i] = Math.round(u * 8) / 8;
      else if (j === 2) data[i] = 0.3;
      else data[i] = Math.tan((u - 0.5) * 3);
    }
  }
  return { data, rows, cols };
}

const f32 = new Float32Array(1);
const f32Bits = new Int32Array(f32.buffer);

/** The float32 next to a non-zero float32 `f`, away from zero (`dir` 1) or towards it (-1). */
function float32Step(f: number, dir: 1 | -1): number {
  f32[0] = f;
  f32Bits[0] = f32Bits[0]! + dir;
  return f32[0];
}

/**
 * Rows to score: for the first `count` rows of `x`, each value moved to the exact midpoint
 * between its float32 rounding and the next float32 away from zero, then towards zero (ties,
 * where rounding to float32 decides the branch), then nudged by ±1e-7.
 * @example const probes = sklearnFixtureProbes(x, 8);
 */
export function sklearnFixtureProbes(x: DenseMatrix, count: number): DenseMatrix {
  const { cols } = x;
  const n = Math.min(count, x.rows);
  const data = new Float64Array(3 * n * cols);
  for (let i = 0; i < n * cols; i++) {
    const v = x.data[i]!;
    const f = Math.fround(v) || 2 ** -149;
    data[i] = (f + float32Step(f, 1)) / 2;
    data[n * cols + i] = (f + float32Step(f, -1)) / 2;
    data[2 * n * cols + i] = v + (i % 2 === 0 ? 1e-7 : -1e-7);
  }
  return { data, rows: 3 * n, cols };
}
