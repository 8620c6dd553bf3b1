import { assertNever } from '../util/assert-never.js';
import type { FeatureKind, LastValue, RunningStats, Seen } from './feature-spec.js';
import { WindowedHyperLogLog } from './hyperloglog.js';
import { ringAdd, ringAddU32, ringSum, ringSumU32 } from './windowed-counter.js';

/**
 * The state of each spec kind inside an entity row (see `entity-table.ts`): its size in 8-byte
 * words, its initial value, and the operations on it. `i` is always the index, in Float64 words
 * of the chunk, of the state's first word; Uint32/Int32 parts use indexes 2i.. of the same bytes.
 */

/** One chunk of rows: the same bytes seen as Float64, Uint32 and Int32. @example chunk.f64[i] = -Infinity; chunk.u32[2 * i + 2]++; */
export interface RowChunk {
  readonly f64: Float64Array;
  readonly u32: Uint32Array;
  readonly i32: Int32Array;
}

/** One stored state (one state key) and its place in the rows of its namespace. @example const i = (row & CHUNK_MASK) * table.words + def.off; */
export interface StateDef {
  readonly id: number;
  readonly key: string;
  readonly kind: FeatureKind;
  /** Namespace index of the entity it belongs to. */
  readonly ns: number;
  /** Index among the namespace's states (or among cluster states for `cluster`). */
  readonly local: number;
  /** Offset in words within a row, and size in words (0 for `cluster`, kept outside rows). */
  readonly off: number;
  readonly words: number;
  /** Windowed kinds: buckets per window and bucket width (ms). */
  readonly buckets: number;
  readonly width: number;
  /** stats: half-life in ms (0: plain Welford). */
  readonly halfLife: number;
  /** hist: 24 or 7; neighbors: max. */
  readonly size: number;
  /** cluster: namespace index of each via node group (groups 1..). */
  readonly viaNs: readonly number[];
  /**
   * cluster: per node group (0: members, then via groups), the word of the group's namespace rows
   * that caches the entity's node in the union-find (node + 1, 0 when unknown), so that linking
   * needs no extra Map lookups.
   */
  readonly nodeOffs: readonly number[];
}

/** Inline distinct slots per row before an {@link ExactSet} is allocated. @example stateWords('distinct', 12, 0, 0); // 7 words: 4 hashes, 4 last-seen buckets, a mode flag */
export const DISTINCT_INLINE = 4;
/**
 * Word of a distinct state that says whether the row's values live outside the row (1) or in
 * its inline slots (0): reading it avoids touching the overflow array in the common case.
 */
const DISTINCT_FLAG = DISTINCT_INLINE / 2 + DISTINCT_INLINE;

/** Exact windowed distinct set of one row: hash → last-seen bucket. @example const set: ExactSet = { kind: 'set', hashes: [], lasts: [], newest: -Infinity }; */
export interface ExactSet {
  readonly kind: 'set';
  readonly hashes: number[];
  readonly lasts: number[];
  newest: number;
}
/** A row's distinct state once its inline slots overflow. @example if (big[row]?.kind === 'hll') big[row].sketch.estimate(lo, kc); */
export type DistinctOverflow = ExactSet | { readonly kind: 'hll'; readonly sketch: WindowedHyperLogLog };

/**
 * Words a state takes in a row.
 * @example stateWords('count', 12, 0, 0); // 7 (head + 12 Uint32 buckets)
 */
export function stateWords(kind: FeatureKind, buckets: number, size: number, halfLife: number): number {
  switch (kind) {
    case 'count':
      return 1 + Math.ceil(buckets / 2);
    case 'sum':
      return 1 + buckets;
    case 'stats':
      return halfLife > 0 ? 5 : 3;
    case 'distinct':
      return DISTINCT_FLAG + 1;
    case 'last':
    case 'first':
      return 1;
    case 'hist':
      return Math.ceil(size / 2);
    case 'neighbors':
      return size <= 0 ? 1 : size + Math.ceil(size / 2);
    case 'cluster':
      return 0;
    default:
      return assertNever(kind);
  }
}

/**
 * Writes a state's empty value (the chunk is zeroed already): newest bucket and last-seen times
 * -Infinity, first time +Infinity.
 * @example initState(def, chunk, rowBase + def.off);
 */
export function initState(def: StateDef, c: RowChunk, i: number): void {
  const f = c.f64;
  switch (def.kind) {
    case 'count':
    case 'sum':
    case 'last':
      f[i] = -Infinity;
      return;
    case 'distinct':
      f.fill(-Infinity, i + DISTINCT_INLINE / 2, i + DISTINCT_INLINE / 2 + DISTINCT_INLINE);
      return;
    case 'first':
      f[i] = Infinity;
      return;
    case 'neighbors':
      f.fill(-Infinity, i, i + Math.max(1, def.size));
      return;
    case 'stats':
    case 'hist':
    case 'cluster':
      return;
    default:
      assertNever(def.kind);
  }
}

/**
 * Counts an event in bucket k of a count state; false when k is older than the ring.
 * @example countAdd(chunk, i, 12, Math.floor(e.at / 300_000));
 */
export function countAdd(c: RowChunk, i: number, buckets: number, k: number): boolean {
  return ringAddU32(c.f64, i, c.u32, 2 * i + 2, buckets, k, 1);
}

/** Events of a count state in the window ending with bucket kc. @example countSum(chunk, i, 12, kc); */
export function countSum(c: RowChunk, i: number, buckets: number, kc: number): number {
  return ringSumU32(c.f64, i, c.u32, 2 * i + 2, buckets, kc);
}

/** Adds x to bucket k of a sum state; false when k is older than the ring. @example sumAdd(chunk, i, 12, k, 9.5); */
export function sumAdd(c: RowChunk, i: number, buckets: number, k: number, x: number): boolean {
  return ringAdd(c.f64, i, c.f64, i + 1, buckets, k, x);
}

/** Sum of a sum state in the window ending with bucket kc. @example sumSum(chunk, i, 12, kc); */
export function sumSum(c: RowChunk, i: number, buckets: number, kc: number): number {
  return ringSum(c.f64, i, c.f64, i + 1, buckets, kc);
}

/** Empty running statistics (shared, frozen). @example statsValue(f, i, 0) === EMPTY_STATS; // before any value */
export const EMPTY_STATS: RunningStats = Object.freeze({ n: 0, mean: 0, std: 0 });

/**
 * Running statistics. Plain: Welford's [n, mean, M2]. With a half-life: [n, W, mean, S, lastAt]
 * where W and S are the exponentially decayed weight sum and weighted M2 (weighted Welford); an
 * out-of-order value gets the weight it would have had (2^-(lastAt-t)/halfLife) instead of
 * decaying the newer state. `std` is the population standard deviation, √(M2/n) or √(S/W);
 * `n` counts the values folded in.
 * @example statsValue(chunk.f64, i, 0); // { n, mean, std }
 */
export function statsValue(f: Float64Array, i: number, halfLife: number): RunningStats {
  const n = f[i]!;
  if (n === 0) return EMPTY_STATS;
  if (halfLife > 0) {
    const w = f[i + 1]!;
    const v = w > 0 ? f[i + 3]! / w : 0;
    return { n, mean: f[i + 2]!, std: v > 0 ? Math.sqrt(v) : 0 };
  }
  const v = f[i + 2]! / n;
  return { n, mean: f[i + 1]!, std: v > 0 ? Math.sqrt(v) : 0 };
}

/** Folds value x seen at `at` into a stats state. @example statsAdd(chunk.f64, i, 0, 12.5, e.at); */
export function statsAdd(f: Float64Array, i: number, halfLife: number, x: number, at: number): void {
  const n = f[i]!;
  if (halfLife <= 0) {
    const n1 = n + 1;
    const mean = f[i + 1]!;
    const delta = x - mean;
    const mean1 = mean + delta / n1;
    f[i] = n1;
    f[i + 1] = mean1;
    f[i + 2] = f[i + 2]! + delta * (x - mean1);
    return;
  }
  if (n === 0) {
    f[i] = 1;
    f[i + 1] = 1;
    f[i + 2] = x;
    f[i + 3] = 0;
    f[i + 4] = at;
    return;
  }
  let weight = 1;
  let w = f[i + 1]!;
  let s = f[i + 3]!;
  const last = f[i + 4]!;
  if (at >= last) {
    const decay = 2 ** (-(at - last) / halfLife);
    w *= decay;
    s *= decay;
    f[i + 4] = at;
  } else weight = 2 ** (-(last - at) / halfLife);
  const w1 = w + weight;
  if (!(w1 > 0)) return; // both weights underflowed: the value carries no information
  const mean = f[i + 2]!;
  const delta = x - mean;
  const mean1 = mean + (delta * weight) / w1;
  f[i] = n + 1;
  f[i + 1] = w1;
  f[i + 2] = mean1;
  f[i + 3] = s + weight * delta * (x - mean1);
}

/**
 * Records value hash `h` seen in bucket k in a distinct state. Returns whether
 * `distinctCount(.., k)` now counts it: false when k is older than the held window (nothing
 * stored) or when the value is already recorded with a later bucket (an out-of-order event), so
 * that the caller adds the current event's own value. Modes, switched as the row grows:
 * - inline: up to {@link DISTINCT_INLINE} (hash, last-seen bucket) slots inside the row;
 * - exact set: up to `exactLimit` values, in an {@link ExactSet};
 * - HyperLogLog: beyond that, a {@link WindowedHyperLogLog} with one sketch per bucket; it returns
 *   to inline mode once all its buckets expire.
 * A value counts while its last-seen bucket is inside the window, so the exact modes follow the
 * counters' bucket semantics exactly (never an expired value, at most one bucket missed).
 * @example distinctAdd(chunk, i, big, row, 12, 64, 11, hashString32('u1'), k);
 */
export function distinctAdd(
  c: RowChunk,
  i: number,
  big: (DistinctOverflow | undefined)[],
  row: number,
  buckets: number,
  exactLimit: number,
  precision: number,
  h: number,
  k: number,
): boolean {
  const x = c.f64[i + DISTINCT_FLAG] === 0 ? undefined : big[row];
  if (x === undefined) {
    const hs = c.i32;
    const ks = c.f64;
    const h0 = 2 * i;
    const k0 = i + DISTINCT_INLINE / 2;
    let newest = k;
    for (let j = 0; j < DISTINCT_INLINE; j++) {
      const last = ks[k0 + j]!;
      if (last === -Infinity) continue;
      if (hs[h0 + j] === h) {
        if (k > last) ks[k0 + j] = k;
        return k >= last;
      }
      if (last > newest) newest = last;
    }
    if (k <= newest - buckets) return false;
    for (let j = 0; j < DISTINCT_INLINE; j++)
      if (ks[k0 + j]! <= newest - buckets) {
        hs[h0 + j] = h;
        ks[k0 + j] = k;
        return true;
      }
    const set: ExactSet = { kind: 'set', hashes: [], lasts: [], newest };
    for (let j = 0; j < DISTINCT_INLINE; j++) {
      set.hashes.push(hs[h0 + j]!);
      set.lasts.push(ks[k0 + j]!);
      hs[h0 + j] = 0;
      ks[k0 + j] = -Infinity;
    }
    big[row] = set;
    c.f64[i + DISTINCT_FLAG] = 1;
    return addToSet(big, row, set, buckets, exactLimit, precision, h, k);
  }
  if (x.kind === 'set') return addToSet(big, row, x, buckets, exactLimit, precision, h, k);
  if (k - x.sketch.head >= buckets) {
    big[row] = undefined;
    c.f64[i + DISTINCT_FLAG] = 0;
    return distinctAdd(c, i, big, row, buckets, exactLimit, precision, h, k);
  }
  return x.sketch.add(h, k);
}

function addToSet(
  big: (DistinctOverflow | undefined)[],
  row: number,
  set: ExactSet,
  buckets: number,
  exactLimit: number,
  precision: number,
  h: number,
  k: number,
): boolean {
  const i = set.hashes.indexOf(h);
  if (i >= 0) {
    const last = set.lasts[i]!;
    if (k > last) set.lasts[i] = k;
    if (k > set.newest) set.newest = k;
    return k >= last;
  }
  if (k <= set.newest - buckets) return false;
  if (k > set.newest) set.newest = k;
  if (set.hashes.length >= exactLimit) {
    const cut = set.newest - buckets;
    let j = 0;
    for (let m = 0; m < set.hashes.length; m++)
      if (set.lasts[m]! > cut) {
        set.hashes[j] = set.hashes[m]!;
        set.lasts[j] = set.lasts[m]!;
        j++;
      }
    set.hashes.length = j;
    set.lasts.length = j;
  }
  if (set.hashes.length < exactLimit) {
    set.hashes.push(h);
    set.lasts.push(k);
    return true;
  }
  const sketch = new WindowedHyperLogLog(buckets, precision);
  for (let m = 0; m < set.hashes.length; m++) sketch.add(set.hashes[m]!, set.lasts[m]!);
  big[row] = { kind: 'hll', sketch };
  return sketch.add(h, k);
}

/**
 * Distinct values of a distinct state in the window ending with bucket kc: those whose last-seen
 * bucket is in kc-B+1 .. kc (estimated in HyperLogLog mode). For an out-of-order event, a value
 * seen both inside its window and later counts as later only: an undercount, never an expired
 * value.
 * @example distinctCount(chunk, i, big, row, 12, kc);
 */
export function distinctCount(
  c: RowChunk,
  i: number,
  big: readonly (DistinctOverflow | undefined)[] | undefined,
  row: number,
  buckets: number,
  kc: number,
): number {
  const lo = kc - buckets + 1;
  const x = c.f64[i + DISTINCT_FLAG] === 0 ? undefined : big?.[row];
  if (x === undefined) {
    const ks = c.f64;
    const k0 = i + DISTINCT_INLINE / 2;
    let n = 0;
    for (let j = 0; j < DISTINCT_INLINE; j++) {
      const last = ks[k0 + j]!;
      if (last >= lo && last <= kc) n++;
    }
    return n;
  }
  if (x.kind === 'set') {
    let n = 0;
    for (const last of x.lasts) if (last >= lo && last <= kc) n++;
    return n;
  }
  return Math.round(x.sketch.estimate(lo, kc));
}

/** The last value of a last state with its time, or undefined. @example lastGet(chunk.f64, i, values, row); */
export function lastGet(
  f: Float64Array,
  i: number,
  values: readonly (LastValue | undefined)[] | undefined,
  row: number,
): Seen<LastValue> | undefined {
  const at = f[i]!;
  if (at === -Infinity) return undefined; // never set: skip the values array
  const value = values?.[row];
  return value === undefined ? undefined : { value, at };
}

/** Remembers a value unless a newer one is stored. @example lastSet(chunk.f64, i, values, row, '1.2.3.4', e.at); */
export function lastSet(
  f: Float64Array,
  i: number,
  values: (LastValue | undefined)[],
  row: number,
  value: LastValue,
  at: number,
): void {
  if (at < f[i]!) return;
  f[i] = at;
  values[row] = value;
}

/** First-seen time of a first state, or undefined. @example firstGet(chunk.f64, i); */
export function firstGet(f: Float64Array, i: number): number | undefined {
  const t = f[i]!;
  return t === Infinity ? undefined : t;
}

/** Copies a hist state's counters into `out` (reused) and returns it. @example histCopy(chunk.u32, i, 24, out); */
export function histCopy(u: Uint32Array, i: number, size: number, out: number[]): number[] {
  const at = 2 * i;
  for (let j = 0; j < size; j++) out[j] = u[at + j]!;
  return out;
}

/**
 * Adds a value seen at `at` to a neighbors state: newest first (equal times: the latest sighting
 * first), at most `max`, each value once with its newest time (an out-of-order event lands at its
 * place; one older than a full list is ignored). The row holds each entry's time (Float64 words i..i+max-1) and value hash (Int32 from
 * word i+max), so finding a value compares hashes and touches a stored string only on a match.
 * Lists are copy-on-write: a changed list is a new array, so a list handed out as a feature value
 * never changes afterwards, and the common case (the newest value seen again) allocates nothing.
 * @example neighborsAdd(chunk, i, 16, lists, row, 'dev-1', hashString32('dev-1'), e.at);
 */
export function neighborsAdd(
  c: RowChunk,
  i: number,
  max: number,
  lists: (readonly string[] | undefined)[],
  row: number,
  v: string,
  h: number,
  at: number,
): void {
  if (max <= 0) return;
  const t = c.f64;
  const hs = c.i32;
  const h0 = 2 * (i + max);
  const old = lists[row];
  if (old === undefined) {
    lists[row] = [v];
    t[i] = at;
    hs[h0] = h;
    return;
  }
  const n = old.length;
  let found = -1;
  for (let j = 0; j < n; j++)
    if (hs[h0 + j] === h && old[j] === v) {
      found = j;
      break;
    }
  if (found === 0) {
    if (at > t[i]!) t[i] = at;
    return;
  }
  if (found > 0 && at < t[i + found]!) return;
  if (found < 0 && n >= max && at < t[i + n - 1]!) return;
  // Position among the others (the entry at `found` excluded), then rebuild list, times, hashes.
  const list: string[] = [];
  let p = -1;
  for (let j = 0; j < n; j++) {
    if (j === found) continue;
    if (p < 0 && !(t[i + j]! > at)) {
      p = list.length;
      list.push(v);
    }
    list.push(old[j]!);
  }
  if (p < 0) {
    p = list.length;
    list.push(v);
  }
  if (list.length > max) list.length = max;
  // Shift the old times and hashes around the removed and inserted positions.
  if (found < 0) {
    for (let j = Math.min(n, max - 1); j > p; j--) {
      t[i + j] = t[i + j - 1]!;
      hs[h0 + j] = hs[h0 + j - 1]!;
    }
  } else if (found > p) {
    for (let j = found; j > p; j--) {
      t[i + j] = t[i + j - 1]!;
      hs[h0 + j] = hs[h0 + j - 1]!;
    }
  } else {
    for (let j = found; j < p; j++) {
      t[i + j] = t[i + j + 1]!;
      hs[h0 + j] = hs[h0 + j + 1]!;
    }
  }
  t[i + p] = at;
  hs[h0 + p] = h;
  lists[row] = list;
}
