import { describe, expect, it } from 'vitest';
import { createNumpyLegacyRandom } from './numpy-random.js';
import { NUMPY_LEGACY_GOLDEN } from './sklearn-isolation-forest-golden.fixture.js';

// Expected values printed by numpy 2.4 (legacy np.random, unchanged since numpy 1.x).
describe('createNumpyLegacyRandom', () => {
  it('replays np.random.seed + choice/permutation exactly', () => {
    const r1 = createNumpyLegacyRandom(1);
    // np.random.seed(1); np.random.choice(np.arange(768), 12, replace=True)
    expect(Array.from(r1.choice(768, 12, true))).toEqual([
      37, 235, 72, 767, 715, 645, 144, 129, 583, 749, 508, 390,
    ]);
    // ... then np.random.permutation(10)
    expect(Array.from(r1.permutation(10))).toEqual([1, 7, 3, 0, 8, 5, 6, 4, 2, 9]);
    // np.random.seed(3); np.random.choice(np.arange(49097), 8, replace=False)
    expect(Array.from(createNumpyLegacyRandom(3).choice(49097, 8, false))).toEqual([
      4585, 25371, 47163, 17122, 4172, 30847, 7441, 646,
    ]);
    const r2 = createNumpyLegacyRandom(2);
    expect(Array.from(r2.permutation(7))).toEqual([4, 1, 3, 2, 6, 5, 0]);
    expect(Array.from(r2.choice(20, 5, true))).toEqual([8, 7, 2, 17, 11]);
    expect(Array.from(createNumpyLegacyRandom(42).choice(12, 4, false))).toEqual([10, 9, 0, 8]);
  });

  it('gives the raw MT19937 outputs', () => {
    // np.random.RandomState(2).randint(0, 2**32, size=2, dtype=np.uint64)
    const r = createNumpyLegacyRandom(2);
    expect([r.nextUint32(), r.nextUint32()]).toEqual([1872583848, 794921487]);
    expect(() => createNumpyLegacyRandom(-1)).toThrow(/numpy seeds/);
  });

  it('replays uniform(size) and randint(2**31 - 1) as scikit-learn draws them (golden from numpy)', () => {
    const r = createNumpyLegacyRandom(1);
    expect(Array.from(r.uniform(5))).toEqual(NUMPY_LEGACY_GOLDEN.uniform1);
    expect(Array.from(r.randint(2 ** 31 - 1, 5))).toEqual(NUMPY_LEGACY_GOLDEN.randintMax1);
    expect(Array.from(createNumpyLegacyRandom(42).randint(2 ** 31 - 1, 3))).toEqual(
      NUMPY_LEGACY_GOLDEN.randintMax42,
    );
    expect(() => r.randint(2 ** 31 + 2, 1)).toThrow(/above 2\^31/);
  });
});
