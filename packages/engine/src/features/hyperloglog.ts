/** Smallest supported HyperLogLog precision (registers = 2^precision). @example new HyperLogLog(HLL_MIN_PRECISION); */
export const HLL_MIN_PRECISION = 4;
/** Largest supported HyperLogLog precision. @example new HyperLogLog(HLL_MAX_PRECISION); // 64 KiB of registers */
export const HLL_MAX_PRECISION = 16;

/**
 * Register index of a 32-bit hash: its top `precision` bits.
 * @example hllIndex(0x80000000 | 0, 4); // 8
 */
export function hllIndex(hash: number, precision: number): number {
  return hash >>> (32 - precision);
}

/**
 * Rank of a 32-bit hash: 1 + the number of leading zeros of the bits below the index, at most
 * `33 - precision` (all remaining bits zero).
 * @example hllRank(0x00200000, 10); // 1 (bit 21 is the first bit below the index)
 */
export function hllRank(hash: number, precision: number): number {
  const rest = hash << precision;
  const max = 33 - precision;
  if (rest === 0) return max;
  const r = Math.clz32(rest) + 1;
  return r < max ? r : max;
}

/**
 * HyperLogLog cardinality estimate from `Σ 2^-register` and the number of zero registers, with
 * the linear-counting correction for small cardinalities (Flajolet et al. 2007). Hashes are 32
 * bits, so estimates stay accurate up to about 10⁸ distinct values.
 * @example hllEstimate(16, 16, 16); // 0 (empty sketch)
 */
export function hllEstimate(sumInv: number, zeros: number, m: number): number {
  const alpha = m >= 128 ? 0.7213 / (1 + 1.079 / m) : m >= 64 ? 0.709 : m >= 32 ? 0.697 : 0.673;
  const e = (alpha * m * m) / sumInv;
  if (e <= 2.5 * m && zeros > 0) return m * Math.log(m / zeros);
  return e;
}

function checkPrecision(p: number): void {
  if (!Number.isInteger(p) || p < HLL_MIN_PRECISION || p > HLL_MAX_PRECISION)
    throw new Error(
      `HyperLogLog precision must be an integer in [${HLL_MIN_PRECISION}, ${HLL_MAX_PRECISION}], got ${p}`,
    );
}

/**
 * A plain HyperLogLog sketch over 32-bit hashes: 2^precision one-byte registers, standard error
 * about 1.04/√(2^precision) (1.6% at the default precision 12).
 * @example
 * const h = new HyperLogLog(12);
 * for (const id of ids) h.add(hashString32(id));
 * h.estimate(); // ≈ number of distinct ids
 */
export class HyperLogLog {
  readonly registers: Uint8Array;
  readonly precision: number;

  constructor(precision = 12) {
    checkPrecision(precision);
    this.precision = precision;
    this.registers = new Uint8Array(1 << precision);
  }

  /** Adds a 32-bit hash; returns whether a register changed. */
  add(hash: number): boolean {
    const i = hllIndex(hash, this.precision);
    const r = hllRank(hash, this.precision);
    if (r <= this.registers[i]!) return false;
    this.registers[i] = r;
    return true;
  }

  /** Registers become the union of both sketches (same precision required). */
  merge(other: HyperLogLog): void {
    if (other.precision !== this.precision) throw new Error('HyperLogLog precisions differ');
    const a = this.registers;
    const b = other.registers;
    for (let i = 0; i < a.length; i++) if (b[i]! > a[i]!) a[i] = b[i]!;
  }

  /** Estimated number of distinct hashes added. */
  estimate(): number {
    let sum = 0;
    let zeros = 0;
    for (const r of this.registers) {
      sum += 2 ** -r;
      if (r === 0) zeros++;
    }
    return hllEstimate(sum, zeros, this.registers.length);
  }
}

/**
 * HyperLogLog over a sliding window: one sketch per time bucket in a ring of `buckets` (the same
 * buckets as the windowed counters), so a window's estimate is the union (register-wise max) of
 * the buckets inside it and expired buckets never contribute. The union of the last range asked
 * for is cached with its `Σ 2^-register` and kept up to date in O(1) per add; it is rebuilt
 * (buckets × 2^precision steps) only when the range moves, i.e. at most once per bucket width
 * for in-order events.
 * @example
 * const w = new WindowedHyperLogLog(12, 11);
 * w.add(hashString32('u1'), 100);
 * w.estimate(89, 100); // ≈ 1 (buckets 89..100)
 */
export class WindowedHyperLogLog {
  readonly buckets: number;
  readonly precision: number;
  /** Ring of sketches: bucket k lives at `(k mod buckets) << precision`. */
  readonly registers: Uint8Array;
  /** Newest bucket index written (-Infinity when empty). */
  head = -Infinity;
  private readonly union: Uint8Array;
  /** Bucket range of the cached union, when `cached`. */
  private cached = false;
  private unionLo = 0;
  private unionHi = 0;
  private sumInv = 0;
  private zeros = 0;

  constructor(buckets: number, precision: number) {
    checkPrecision(precision);
    if (!Number.isInteger(buckets) || buckets < 1) throw new Error('buckets must be a positive integer');
    this.buckets = buckets;
    this.precision = precision;
    this.registers = new Uint8Array(buckets << precision);
    this.union = new Uint8Array(1 << precision);
  }

  /** Bytes held by the typed arrays of this sketch. */
  byteSize(): number {
    return this.registers.byteLength + this.union.byteLength;
  }

  /**
   * Adds a hash seen in bucket `k`. Returns false (and ignores it) when `k` is older than every
   * bucket the ring still holds; a newer `k` clears the buckets it overtakes.
   */
  add(hash: number, k: number): boolean {
    const B = this.buckets;
    const p = this.precision;
    if (k > this.head) {
      if (k - this.head >= B) this.registers.fill(0);
      else {
        let s = ringIndex(this.head + 1, B);
        for (let j = this.head + 1; j <= k; j++) {
          this.registers.fill(0, s << p, (s + 1) << p);
          if (++s === B) s = 0;
        }
      }
      // The cached union stays exact if none of its buckets was dropped; the new buckets are empty.
      if (this.unionLo <= k - B) this.cached = false;
      else if (this.unionHi === this.head) this.unionHi = k;
      this.head = k;
    } else if (k <= this.head - B) return false;
    const i = hllIndex(hash, p);
    const r = hllRank(hash, p);
    const at = (ringIndex(k, B) << p) + i;
    if (r > this.registers[at]!) this.registers[at] = r;
    if (this.cached && k >= this.unionLo && k <= this.unionHi) {
      const u = this.union[i]!;
      if (r > u) {
        this.union[i] = r;
        this.sumInv += 2 ** -r - 2 ** -u;
        if (u === 0) this.zeros--;
      }
    }
    return true;
  }

  /** Estimated distinct hashes in the held buckets lo .. hi. */
  estimate(lo: number, hi: number): number {
    const B = this.buckets;
    const p = this.precision;
    const m = 1 << p;
    const from = lo > this.head - B + 1 ? lo : this.head - B + 1;
    const to = hi < this.head ? hi : this.head;
    if (this.head === -Infinity || !(from <= to)) return 0;
    if (!this.cached || from !== this.unionLo || to !== this.unionHi) {
      const u = this.union;
      u.fill(0);
      let s = ringIndex(from, B);
      for (let j = from; j <= to; j++) {
        const base = s << p;
        for (let i = 0; i < m; i++) {
          const r = this.registers[base + i]!;
          if (r > u[i]!) u[i] = r;
        }
        if (++s === B) s = 0;
      }
      let sum = 0;
      let zeros = 0;
      for (let i = 0; i < m; i++) {
        const r = u[i]!;
        sum += 2 ** -r;
        if (r === 0) zeros++;
      }
      this.sumInv = sum;
      this.zeros = zeros;
      this.unionLo = from;
      this.unionHi = to;
      this.cached = true;
    }
    return hllEstimate(this.sumInv, this.zeros, m);
  }
}

function ringIndex(k: number, buckets: number): number {
  return k - Math.floor(k / buckets) * buckets; // floor modulo without the slow double %
}
