/**
 * Bucketed sliding windows.
 *
 * A window of W ms is cut into B buckets of width w = W / B (B divides W, so bucket edges fall on
 * multiples of w). An event at time t lives in bucket k = floor(t / w). For an event at `now`
 * (bucket kc) the window value sums the buckets kc-B+1 .. kc: every one of them starts after
 * now - W, so an expired event is never counted, and only the part of bucket kc-B inside the
 * window is missed (the value may undercount by at most one bucket).
 *
 * Each state keeps a ring of B buckets and `head`, the newest bucket written. A newer event
 * clears the buckets it overtakes. An out-of-order event still inside the ring updates its own
 * bucket; one older than the ring (k <= head - B) is not stored. A read for an out-of-order event
 * sums the buckets of its own window that the ring still holds (kc-B+1 .. kc, from head-B+1 on):
 * it may undercount by more than a bucket, and it may include events of its own bucket kc that
 * arrived before it with a slightly later time; it never sees events of later buckets. Clock skew
 * is harmless: a far-future event empties the ring, and events before it are then too old to
 * store (each is answered as if alone in its window) until real time catches up.
 */

/** Bucket layout of one window. @example const { buckets, width }: WindowLayout = windowLayout(HOUR, 12); */
export interface WindowLayout {
  /** Buckets per window (B). */
  readonly buckets: number;
  /** Bucket width in ms (w); buckets × width === window. */
  readonly width: number;
}

/**
 * The layout of a window: the largest bucket count <= target that divides the window exactly.
 * Throws on a window that is not a positive integer number of ms (a programming error in a spec).
 * @example windowLayout(3_600_000, 12); // { buckets: 12, width: 300_000 }
 */
export function windowLayout(window: number, target: number): WindowLayout {
  if (!Number.isSafeInteger(window) || window <= 0)
    throw new Error(`feature window must be a positive integer of milliseconds, got ${window}`);
  for (let b = Math.max(1, Math.floor(target)); b > 1; b--)
    if (window % b === 0) return { buckets: b, width: window / b };
  return { buckets: 1, width: window };
}

/**
 * Index of a bucket in its ring (also for negative bucket numbers).
 * @example ringSlot(-1, 12); // 11
 */
export function ringSlot(k: number, buckets: number): number {
  // Floor division instead of %: bucket numbers are doubles beyond int32, and % on doubles is a
  // slow library call. Exact for integer k below 2^53.
  return k - Math.floor(k / buckets) * buckets;
}

/**
 * Adds `x` to bucket `k` of the ring stored at `ring[at .. at+buckets)` whose newest bucket is
 * `head[hi]`. Returns false when `k` is older than the ring and nothing was stored.
 * @example ringAdd(head, 0, ring, 0, 12, Math.floor(e.at / 300_000), 1);
 */
export function ringAdd(
  head: Float64Array,
  hi: number,
  ring: Float64Array,
  at: number,
  buckets: number,
  k: number,
  x: number,
): boolean {
  const h = head[hi]!;
  if (k > h) {
    if (k - h >= buckets) ring.fill(0, at, at + buckets);
    else {
      // One modulo per call: bucket numbers are large doubles, and % on them is slow.
      let s = ringSlot(h + 1, buckets);
      for (let j = h + 1; j <= k; j++) {
        ring[at + s] = 0;
        if (++s === buckets) s = 0;
      }
    }
    head[hi] = k;
  } else if (k <= h - buckets) return false;
  ring[at + ringSlot(k, buckets)]! += x;
  return true;
}

/**
 * Sum of the held buckets of the window ending with bucket `kc` (see the module comment).
 * @example ringSum(head, 0, ring, 0, 12, Math.floor(e.at / 300_000));
 */
export function ringSum(
  head: Float64Array,
  hi: number,
  ring: Float64Array,
  at: number,
  buckets: number,
  kc: number,
): number {
  const h = head[hi]!;
  const from = kc > h ? kc - buckets + 1 : h - buckets + 1;
  const to = kc < h ? kc : h;
  let sum = 0;
  let s = ringSlot(from, buckets);
  for (let j = from; j <= to; j++) {
    sum += ring[at + s]!;
    if (++s === buckets) s = 0;
  }
  return sum;
}

/**
 * {@link ringAdd} for a ring of Uint32 counters (a separate copy keeps each monomorphic: the hot
 * path must not mix typed-array kinds at one access site).
 * @example ringAddU32(head, 0, counts, 0, 12, Math.floor(e.at / 300_000), 1);
 */
export function ringAddU32(
  head: Float64Array,
  hi: number,
  ring: Uint32Array,
  at: number,
  buckets: number,
  k: number,
  x: number,
): boolean {
  const h = head[hi]!;
  if (k > h) {
    if (k - h >= buckets) ring.fill(0, at, at + buckets);
    else {
      // One modulo per call: bucket numbers are large doubles, and % on them is slow.
      let s = ringSlot(h + 1, buckets);
      for (let j = h + 1; j <= k; j++) {
        ring[at + s] = 0;
        if (++s === buckets) s = 0;
      }
    }
    head[hi] = k;
  } else if (k <= h - buckets) return false;
  ring[at + ringSlot(k, buckets)]! += x;
  return true;
}

/**
 * {@link ringSum} for a ring of Uint32 counters.
 * @example ringSumU32(head, 0, counts, 0, 12, Math.floor(e.at / 300_000));
 */
export function ringSumU32(
  head: Float64Array,
  hi: number,
  ring: Uint32Array,
  at: number,
  buckets: number,
  kc: number,
): number {
  const h = head[hi]!;
  const from = kc > h ? kc - buckets + 1 : h - buckets + 1;
  const to = kc < h ? kc : h;
  let sum = 0;
  let s = ringSlot(from, buckets);
  for (let j = from; j <= to; j++) {
    sum += ring[at + s]!;
    if (++s === buckets) s = 0;
  }
  return sum;
}
