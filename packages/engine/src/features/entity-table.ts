import type { LastValue } from './feature-spec.js';
import type { WindowedHyperLogLog } from './hyperloglog.js';
import { corruptSnapshot, type ByteReader, type ByteWriter } from './snapshot-codec.js';
import {
  initState,
  type DistinctOverflow,
  type ExactSet,
  type RowChunk,
  type StateDef,
} from './state-kinds.js';
import { mapBytes, stringBytes } from './union-find.js';

/**
 * Row storage of the feature store. Every (app, namespace) table numbers its entities with rows;
 * a row holds ALL the numeric state of its entity for every state key of the namespace,
 * contiguously ("row-major"): word 0 is the last time the entity was touched, each state key then
 * owns a fixed run of 8-byte words at the same offset in every row (a namespace layout, shared
 * by the whole store). An event therefore touches a few adjacent cache lines per entity instead
 * of one array per spec. Rows live in chunks of 1024 rows (one ArrayBuffer each, seen through
 * Float64/Uint32/Int32 views): growing a table never copies more than one chunk, and the first
 * chunk grows by doubling so that small tables stay small. Values that are not numbers (last
 * values, neighbor lists, large distinct sets) live in per-state JS arrays indexed by row.
 */

/** Rows per chunk = 2^CHUNK_SHIFT. @example const chunk = table.chunks[row >>> CHUNK_SHIFT]; */
export const CHUNK_SHIFT = 10;
/** Rows per chunk. @example Math.ceil(capacity / CHUNK_ROWS); // chunks needed */
export const CHUNK_ROWS = 1 << CHUNK_SHIFT;
/** Row index within its chunk. @example const base = (row & CHUNK_MASK) * table.words; */
export const CHUNK_MASK = CHUNK_ROWS - 1;
/** Estimated bytes of the JS objects around one chunk (ArrayBuffer, three views, the holder). */
const CHUNK_OVERHEAD = 4 * 100;

/** The word layout of every row of one namespace. @example const layout: NamespaceLayout = { words: 1, defs: [] }; */
export interface NamespaceLayout {
  /** Words per row (word 0 is the last-touched time). */
  words: number;
  /** The namespace's states, by `local` index. */
  readonly defs: StateDef[];
}

/**
 * Row capacity after `capacity` when a table is full.
 * @example nextCapacity(0); // 16
 */
export function nextCapacity(capacity: number): number {
  if (capacity < 16) return 16;
  return capacity < CHUNK_ROWS ? capacity * 2 : capacity + CHUNK_ROWS;
}

function newChunk(rows: number, words: number): RowChunk {
  const buf = new ArrayBuffer(rows * words * 8);
  return { f64: new Float64Array(buf), u32: new Uint32Array(buf), i32: new Int32Array(buf) };
}

function grownSide<T>(a: (T | undefined)[] | undefined, capacity: number): void {
  if (a !== undefined) while (a.length < capacity) a.push(undefined);
}

function sideBytes(a: readonly unknown[] | undefined): number {
  return a === undefined ? 0 : 48 + a.length * 8;
}

/**
 * The entities of one namespace within one app.
 * @example const t = new EntityTable(layout); const row = t.touch('u1', e.at);
 */
export class EntityTable {
  readonly ids = new Map<string, number>();
  readonly keys: (string | undefined)[] = [];
  readonly free: number[] = [];
  chunks: RowChunk[] = [];
  /** Per state (by local index): last values, neighbor lists, distinct overflows. */
  readonly lastValues: ((LastValue | undefined)[] | undefined)[] = [];
  readonly neighborLists: ((readonly string[] | undefined)[] | undefined)[] = [];
  readonly distinctBig: ((DistinctOverflow | undefined)[] | undefined)[] = [];
  /** Words per row of the chunks (follows the layout, see `reshape`). */
  words: number;
  size = 0;
  capacity = 0;
  live = 0;

  constructor(readonly layout: NamespaceLayout) {
    this.words = layout.words;
  }

  /** The row of an entity, created when new; records `at` as its last-touched time. */
  touch(id: string, at: number): number {
    let row = this.ids.get(id);
    if (row === undefined) row = this.insert(id);
    this.touchRow(row, at);
    return row;
  }

  /** Records `at` as the last-touched time of a row already found (by `ids`) for this event. */
  touchRow(row: number, at: number): void {
    const f = this.chunks[row >>> CHUNK_SHIFT]!.f64;
    const i = (row & CHUNK_MASK) * this.words;
    if (at > f[i]!) f[i] = at;
  }

  private insert(id: string): number {
    let row = this.free.pop();
    if (row === undefined) {
      row = this.size++;
      if (row >= this.capacity) this.reshape(nextCapacity(this.capacity));
      this.keys.push(id);
    } else this.keys[row] = id;
    this.ids.set(id, row);
    this.live++;
    return row;
  }

  /**
   * Makes room for `capacity` rows with the layout's current words per row: copies existing rows
   * into the new shape and initialises new rows and newly added states.
   */
  reshape(capacity: number): void {
    const words = this.layout.words;
    const oldWords = this.words;
    const defs = this.layout.defs;
    const need = Math.ceil(capacity / CHUNK_ROWS);
    for (let c = 0; c < need; c++) {
      const rows = c === 0 ? Math.min(capacity, CHUNK_ROWS) : CHUNK_ROWS;
      const old = this.chunks[c];
      const oldRows = old === undefined ? 0 : old.f64.length / oldWords;
      if (old !== undefined && oldRows === rows && oldWords === words) continue;
      const ch = newChunk(rows, words);
      if (old !== undefined) {
        if (oldWords === words) ch.f64.set(old.f64);
        else
          for (let r = 0; r < oldRows; r++)
            ch.f64.set(old.f64.subarray(r * oldWords, (r + 1) * oldWords), r * words);
      }
      for (let r = 0; r < rows; r++) {
        const base = r * words;
        if (r >= oldRows) {
          ch.f64[base] = -Infinity;
          for (const d of defs) initState(d, ch, base + d.off);
        } else if (words !== oldWords)
          for (const d of defs) if (d.off >= oldWords) initState(d, ch, base + d.off);
      }
      this.chunks[c] = ch;
    }
    this.words = words;
    this.capacity = Math.max(capacity, this.capacity);
    for (const a of this.lastValues) grownSide(a, this.capacity);
    for (const a of this.neighborLists) grownSide(a, this.capacity);
    for (const a of this.distinctBig) grownSide(a, this.capacity);
  }

  /** The per-row array of a state (created on first use). */
  lastOf(local: number): (LastValue | undefined)[] {
    return (this.lastValues[local] ??= sideArray(this.lastValues, local, this.capacity));
  }

  neighborsOf(local: number): (readonly string[] | undefined)[] {
    return (this.neighborLists[local] ??= sideArray(this.neighborLists, local, this.capacity));
  }

  distinctOf(local: number): (DistinctOverflow | undefined)[] {
    return (this.distinctBig[local] ??= sideArray(this.distinctBig, local, this.capacity));
  }

  seenAt(row: number): number {
    return this.chunks[row >>> CHUNK_SHIFT]!.f64[(row & CHUNK_MASK) * this.words]!;
  }

  /** Forgets a row's entity and resets its state. */
  remove(row: number): void {
    const id = this.keys[row];
    if (id === undefined) return;
    this.ids.delete(id);
    this.keys[row] = undefined;
    const ch = this.chunks[row >>> CHUNK_SHIFT]!;
    const base = (row & CHUNK_MASK) * this.words;
    ch.f64.fill(0, base, base + this.words);
    ch.f64[base] = -Infinity;
    for (const d of this.layout.defs) initState(d, ch, base + d.off);
    for (const a of this.lastValues) if (a !== undefined) a[row] = undefined;
    for (const a of this.neighborLists) if (a !== undefined) a[row] = undefined;
    for (const a of this.distinctBig) if (a !== undefined) a[row] = undefined;
    this.free.push(row);
    this.live--;
  }

  /** Estimated heap bytes (see `createMemoryFeatureStore` for the method). */
  bytes(): number {
    let b = 200 + mapBytes(this.ids.size) + 48 + this.keys.length * 8 + 48 + this.free.length * 8;
    for (const c of this.chunks) b += c.f64.byteLength + CHUNK_OVERHEAD;
    for (const k of this.keys) if (k !== undefined) b += stringBytes(k);
    for (const a of this.lastValues) {
      b += sideBytes(a);
      if (a !== undefined) for (const v of a) b += lastValueBytes(v);
    }
    for (const a of this.neighborLists) {
      b += sideBytes(a);
      if (a !== undefined)
        for (const list of a)
          if (list !== undefined) {
            b += 48 + list.length * 8;
            for (const s of list) b += stringBytes(s);
          }
    }
    for (const a of this.distinctBig) {
      b += sideBytes(a);
      if (a !== undefined)
        for (const x of a)
          if (x !== undefined)
            b += x.kind === 'set' ? 64 + 2 * (48 + x.hashes.length * 8) : 300 + x.sketch.byteSize();
    }
    return b;
  }

  save(w: ByteWriter): void {
    const n = this.size;
    w.u32(n);
    for (let row = 0; row < n; row++) {
      const k = this.keys[row];
      if (k === undefined) w.u8(0);
      else {
        w.u8(1);
        w.str(k);
      }
    }
    // The free rows in reuse order, so that a restored table numbers new entities the same way.
    w.u32(this.free.length);
    for (const row of this.free) w.u32(row);
    for (let c = 0; c * CHUNK_ROWS < n; c++)
      w.raw(this.chunks[c]!.f64, Math.min(n - c * CHUNK_ROWS, CHUNK_ROWS) * this.words);
    saveSides(w, n, this.lastValues, saveLast);
    saveSides(w, n, this.neighborLists, saveList);
    saveSides(w, n, this.distinctBig, saveDistinct);
  }

  /** Reads a table written by `save` (the layout must be the one it was saved with). */
  static load(r: ByteReader, layout: NamespaceLayout, limits: LoadLimits): EntityTable {
    const t = new EntityTable(layout);
    const n = r.count(0x7fffffff, 'table size');
    let capacity = 0;
    while (capacity < n) capacity = nextCapacity(capacity);
    t.reshape(capacity);
    t.size = n;
    for (let row = 0; row < n; row++) {
      const present = r.u8();
      if (present === 0) t.keys.push(undefined);
      else if (present === 1) {
        const k = r.str();
        if (t.ids.has(k)) throw corruptSnapshot(`duplicate entity ${k}`);
        t.keys.push(k);
        t.ids.set(k, row);
        t.live++;
      } else throw corruptSnapshot(`bad row marker ${present}`);
    }
    const free = r.count(n, 'free row count');
    if (free !== n - t.live) throw corruptSnapshot('free rows do not match empty rows');
    for (let i = 0; i < free; i++) {
      const row = r.count(n - 1, 'free row');
      if (t.keys[row] !== undefined) throw corruptSnapshot(`free row ${row} is in use`);
      t.free.push(row);
    }
    if (new Set(t.free).size !== free) throw corruptSnapshot('duplicate free row');
    for (let c = 0; c * CHUNK_ROWS < n; c++)
      r.raw(t.chunks[c]!.f64, Math.min(n - c * CHUNK_ROWS, CHUNK_ROWS) * t.words);
    loadSides(r, n, layout, 'last', (local) => t.lastOf(local), loadLast);
    loadSides(
      r,
      n,
      layout,
      'neighbors',
      (local) => t.neighborsOf(local),
      (rd, def) => loadList(rd, def),
    );
    loadSides(
      r,
      n,
      layout,
      'distinct',
      (local) => t.distinctOf(local),
      (rd, def) => loadDistinct(rd, def, limits),
    );
    return t;
  }
}

/** Bounds a snapshot must respect (the store's options). @example EntityTable.load(reader, layout, { exactLimit: 64, hllPrecision: 11, makeSketch }); */
export interface LoadLimits {
  readonly exactLimit: number;
  readonly hllPrecision: number;
  readonly makeSketch: (buckets: number) => WindowedHyperLogLog;
}

function sideArray<T>(
  arrays: ((T | undefined)[] | undefined)[],
  local: number,
  capacity: number,
): (T | undefined)[] {
  while (arrays.length < local) arrays.push(undefined);
  return new Array<T | undefined>(capacity).fill(undefined);
}

function saveSides<T>(
  w: ByteWriter,
  rows: number,
  arrays: readonly ((T | undefined)[] | undefined)[],
  one: (w: ByteWriter, v: T | undefined) => void,
): void {
  let k = 0;
  for (const a of arrays) if (a !== undefined) k++;
  w.u32(k);
  arrays.forEach((a, local) => {
    if (a === undefined) return;
    w.u32(local);
    for (let row = 0; row < rows; row++) one(w, a[row]);
  });
}

function loadSides<T>(
  r: ByteReader,
  rows: number,
  layout: NamespaceLayout,
  kind: StateDef['kind'],
  get: (local: number) => (T | undefined)[],
  one: (r: ByteReader, def: StateDef) => T | undefined,
): void {
  const k = r.count(layout.defs.length, 'side array count');
  for (let i = 0; i < k; i++) {
    const local = r.count(layout.defs.length - 1, 'state index');
    const def = layout.defs[local]!;
    if (def.kind !== kind) throw corruptSnapshot(`state ${def.key} has no ${kind} values`);
    const a = get(local);
    for (let row = 0; row < rows; row++) a[row] = one(r, def);
  }
}

function lastValueBytes(v: LastValue | undefined): number {
  if (v === undefined) return 0;
  if (typeof v === 'string') return stringBytes(v);
  if (typeof v === 'number') return Number.isInteger(v) && Math.abs(v) < 2 ** 31 ? 0 : 16;
  return 80 + (v.country === undefined ? 0 : stringBytes(v.country));
}

function saveLast(w: ByteWriter, v: LastValue | undefined): void {
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

function loadLast(r: ByteReader): LastValue | undefined {
  const tag = r.u8();
  switch (tag) {
    case 0:
      return undefined;
    case 1:
      return r.str();
    case 2:
      return r.f64();
    case 3:
      return { lat: r.f64(), lon: r.f64() };
    case 4:
      return { lat: r.f64(), lon: r.f64(), country: r.str() };
    default:
      throw corruptSnapshot(`unknown last-value tag ${tag}`);
  }
}

function saveList(w: ByteWriter, list: readonly string[] | undefined): void {
  w.u32(list === undefined ? 0 : list.length);
  if (list !== undefined) for (const s of list) w.str(s);
}

function loadList(r: ByteReader, def: StateDef): readonly string[] | undefined {
  const n = r.count(def.size, 'neighbor count');
  if (n === 0) return undefined;
  const list: string[] = [];
  for (let i = 0; i < n; i++) list.push(r.str());
  return list;
}

function saveDistinct(w: ByteWriter, x: DistinctOverflow | undefined): void {
  if (x === undefined) w.u8(0);
  else if (x.kind === 'set') {
    w.u8(1);
    w.f64(x.newest);
    w.u32(x.hashes.length);
    for (let i = 0; i < x.hashes.length; i++) {
      w.i32(x.hashes[i]!);
      w.f64(x.lasts[i]!);
    }
  } else {
    w.u8(2);
    w.f64(x.sketch.head);
    w.raw(x.sketch.registers, x.sketch.registers.length);
  }
}

function loadDistinct(r: ByteReader, def: StateDef, limits: LoadLimits): DistinctOverflow | undefined {
  const tag = r.u8();
  if (tag === 0) return undefined;
  if (tag === 1) {
    const set: ExactSet = { kind: 'set', hashes: [], lasts: [], newest: r.f64() };
    const n = r.count(limits.exactLimit, 'distinct set size');
    for (let i = 0; i < n; i++) {
      set.hashes.push(r.i32());
      set.lasts.push(r.f64());
    }
    return set;
  }
  if (tag === 2) {
    const sketch = limits.makeSketch(def.buckets);
    sketch.head = r.f64();
    r.raw(sketch.registers, sketch.registers.length);
    for (const reg of sketch.registers)
      if (reg > 33 - limits.hllPrecision) throw corruptSnapshot('HyperLogLog register out of range');
    return { kind: 'hll', sketch };
  }
  throw corruptSnapshot(`unknown distinct mode ${tag}`);
}
