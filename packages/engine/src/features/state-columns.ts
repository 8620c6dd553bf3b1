import type { Geo } from '../events/event.js';
import type { LastValue, RunningStats, Seen } from './feature-spec.js';
import { WindowedHyperLogLog } from './hyperloglog.js';
import { corruptSnapshot, type ByteReader, type ByteWriter } from './snapshot-codec.js';
import { stringBytes } from './union-find.js';
import { ringAdd, ringSum } from './windowed-counter.js';

/**
 * Column storage for feature state. Every (app, namespace) table numbers its entities with rows;
 * each state key is one column holding that state for every row in flat typed arrays ("planes"),
 * so an entity costs a few bytes per spec and no object per bucket. Planes are cut into chunks of
 * 1024 rows: growing a table never copies more than one chunk (no latency spike at a million
 * entities) and wastes at most one partly used chunk per column. The first chunk grows by
 * doubling so that small tables stay small.
 */

/** Rows per chunk = 2^CHUNK_SHIFT. */
export const CHUNK_SHIFT = 10;
export const CHUNK_ROWS = 1 << CHUNK_SHIFT;
export const CHUNK_MASK = CHUNK_ROWS - 1;
/** Estimated bytes of a typed array's JS objects (view + ArrayBuffer) besides its data. */
export const TYPED_ARRAY_OVERHEAD = 120;

type Typed = Float64Array | Uint32Array | Int32Array;

/**
 * Row capacity after `capacity` when a table is full.
 * @example nextCapacity(0); // 16
 */
export function nextCapacity(capacity: number): number {
  if (capacity < 16) return 16;
  return capacity < CHUNK_ROWS ? capacity * 2 : capacity + CHUNK_ROWS;
}

/**
 * Fixed-width numeric state per row, chunked (see the module comment).
 * @example const p = new Plane(Float64Array, 1, -Infinity); p.ensure(16); p.chunks[0]![3];
 */
export class Plane<T extends Typed> {
  readonly chunks: T[] = [];

  constructor(
    private readonly make: new (length: number) => T,
    readonly width: number,
    readonly fill: number,
  ) {}

  /** Makes room for rows 0 .. capacity-1 (new rows hold the fill value). */
  ensure(capacity: number): void {
    const w = this.width;
    const first = this.chunks[0];
    const have = first === undefined ? 0 : first.length / w;
    if (have < CHUNK_ROWS && have < capacity) {
      const rows = Math.min(capacity, CHUNK_ROWS);
      const next = new this.make(rows * w);
      if (first !== undefined) next.set(first);
      if (this.fill !== 0) next.fill(this.fill, have * w);
      this.chunks[0] = next;
    }
    const need = Math.ceil(capacity / CHUNK_ROWS);
    while (this.chunks.length < need) {
      const c = new this.make(CHUNK_ROWS * w);
      if (this.fill !== 0) c.fill(this.fill);
      this.chunks.push(c);
    }
  }

  /** Resets a row to the fill value. */
  clear(row: number): void {
    const at = (row & CHUNK_MASK) * this.width;
    this.chunks[row >>> CHUNK_SHIFT]!.fill(this.fill, at, at + this.width);
  }

  bytes(): number {
    let b = 0;
    for (const c of this.chunks) b += c.byteLength + TYPED_ARRAY_OVERHEAD;
    return b;
  }

  /** Writes rows 0 .. rows-1. */
  write(w: ByteWriter, rows: number): void {
    for (let c = 0; c * CHUNK_ROWS < rows; c++)
      w.raw(this.chunks[c]!, Math.min(rows - c * CHUNK_ROWS, CHUNK_ROWS) * this.width);
  }

  /** Reads rows 0 .. rows-1 (capacity must already be ensured). */
  read(r: ByteReader, rows: number): void {
    for (let c = 0; c * CHUNK_ROWS < rows; c++)
      r.raw(this.chunks[c]!, Math.min(rows - c * CHUNK_ROWS, CHUNK_ROWS) * this.width);
  }
}

/** A JS array with one entry per row (for values that are not numbers). */
function ensureSide<T>(a: (T | undefined)[], capacity: number): void {
  while (a.length < capacity) a.push(undefined);
}

function sideBytes(a: readonly unknown[]): number {
  return 32 + 16 + a.length * 8;
}

/** Windowed event count: a ring of Uint32 buckets and the newest bucket per row. */
export class CountColumn {
  readonly kind = 'count';
  readonly head = new Plane(Float64Array, 1, -Infinity);
  readonly ring: Plane<Uint32Array>;

  constructor(readonly buckets: number) {
    this.ring = new Plane(Uint32Array, buckets, 0);
  }

  ensure(capacity: number): void {
    this.head.ensure(capacity);
    this.ring.ensure(capacity);
  }

  clear(row: number): void {
    this.head.clear(row);
    this.ring.clear(row);
  }

  /** Counts an event in bucket k; false when it is older than the ring (not stored). */
  add(row: number, k: number): boolean {
    const c = row >>> CHUNK_SHIFT;
    const r = row & CHUNK_MASK;
    const B = this.buckets;
    return ringAdd(this.head.chunks[c]!, r, this.ring.chunks[c]!, r * B, B, k, 1);
  }

  /** Events in the held buckets from lo on. */
  sum(row: number, lo: number): number {
    const c = row >>> CHUNK_SHIFT;
    const r = row & CHUNK_MASK;
    const B = this.buckets;
    return ringSum(this.head.chunks[c]!, r, this.ring.chunks[c]!, r * B, B, lo);
  }

  bytes(): number {
    return this.head.bytes() + this.ring.bytes();
  }

  save(w: ByteWriter, rows: number): void {
    this.head.write(w, rows);
    this.ring.write(w, rows);
  }

  load(r: ByteReader, rows: number): void {
    this.head.read(r, rows);
    this.ring.read(r, rows);
  }
}

/** Windowed sum: a ring of Float64 buckets and the newest bucket per row. */
export class SumColumn {
  readonly kind = 'sum';
  readonly head = new Plane(Float64Array, 1, -Infinity);
  readonly ring: Plane<Float64Array>;

  constructor(readonly buckets: number) {
    this.ring = new Plane(Float64Array, buckets, 0);
  }

  ensure(capacity: number): void {
    this.head.ensure(capacity);
    this.ring.ensure(capacity);
  }

  clear(row: number): void {
    this.head.clear(row);
    this.ring.clear(row);
  }

  /** Adds x to bucket k; false when k is older than the ring (not stored). */
  add(row: number, k: number, x: number): boolean {
    const c = row >>> CHUNK_SHIFT;
    const r = row & CHUNK_MASK;
    const B = this.buckets;
    return ringAdd(this.head.chunks[c]!, r, this.ring.chunks[c]!, r * B, B, k, x);
  }

  sum(row: number, lo: number): number {
    const c = row >>> CHUNK_SHIFT;
    const r = row & CHUNK_MASK;
    const B = this.buckets;
    return ringSum(this.head.chunks[c]!, r, this.ring.chunks[c]!, r * B, B, lo);
  }

  bytes(): number {
    return this.head.bytes() + this.ring.bytes();
  }

  save(w: ByteWriter, rows: number): void {
    this.head.write(w, rows);
    this.ring.write(w, rows);
  }

  load(r: ByteReader, rows: number): void {
    this.head.read(r, rows);
    this.ring.read(r, rows);
  }
}

/** Empty running statistics (shared, frozen). */
export const EMPTY_STATS: RunningStats = Object.freeze({ n: 0, mean: 0, std: 0 });

/**
 * Running statistics per row. Plain: Welford's [n, mean, M2]. With a half-life: [n, W, mean, S,
 * lastAt] where W and S are the exponentially decayed weight sum and weighted M2 (weighted
 * Welford); an out-of-order value gets the weight it would have had (2^-(lastAt-t)/halfLife)
 * instead of decaying the newer state. `std` is the population standard deviation (√(M2/n), or
 * √(S/W) when decayed); `n` counts the values folded in.
 */
export class StatsColumn {
  readonly kind = 'stats';
  readonly data: Plane<Float64Array>;

  constructor(readonly halfLife: number) {
    this.data = new Plane(Float64Array, halfLife > 0 ? 5 : 3, 0);
  }

  ensure(capacity: number): void {
    this.data.ensure(capacity);
  }

  clear(row: number): void {
    this.data.clear(row);
  }

  value(row: number): RunningStats {
    const d = this.data.chunks[row >>> CHUNK_SHIFT]!;
    const i = (row & CHUNK_MASK) * this.data.width;
    const n = d[i]!;
    if (n === 0) return EMPTY_STATS;
    if (this.halfLife > 0) {
      const w = d[i + 1]!;
      const v = w > 0 ? d[i + 3]! / w : 0;
      return { n, mean: d[i + 2]!, std: v > 0 ? Math.sqrt(v) : 0 };
    }
    const v = d[i + 2]! / n;
    return { n, mean: d[i + 1]!, std: v > 0 ? Math.sqrt(v) : 0 };
  }

  add(row: number, x: number, at: number): void {
    const d = this.data.chunks[row >>> CHUNK_SHIFT]!;
    const i = (row & CHUNK_MASK) * this.data.width;
    const n = d[i]!;
    if (this.halfLife <= 0) {
      const n1 = n + 1;
      const delta = x - d[i + 1]!;
      const mean = d[i + 1]! + delta / n1;
      d[i] = n1;
      d[i + 1] = mean;
      d[i + 2] = d[i + 2]! + delta * (x - mean);
      return;
    }
    if (n === 0) {
      d[i] = 1;
      d[i + 1] = 1;
      d[i + 2] = x;
      d[i + 3] = 0;
      d[i + 4] = at;
      return;
    }
    let weight = 1;
    let w = d[i + 1]!;
    let s = d[i + 3]!;
    const last = d[i + 4]!;
    if (at >= last) {
      const decay = 2 ** (-(at - last) / this.halfLife);
      w *= decay;
      s *= decay;
      d[i + 4] = at;
    } else weight = 2 ** (-(last - at) / this.halfLife);
    const w1 = w + weight;
    if (!(w1 > 0)) return; // both weights underflowed: the value carries no information
    const mean = d[i + 2]!;
    const delta = x - mean;
    const mean1 = mean + (delta * weight) / w1;
    d[i] = n + 1;
    d[i + 1] = w1;
    d[i + 2] = mean1;
    d[i + 3] = s + weight * delta * (x - mean1);
  }

  bytes(): number {
    return this.data.bytes();
  }

  save(w: ByteWriter, rows: number): void {
    this.data.write(w, rows);
  }

  load(r: ByteReader, rows: number): void {
    this.data.read(r, rows);
  }
}

/** Exact windowed distinct set of one row once the inline slots overflow: hash → last bucket. */
export class ExactSet {
  readonly hashes: number[] = [];
  readonly lasts: number[] = [];
  newest = -Infinity;
}

/**
 * Windowed distinct count per row, in three modes:
 * - inline: up to INLINE values in the row's own slots (hash, last-seen bucket), no allocation;
 * - exact set: up to `exactLimit` values in the window, in an {@link ExactSet};
 * - HyperLogLog: beyond that, a {@link WindowedHyperLogLog} with one sketch per bucket
 *   (standard error ≈ 1.04/√2^precision); it returns to inline mode once all its buckets expire.
 * A value counts while its last-seen bucket is inside the window, so the exact modes have the
 * same bucket semantics as the counters (never an expired value, at most one bucket missed).
 */
export class DistinctColumn {
  static readonly INLINE = 4;
  readonly kind = 'distinct';
  readonly hashes = new Plane(Int32Array, DistinctColumn.INLINE, 0);
  readonly lasts = new Plane(Float64Array, DistinctColumn.INLINE, -Infinity);
  readonly big: (ExactSet | WindowedHyperLogLog | undefined)[] = [];

  constructor(
    readonly buckets: number,
    readonly exactLimit: number,
    readonly precision: number,
  ) {}

  ensure(capacity: number): void {
    this.hashes.ensure(capacity);
    this.lasts.ensure(capacity);
    ensureSide(this.big, capacity);
  }

  clear(row: number): void {
    this.hashes.clear(row);
    this.lasts.clear(row);
    this.big[row] = undefined;
  }

  /** Records value `h` seen in bucket k; false when k is older than the held window (not stored). */
  add(row: number, h: number, k: number): boolean {
    const B = this.buckets;
    const big = this.big[row];
    if (big === undefined) {
      const hs = this.hashes.chunks[row >>> CHUNK_SHIFT]!;
      const ks = this.lasts.chunks[row >>> CHUNK_SHIFT]!;
      const at = (row & CHUNK_MASK) * DistinctColumn.INLINE;
      const end = at + DistinctColumn.INLINE;
      let newest = k;
      for (let i = at; i < end; i++) {
        const last = ks[i]!;
        if (last === -Infinity) continue;
        if (hs[i] === h) {
          if (k > last) ks[i] = k;
          return true;
        }
        if (last > newest) newest = last;
      }
      if (k <= newest - B) return false;
      for (let i = at; i < end; i++)
        if (ks[i]! <= newest - B) {
          hs[i] = h;
          ks[i] = k;
          return true;
        }
      const set = new ExactSet();
      for (let i = at; i < end; i++) {
        set.hashes.push(hs[i]!);
        set.lasts.push(ks[i]!);
      }
      set.newest = newest;
      this.hashes.clear(row);
      this.lasts.clear(row);
      this.big[row] = set;
      return this.addToSet(row, set, h, k);
    }
    if (big instanceof ExactSet) return this.addToSet(row, big, h, k);
    if (k - big.head >= B) {
      this.big[row] = undefined;
      return this.add(row, h, k);
    }
    return big.add(h, k);
  }

  private addToSet(row: number, set: ExactSet, h: number, k: number): boolean {
    const B = this.buckets;
    const i = set.hashes.indexOf(h);
    if (i >= 0) {
      if (k > set.lasts[i]!) set.lasts[i] = k;
      if (k > set.newest) set.newest = k;
      return true;
    }
    if (k <= set.newest - B) return false;
    if (k > set.newest) set.newest = k;
    if (set.hashes.length >= this.exactLimit) {
      const cut = set.newest - B;
      let j = 0;
      for (let i = 0; i < set.hashes.length; i++)
        if (set.lasts[i]! > cut) {
          set.hashes[j] = set.hashes[i]!;
          set.lasts[j] = set.lasts[i]!;
          j++;
        }
      set.hashes.length = j;
      set.lasts.length = j;
    }
    if (set.hashes.length < this.exactLimit) {
      set.hashes.push(h);
      set.lasts.push(k);
      return true;
    }
    const hll = new WindowedHyperLogLog(B, this.precision);
    for (let i = 0; i < set.hashes.length; i++) hll.add(set.hashes[i]!, set.lasts[i]!);
    this.big[row] = hll;
    return hll.add(h, k);
  }

  /** Distinct values whose last-seen bucket is >= lo (estimated in HyperLogLog mode). */
  count(row: number, lo: number): number {
    const big = this.big[row];
    if (big === undefined) {
      const ks = this.lasts.chunks[row >>> CHUNK_SHIFT]!;
      const at = (row & CHUNK_MASK) * DistinctColumn.INLINE;
      let n = 0;
      for (let i = at; i < at + DistinctColumn.INLINE; i++) if (ks[i]! >= lo) n++;
      return n;
    }
    if (big instanceof ExactSet) {
      let n = 0;
      for (const last of big.lasts) if (last >= lo) n++;
      return n;
    }
    return Math.round(big.estimate(lo));
  }

  bytes(): number {
    let b = this.hashes.bytes() + this.lasts.bytes() + sideBytes(this.big);
    for (const x of this.big) {
      if (x === undefined) continue;
      if (x instanceof ExactSet) b += 40 + 2 * (32 + 16 + x.hashes.length * 8);
      else b += 120 + 2 * TYPED_ARRAY_OVERHEAD + x.byteSize();
    }
    return b;
  }

  save(w: ByteWriter, rows: number): void {
    this.hashes.write(w, rows);
    this.lasts.write(w, rows);
    for (let row = 0; row < rows; row++) {
      const x = this.big[row];
      if (x === undefined) w.u8(0);
      else if (x instanceof ExactSet) {
        w.u8(1);
        w.f64(x.newest);
        w.u32(x.hashes.length);
        for (let i = 0; i < x.hashes.length; i++) {
          w.i32(x.hashes[i]!);
          w.f64(x.lasts[i]!);
        }
      } else {
        w.u8(2);
        w.f64(x.head);
        w.raw(x.registers, x.registers.length);
      }
    }
  }

  load(r: ByteReader, rows: number): void {
    this.hashes.read(r, rows);
    this.lasts.read(r, rows);
    for (let row = 0; row < rows; row++) {
      const tag = r.u8();
      if (tag === 0) this.big[row] = undefined;
      else if (tag === 1) {
        const set = new ExactSet();
        set.newest = r.f64();
        const n = r.count(this.exactLimit, 'distinct set size');
        for (let i = 0; i < n; i++) {
          set.hashes.push(r.i32());
          set.lasts.push(r.f64());
        }
        this.big[row] = set;
      } else if (tag === 2) {
        const hll = new WindowedHyperLogLog(this.buckets, this.precision);
        hll.head = r.f64();
        r.raw(hll.registers, hll.registers.length);
        for (const reg of hll.registers)
          if (reg > 33 - this.precision) throw corruptSnapshot('HyperLogLog register out of range');
        this.big[row] = hll;
      } else throw corruptSnapshot(`unknown distinct mode ${tag}`);
    }
  }
}

function geoBytes(g: Geo): number {
  return 80 + (g.country === undefined ? 0 : stringBytes(g.country));
}

function lastValueBytes(v: LastValue | undefined): number {
  if (v === undefined) return 0;
  if (typeof v === 'string') return stringBytes(v);
  if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) < 2 ** 31 ? 0 : 16;
  return geoBytes(v);
}

/** The last value of a field and when it was seen; an older event never overwrites a newer one. */
export class LastColumn {
  readonly kind = 'last';
  readonly at = new Plane(Float64Array, 1, -Infinity);
  readonly values: (LastValue | undefined)[] = [];

  ensure(capacity: number): void {
    this.at.ensure(capacity);
    ensureSide(this.values, capacity);
  }

  clear(row: number): void {
    this.at.clear(row);
    this.values[row] = undefined;
  }

  value(row: number): Seen<LastValue> | undefined {
    const value = this.values[row];
    if (value === undefined) return undefined;
    return { value, at: this.at.chunks[row >>> CHUNK_SHIFT]![row & CHUNK_MASK]! };
  }

  set(row: number, value: LastValue, at: number): void {
    const a = this.at.chunks[row >>> CHUNK_SHIFT]!;
    const r = row & CHUNK_MASK;
    if (at < a[r]!) return;
    a[r] = at;
    this.values[row] = value;
  }

  bytes(): number {
    let b = this.at.bytes() + sideBytes(this.values);
    for (const v of this.values) b += lastValueBytes(v);
    return b;
  }

  save(w: ByteWriter, rows: number): void {
    this.at.write(w, rows);
    for (let row = 0; row < rows; row++) {
      const v = this.values[row];
      if (v === undefined) w.u8(0);
      else if (typeof v === 'string') {
        w.u8(1);
        w.str(v);
      } else if (typeof v === 'number') {
        w.u8(2);
        w.f64(v);
      } else {
        w.u8(v.country === undefined ? 3 : 4);
        w.f64(v.lat);
        w.f64(v.lon);
        if (v.country !== undefined) w.str(v.country);
      }
    }
  }

  load(r: ByteReader, rows: number): void {
    this.at.read(r, rows);
    for (let row = 0; row < rows; row++) {
      const tag = r.u8();
      switch (tag) {
        case 0:
          this.values[row] = undefined;
          break;
        case 1:
          this.values[row] = r.str();
          break;
        case 2:
          this.values[row] = r.f64();
          break;
        case 3:
          this.values[row] = { lat: r.f64(), lon: r.f64() };
          break;
        case 4:
          this.values[row] = { lat: r.f64(), lon: r.f64(), country: r.str() };
          break;
        default:
          throw corruptSnapshot(`unknown last-value tag ${tag}`);
      }
    }
  }
}

/** Earliest time seen per row (+Infinity when never). */
export class FirstColumn {
  readonly kind = 'first';
  readonly at = new Plane(Float64Array, 1, Infinity);

  ensure(capacity: number): void {
    this.at.ensure(capacity);
  }

  clear(row: number): void {
    this.at.clear(row);
  }

  value(row: number): number | undefined {
    const t = this.at.chunks[row >>> CHUNK_SHIFT]![row & CHUNK_MASK]!;
    return t === Infinity ? undefined : t;
  }

  add(row: number, at: number): void {
    const a = this.at.chunks[row >>> CHUNK_SHIFT]!;
    const r = row & CHUNK_MASK;
    if (at < a[r]!) a[r] = at;
  }

  bytes(): number {
    return this.at.bytes();
  }

  save(w: ByteWriter, rows: number): void {
    this.at.write(w, rows);
  }

  load(r: ByteReader, rows: number): void {
    this.at.read(r, rows);
  }
}

/** Event counts per hour of day (24) or day of week (7), UTC. */
export class HistColumn {
  readonly kind = 'hist';
  readonly data: Plane<Uint32Array>;

  constructor(readonly size: number) {
    this.data = new Plane(Uint32Array, size, 0);
  }

  ensure(capacity: number): void {
    this.data.ensure(capacity);
  }

  clear(row: number): void {
    this.data.clear(row);
  }

  /** Copies the row's counters into `out` (reused by the caller) and returns it. */
  copy(row: number, out: number[]): number[] {
    const d = this.data.chunks[row >>> CHUNK_SHIFT]!;
    const at = (row & CHUNK_MASK) * this.size;
    for (let i = 0; i < this.size; i++) out[i] = d[at + i]!;
    return out;
  }

  add(row: number, index: number): void {
    this.data.chunks[row >>> CHUNK_SHIFT]![(row & CHUNK_MASK) * this.size + index]!++;
  }

  bytes(): number {
    return this.data.bytes();
  }

  save(w: ByteWriter, rows: number): void {
    this.data.write(w, rows);
  }

  load(r: ByteReader, rows: number): void {
    this.data.read(r, rows);
  }
}

/**
 * The most recent distinct values linked to a row, newest first (at most `max`), each with the
 * time it was last seen so that an out-of-order event lands at its place instead of in front.
 */
export class NeighborsColumn {
  readonly kind = 'neighbors';
  readonly times: Plane<Float64Array>;
  readonly values: (string[] | undefined)[] = [];

  constructor(readonly max: number) {
    this.times = new Plane(Float64Array, Math.max(1, max), -Infinity);
  }

  ensure(capacity: number): void {
    this.times.ensure(capacity);
    ensureSide(this.values, capacity);
  }

  clear(row: number): void {
    this.times.clear(row);
    this.values[row] = undefined;
  }

  /** Copies the row's values into `out` (reused by the caller) and returns it. */
  copy(row: number, out: string[]): string[] {
    const list = this.values[row];
    const n = list === undefined ? 0 : list.length;
    out.length = n;
    for (let i = 0; i < n; i++) out[i] = list![i]!;
    return out;
  }

  add(row: number, v: string, at: number): void {
    const max = this.max;
    if (max <= 0) return;
    const t = this.times.chunks[row >>> CHUNK_SHIFT]!;
    const base = (row & CHUNK_MASK) * this.times.width;
    const list = this.values[row];
    if (list === undefined) {
      this.values[row] = [v];
      t[base] = at;
      return;
    }
    let n = list.length;
    const i = list.indexOf(v);
    if (i === 0) {
      if (at > t[base]!) t[base] = at;
      return;
    }
    if (i > 0) {
      if (at <= t[base + i]!) return;
      for (let j = i; j < n - 1; j++) {
        list[j] = list[j + 1]!;
        t[base + j] = t[base + j + 1]!;
      }
      n--;
    } else if (n >= max && at < t[base + n - 1]!) return;
    let p = 0;
    while (p < n && t[base + p]! > at) p++;
    const end = n < max ? n : max - 1;
    for (let j = end; j > p; j--) {
      list[j] = list[j - 1]!;
      t[base + j] = t[base + j - 1]!;
    }
    list[p] = v;
    t[base + p] = at;
    list.length = end + 1;
  }

  bytes(): number {
    let b = this.times.bytes() + sideBytes(this.values);
    for (const list of this.values) {
      if (list === undefined) continue;
      b += 32 + 16 + list.length * 8;
      for (const s of list) b += stringBytes(s);
    }
    return b;
  }

  save(w: ByteWriter, rows: number): void {
    this.times.write(w, rows);
    for (let row = 0; row < rows; row++) {
      const list = this.values[row];
      w.u32(list === undefined ? 0 : list.length);
      if (list !== undefined) for (const s of list) w.str(s);
    }
  }

  load(r: ByteReader, rows: number): void {
    this.times.read(r, rows);
    for (let row = 0; row < rows; row++) {
      const n = r.count(this.max, 'neighbor count');
      if (n === 0) {
        this.values[row] = undefined;
        continue;
      }
      const list: string[] = [];
      for (let i = 0; i < n; i++) list.push(r.str());
      this.values[row] = list;
    }
  }
}

/** Any column. */
export type StateColumn =
  | CountColumn
  | SumColumn
  | StatsColumn
  | DistinctColumn
  | LastColumn
  | FirstColumn
  | HistColumn
  | NeighborsColumn;
