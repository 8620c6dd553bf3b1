/**
 * A port of the parts of numpy's legacy `np.random` (RandomState over MT19937) that ADBench's
 * data generator, scikit-learn's `train_test_split` and scikit-learn's IsolationForest use,
 * bit-for-bit: `np.random.seed(int)` / `RandomState(int)`, `randint(0, n, size)` (masked
 * rejection sampling on 32-bit draws), `random_sample` / `uniform(size)` (53-bit doubles from two
 * 32-bit draws), `shuffle` / `permutation` (Fisher–Yates from the end with `random_interval`) and
 * `choice` with and without replacement. With it the evaluation draws the very rows ADBench drew
 * for seeds 1, 2, 3, and sklearn-isolation-forest.ts grows the very trees scikit-learn grows.
 */

const N = 624;
const M = 397;

/** numpy's legacy RandomState (MT19937) for the calls listed in the module comment. */
export interface NumpyLegacyRandom {
  /** genrand_int32: the next 32-bit output of the Mersenne Twister. */
  nextUint32(): number;
  /** `random_sample()`: a double in [0, 1) with 53 random bits (`(a >> 5) * 2^26 + (b >> 6)) / 2^53`). */
  randomSample(): number;
  /** `uniform(size=size)` on [0, 1): `size` calls of {@link NumpyLegacyRandom.randomSample}. */
  uniform(size: number): Float64Array;
  /** numpy `random_interval(max)`: uniform integer in [0, max]. */
  interval(max: number): number;
  /** `np.random.randint(0, n, size)`. */
  randint(n: number, size: number): Int32Array;
  /** In-place `np.random.shuffle` of a 1-d array. */
  shuffle(a: Int32Array): void;
  /** `np.random.permutation(n)`. */
  permutation(n: number): Int32Array;
  /** `np.random.choice(n, size, replace)` (indices into 0..n-1, uniform probabilities). */
  choice(n: number, size: number, replace: boolean): Int32Array;
}

/**
 * `np.random.seed(seed)` followed by the calls of {@link NumpyLegacyRandom}.
 * @example
 * const rng = createNumpyLegacyRandom(1);
 * rng.permutation(5); // same as np.random.seed(1); np.random.permutation(5)
 */
export function createNumpyLegacyRandom(seed: number): NumpyLegacyRandom {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new Error('numpy seeds are integers in [0, 2^32 - 1]');
  }
  const mt = new Uint32Array(N);
  mt[0] = seed >>> 0;
  for (let i = 1; i < N; i++) {
    const prev = mt[i - 1]!;
    mt[i] = (Math.imul(1812433253, prev ^ (prev >>> 30)) + i) >>> 0;
  }
  let pos = N;

  const twist = (): void => {
    for (let i = 0; i < N; i++) {
      const y = (mt[i]! & 0x80000000) | (mt[(i + 1) % N]! & 0x7fffffff);
      let v = mt[(i + M) % N]! ^ (y >>> 1);
      if ((y & 1) !== 0) v ^= 0x9908b0df;
      mt[i] = v >>> 0;
    }
    pos = 0;
  };

  const nextUint32 = (): number => {
    if (pos >= N) twist();
    let y = mt[pos++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  };

  const maskFor = (max: number): number => {
    let mask = max;
    mask |= mask >>> 1;
    mask |= mask >>> 2;
    mask |= mask >>> 4;
    mask |= mask >>> 8;
    mask |= mask >>> 16;
    return mask >>> 0;
  };

  const interval = (max: number): number => {
    if (max === 0) return 0;
    if (max > 0xffffffff) throw new Error('interval: ranges above 2^32 are not ported');
    const mask = maskFor(max);
    let v: number;
    do v = (nextUint32() & mask) >>> 0;
    while (v > max);
    return v;
  };

  const shuffle = (a: Int32Array): void => {
    for (let i = a.length - 1; i >= 1; i--) {
      const j = interval(i);
      const t = a[j]!;
      a[j] = a[i]!;
      a[i] = t;
    }
  };

  const permutation = (n: number): Int32Array => {
    const a = Int32Array.from({ length: n }, (_, i) => i);
    shuffle(a);
    return a;
  };

  const randint = (n: number, size: number): Int32Array => {
    const out = new Int32Array(size);
    const rng = n - 1;
    if (rng <= 0) return out;
    if (rng > 0x7fffffff) throw new Error('randint: ranges above 2^31 are not ported (results are Int32)');
    const mask = maskFor(rng);
    for (let i = 0; i < size; i++) {
      let v: number;
      do v = (nextUint32() & mask) >>> 0;
      while (v > rng);
      out[i] = v;
    }
    return out;
  };

  const randomSample = (): number => {
    const a = nextUint32() >>> 5;
    const b = nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  };

  return {
    nextUint32,
    randomSample,
    uniform: (size) => Float64Array.from({ length: size }, randomSample),
    interval,
    randint,
    shuffle,
    permutation,
    choice(n, size, replace) {
      if (replace) return randint(n, size);
      if (size > n)
        throw new Error('choice: cannot take a larger sample than population without replacement');
      return permutation(n).slice(0, size);
    },
  };
}
