import { describe, expect, it } from 'vitest';
import { compareSplits, meanSd } from './iforest-parity.js';

describe('iforest parity statistics', () => {
  it('gives mean and sample standard deviation', () => {
    expect(meanSd([2, 4, 4, 4, 5, 5, 7, 9])).toEqual({ mean: 5, sd: Math.sqrt(32 / 7) });
    expect(meanSd([3])).toEqual({ mean: 3, sd: 0 });
  });

  it('pools per-split means and tests their difference', () => {
    const same = compareSplits(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
    );
    expect(same).toMatchObject({ diff: 0, z: 0 });
    expect(same.p).toBeCloseTo(1, 6);
    // Split means 2 and 5 vs 3 and 6: difference -1; each split's variance 1 over 3 samples.
    const c = compareSplits(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      [
        [2, 3, 4],
        [5, 6, 7],
      ],
    );
    expect(c.diff).toBe(-1);
    expect(c.se).toBeCloseTo(Math.sqrt((2 * (2 / 3)) / 4), 12);
    expect(c.z).toBeCloseTo(-Math.sqrt(3), 12);
    expect(c.p).toBeCloseTo(2 * (1 - 0.95837), 4);
    expect(compareSplits([[1, 1]], [[1, 1]]).z).toBe(0);
  });
});
