import type { VigilEvent } from '../events/event.js';
import { assertNever } from '../util/assert-never.js';
import { ENTITY_KINDS, ENTITY_NAMESPACE, entityId, type EntityKind } from './entities.js';
import {
  DAY,
  HOUR,
  lastFieldValue,
  numericFieldValue,
  stateKey,
  type FeatureKind,
  type FeatureSpec,
  type LastField,
  type NumericField,
} from './feature-spec.js';
import { createFeatureSnapshot } from './feature-snapshot.js';
import type { FeaturePlan, FeatureSnapshot, FeatureStore, FeatureStoreStats } from './feature-store.js';
import { hashString32 } from './hash32.js';
import { HLL_MAX_PRECISION, HLL_MIN_PRECISION } from './hyperloglog.js';
import { ByteReader, ByteWriter, corruptSnapshot } from './snapshot-codec.js';
import {
  CHUNK_MASK,
  CHUNK_SHIFT,
  CountColumn,
  DistinctColumn,
  EMPTY_STATS,
  FirstColumn,
  HistColumn,
  LastColumn,
  NeighborsColumn,
  Plane,
  StatsColumn,
  SumColumn,
  nextCapacity,
  type StateColumn,
} from './state-columns.js';
import { ClusterGraph, MEMBER_GROUP, mapBytes, stringBytes } from './union-find.js';
import { windowLayout } from './windowed-counter.js';

/**
 * Options of {@link createMemoryFeatureStore}. They shape the stored state, so a snapshot can only
 * be restored into a store created with the same options.
 */
export interface MemoryFeatureStoreOptions {
  /** Upper bound on any `neighbors` spec's `max` (bounds memory). Default 64. */
  readonly maxNeighbors?: number;
  /**
   * Target buckets per sliding window: the largest count <= this that divides the window is used.
   * More buckets undercount less (at most one bucket) but cost memory. Default 12.
   */
  readonly windowBuckets?: number;
  /** Distinct values kept exactly per entity and window before switching to HyperLogLog. Default 64. */
  readonly distinctExactLimit?: number;
  /** HyperLogLog precision for large distinct counts (2^p registers per bucket, ≈1.04/√2^p error). Default 11. */
  readonly hllPrecision?: number;
  /** Members a single shared value may merge into a cluster (hub cap). Default 1000. */
  readonly maxClusterLinks?: number;
}

interface Options {
  readonly maxNeighbors: number;
  readonly windowBuckets: number;
  readonly distinctExactLimit: number;
  readonly hllPrecision: number;
  readonly maxClusterLinks: number;
}

function positiveInt(v: number | undefined, dflt: number, name: string, max: number): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < 1 || v > max)
    throw new Error(`${name} must be an integer in [1, ${max}], got ${v}`);
  return v;
}

function resolveOptions(o: MemoryFeatureStoreOptions): Options {
  const hll = o.hllPrecision ?? 11;
  if (!Number.isInteger(hll) || hll < HLL_MIN_PRECISION || hll > HLL_MAX_PRECISION)
    throw new Error(`hllPrecision must be an integer in [${HLL_MIN_PRECISION}, ${HLL_MAX_PRECISION}]`);
  const links = o.maxClusterLinks ?? 1000;
  if (!(links >= 1)) throw new Error('maxClusterLinks must be >= 1');
  return {
    maxNeighbors: positiveInt(o.maxNeighbors, 64, 'maxNeighbors', 4096),
    windowBuckets: positiveInt(o.windowBuckets, 12, 'windowBuckets', 1024),
    distinctExactLimit: positiveInt(o.distinctExactLimit, 64, 'distinctExactLimit', 65536),
    hllPrecision: hll,
    maxClusterLinks: links,
  };
}

/** Spec kinds in snapshot code order (the byte written for a state's kind). */
const KIND_CODES = [
  'count',
  'sum',
  'stats',
  'distinct',
  'last',
  'first',
  'hist',
  'neighbors',
  'cluster',
] as const satisfies readonly FeatureKind[];

/** Distinct storage namespaces, indexed. */
const NAMESPACES: readonly string[] = [...new Set<string>(Object.values(ENTITY_NAMESPACE))];
const nsIndex = (k: EntityKind): number => NAMESPACES.indexOf(ENTITY_NAMESPACE[k]);
const kindIndex = (k: EntityKind): number => ENTITY_KINDS.indexOf(k);

/** One stored state (one state key): its layout. */
interface StateDef {
  readonly id: number;
  readonly key: string;
  readonly kind: FeatureKind;
  /** Namespace index of the entity it belongs to. */
  readonly ns: number;
  /** Column index in that namespace's tables, or cluster index for `cluster`. */
  readonly local: number;
  readonly buckets: number;
  readonly width: number;
  readonly halfLife: number;
  /** hist: 24 or 7; neighbors: max. */
  readonly size: number;
  /** cluster: namespace index of node groups 1.. */
  readonly viaNs: readonly number[];
}

type DefShape = Omit<StateDef, 'id' | 'key' | 'local'>;

function shapeOf(spec: FeatureSpec, o: Options): DefShape {
  const ns = nsIndex(spec.entity);
  const base = { kind: spec.kind, ns, buckets: 0, width: 0, halfLife: 0, size: 0, viaNs: [] };
  switch (spec.kind) {
    case 'count':
    case 'sum':
    case 'distinct': {
      const l = windowLayout(spec.window, o.windowBuckets);
      return { ...base, buckets: l.buckets, width: l.width };
    }
    case 'stats': {
      const h = spec.halfLife ?? 0;
      if (!(h >= 0) || !Number.isFinite(h)) throw new Error(`stats halfLife must be >= 0, got ${h}`);
      return { ...base, halfLife: h };
    }
    case 'hist':
      return { ...base, size: spec.of === 'hour' ? 24 : 7 };
    case 'neighbors': {
      const max = Number.isFinite(spec.max) ? Math.floor(spec.max) : o.maxNeighbors;
      return { ...base, size: Math.max(0, Math.min(max, o.maxNeighbors)) };
    }
    case 'cluster':
      return { ...base, viaNs: [...new Set(spec.via.map(nsIndex))].sort((a, b) => a - b) };
    case 'last':
    case 'first':
      return base;
    default:
      return assertNever(spec);
  }
}

function sameShape(d: StateDef, s: DefShape): boolean {
  return (
    d.kind === s.kind &&
    d.ns === s.ns &&
    d.buckets === s.buckets &&
    d.width === s.width &&
    d.halfLife === s.halfLife &&
    d.size === s.size &&
    d.viaNs.join(',') === s.viaNs.join(',')
  );
}

function makeColumn(def: StateDef, o: Options): StateColumn {
  switch (def.kind) {
    case 'count':
      return new CountColumn(def.buckets);
    case 'sum':
      return new SumColumn(def.buckets);
    case 'stats':
      return new StatsColumn(def.halfLife);
    case 'distinct':
      return new DistinctColumn(def.buckets, o.distinctExactLimit, o.hllPrecision);
    case 'last':
      return new LastColumn();
    case 'first':
      return new FirstColumn();
    case 'hist':
      return new HistColumn(def.size);
    case 'neighbors':
      return new NeighborsColumn(def.size);
    case 'cluster':
      throw new Error('cluster state is not a column');
    default:
      return assertNever(def.kind);
  }
}

/** Entities of one namespace within one app: id → row, plus one column per state key. */
class Table {
  readonly ids = new Map<string, number>();
  readonly keys: (string | undefined)[] = [];
  /** Newest event time that touched each row (for `expire`). */
  readonly seen = new Plane(Float64Array, 1, -Infinity);
  readonly cols: (StateColumn | undefined)[] = [];
  readonly free: number[] = [];
  size = 0;
  capacity = 0;
  live = 0;

  touch(id: string, at: number): number {
    let row = this.ids.get(id);
    if (row === undefined) row = this.insert(id);
    const c = this.seen.chunks[row >>> CHUNK_SHIFT]!;
    const r = row & CHUNK_MASK;
    if (at > c[r]!) c[r] = at;
    return row;
  }

  private insert(id: string): number {
    let row = this.free.pop();
    if (row === undefined) {
      row = this.size++;
      if (row >= this.capacity) this.grow(nextCapacity(this.capacity));
      this.keys.push(id);
    } else this.keys[row] = id;
    this.ids.set(id, row);
    this.live++;
    return row;
  }

  grow(capacity: number): void {
    this.capacity = capacity;
    this.seen.ensure(capacity);
    for (const c of this.cols) c?.ensure(capacity);
  }

  addColumn(def: StateDef, o: Options): StateColumn {
    const c = makeColumn(def, o);
    c.ensure(this.capacity);
    while (this.cols.length < def.local) this.cols.push(undefined);
    this.cols[def.local] = c;
    return c;
  }

  seenAt(row: number): number {
    return this.seen.chunks[row >>> CHUNK_SHIFT]![row & CHUNK_MASK]!;
  }

  remove(row: number): void {
    const id = this.keys[row];
    if (id === undefined) return;
    this.ids.delete(id);
    this.keys[row] = undefined;
    this.seen.clear(row);
    for (const c of this.cols) c?.clear(row);
    this.free.push(row);
    this.live--;
  }

  bytes(): number {
    let b = 64 + mapBytes(this.ids.size) + this.seen.bytes() + 48 + this.keys.length * 8;
    b += 48 + this.free.length * 8 + 48 + this.cols.length * 8;
    for (const k of this.keys) if (k !== undefined) b += stringBytes(k);
    for (const c of this.cols) if (c !== undefined) b += 64 + c.bytes();
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
    this.seen.write(w, n);
    let cols = 0;
    for (const c of this.cols) if (c !== undefined) cols++;
    w.u32(cols);
    this.cols.forEach((c, local) => {
      if (c === undefined) return;
      w.u32(local);
      c.save(w, n);
    });
  }

  static load(r: ByteReader, ns: number, defsByLocal: readonly (StateDef | undefined)[], o: Options): Table {
    const t = new Table();
    const n = r.count(0x7fffffff, 'table size');
    let capacity = 0;
    while (capacity < n) capacity = nextCapacity(capacity);
    t.grow(capacity);
    t.size = n;
    for (let row = 0; row < n; row++) {
      const present = r.u8();
      if (present === 0) {
        t.keys.push(undefined);
        t.free.push(row);
      } else if (present === 1) {
        const k = r.str();
        if (t.ids.has(k)) throw corruptSnapshot(`duplicate entity ${k}`);
        t.keys.push(k);
        t.ids.set(k, row);
        t.live++;
      } else throw corruptSnapshot(`bad row marker ${present}`);
    }
    t.free.reverse();
    t.seen.read(r, n);
    const cols = r.count(defsByLocal.length, 'column count');
    for (let i = 0; i < cols; i++) {
      const local = r.count(defsByLocal.length - 1, 'column index');
      const def = defsByLocal[local];
      if (def === undefined || def.ns !== ns || t.cols[local] !== undefined)
        throw corruptSnapshot(`column ${local} does not belong to namespace ${NAMESPACES[ns]}`);
      t.addColumn(def, o).load(r, n);
    }
    return t;
  }
}

/** All state of one app: a table per namespace and a union-find per cluster state. */
class AppState {
  readonly tables: (Table | undefined)[] = [];
  readonly clusters: (ClusterGraph | undefined)[] = [];
}

interface ViaRef {
  readonly kind: EntityKind;
  readonly group: number;
}

/** One spec of a compiled plan. All ops share one shape (fast property access). */
interface Op {
  readonly slot: number;
  readonly def: StateDef;
  /** Matching event types by type index (undefined: every type). */
  readonly mask: Uint8Array | undefined;
  readonly field: LastField | undefined;
  readonly num: NumericField | undefined;
  /** Entity kind index of `of` (distinct, neighbors), -1 otherwise. */
  readonly of: number;
  readonly via: readonly ViaRef[];
  readonly hour: boolean;
  /** Reused output arrays of hist and neighbors. */
  readonly nums: number[];
  readonly strs: string[];
  /** Value when the entity is absent. */
  readonly empty: unknown;
}

interface Group {
  readonly kind: EntityKind;
  readonly ns: number;
  /** False for readAs groups: they only read and never create state. */
  readonly write: boolean;
  readonly ops: Op[];
}

interface CompiledPlan {
  readonly groups: readonly Group[];
  readonly values: unknown[];
  readonly snapshot: FeatureSnapshot;
  readonly types: ReadonlyMap<string, number>;
  readonly ofKinds: readonly number[];
  readonly ofIds: (string | undefined)[];
  readonly ofHashes: Int32Array;
}

const EMPTY_STRINGS: readonly string[] = Object.freeze([]);
const EMPTY_HOURS: readonly number[] = Object.freeze(new Array<number>(24).fill(0));
const EMPTY_DAYS: readonly number[] = Object.freeze(new Array<number>(7).fill(0));
const NO_CLUSTER = Object.freeze({ size: 0 });

function emptyValue(spec: FeatureSpec): unknown {
  switch (spec.kind) {
    case 'count':
    case 'sum':
    case 'distinct':
      return 0;
    case 'stats':
      return EMPTY_STATS;
    case 'last':
    case 'first':
      return undefined;
    case 'hist':
      return spec.of === 'hour' ? EMPTY_HOURS : EMPTY_DAYS;
    case 'neighbors':
      return EMPTY_STRINGS;
    case 'cluster':
      return NO_CLUSTER;
    default:
      return assertNever(spec);
  }
}

/** UTC hour of day 0..23 of an epoch-ms time. */
function hourOf(at: number): number {
  return Math.floor((((at % DAY) + DAY) % DAY) / HOUR);
}

/** UTC day of week 0..6 (Sunday first); 1970-01-01 was a Thursday. */
function dayOf(at: number): number {
  const d = (Math.floor(at / DAY) + 4) % 7;
  return d < 0 ? d + 7 : d;
}

const FORMAT_VERSION = 1;

/**
 * The in-memory feature store: answers a whole {@link FeaturePlan} per event in one pass.
 *
 * Layout: state is keyed by app, then namespace (`ENTITY_NAMESPACE`), then entity id. Each
 * (app, namespace) table maps an entity id to a row with ONE Map lookup per entity per event;
 * every state key of the store gets an integer column index, and each column keeps its state for
 * all rows in chunked typed arrays (see `state-columns.ts`). A plan is compiled once (cached per
 * plan object) into groups of specs by entity kind.
 *
 * Semantics (per spec kind, see `feature-spec.ts`): count, sum and distinct include the current
 * event when its type matches; stats, last, first, hist and neighbors return the state before it;
 * cluster returns the size after linking. Windows are bucketed (`windowed-counter.ts`): an expired
 * event is never counted, a value may miss at most the oldest, partly expired bucket; an event
 * too old for the ring is answered as if alone in its window (1, its amount, 1). `readAs` specs
 * read the state before the current event of the entity named by the `readAs` field and never
 * update or create anything. An absent entity gives the kind's empty value (0, undefined, [],
 * zeros, `{ n: 0, mean: 0, std: 0 }`, `{ size: 0 }`; a present user never clustered has size 1).
 * An event whose `at` is not a finite number gets empty values and changes nothing.
 *
 * The values returned by `evaluate` live in a snapshot object reused per plan: it (and the hist
 * and neighbors arrays it returns) is valid until the next `evaluate` call.
 *
 * `stats().bytes` is an estimate of the heap retained, computed from the allocated sizes: typed
 * arrays by byte length (plus 120 bytes of object overhead each), V8 Map entries at 28 bytes per
 * slot of a power-of-two capacity, JS arrays at 8 bytes per element, strings as flat one-byte
 * strings (16 + length rounded up to 8, counted once per reference, so shared strings make it an
 * over-estimate), Geo objects at 80 bytes, and per-object headers.
 * @example
 * const store = createMemoryFeatureStore();
 * const ipSignups = count({ entity: 'ip', window: HOUR, types: ['signup'] });
 * const plan = compilePlan([ipSignups]);
 * store.evaluate(plan, event).get(ipSignups); // signups from this IP in the last hour, this one included
 */
export function createMemoryFeatureStore(options: MemoryFeatureStoreOptions = {}): FeatureStore {
  const o = resolveOptions(options);
  let defs: StateDef[] = [];
  let defsByKey = new Map<string, StateDef>();
  /** Per namespace: defs by column index. */
  let defsByNs: StateDef[][] = NAMESPACES.map(() => []);
  let clusterDefs: StateDef[] = [];
  let apps = new Map<string, AppState>();
  let compiled = new WeakMap<FeaturePlan, CompiledPlan>();
  let lastAppName: string | undefined;
  let lastApp: AppState | undefined;

  function defFor(spec: FeatureSpec): StateDef {
    const key = stateKey(spec);
    const shape = shapeOf(spec, o);
    const have = defsByKey.get(key);
    if (have !== undefined) {
      if (!sameShape(have, shape))
        throw new Error(`feature ${key} has a different layout than its stored state`);
      return have;
    }
    const list = shape.kind === 'cluster' ? clusterDefs : defsByNs[shape.ns]!;
    const def: StateDef = { ...shape, id: defs.length, key, local: list.length };
    list.push(def);
    defs.push(def);
    defsByKey.set(key, def);
    return def;
  }

  function compile(plan: FeaturePlan): CompiledPlan {
    const types = new Map<string, number>();
    for (const s of plan.specs)
      if (s.readAs === undefined)
        for (const t of s.types ?? []) if (!types.has(t)) types.set(t, types.size + 1);
    const groups = new Map<string, Group>();
    const ofKinds = new Set<number>();
    plan.specs.forEach((spec, i) => {
      const slot = plan.slots.get(spec.key) ?? i;
      const write = spec.readAs === undefined;
      const kind = spec.readAs ?? spec.entity;
      if (nsIndex(kind) !== nsIndex(spec.entity))
        throw new Error(`feature ${spec.key}: readAs ${kind} is not in the namespace of ${spec.entity}`);
      const def = defFor(spec);
      let mask: Uint8Array | undefined;
      if (write && spec.types !== undefined && spec.types.length > 0) {
        mask = new Uint8Array(types.size + 1);
        for (const t of spec.types) mask[types.get(t)!] = 1;
      }
      let of = -1;
      if (spec.kind === 'distinct' || spec.kind === 'neighbors') {
        of = kindIndex(spec.of);
        ofKinds.add(of);
      }
      const via =
        spec.kind === 'cluster'
          ? spec.via.map((k) => ({ kind: k, group: 1 + def.viaNs.indexOf(nsIndex(k)) }))
          : [];
      const op: Op = {
        slot,
        def,
        mask,
        field: spec.kind === 'last' ? spec.field : undefined,
        num: spec.kind === 'sum' || spec.kind === 'stats' ? spec.field : undefined,
        of,
        via,
        hour: spec.kind === 'hist' && spec.of === 'hour',
        nums: [],
        strs: [],
        empty: emptyValue(spec),
      };
      const gk = `${write ? 'w' : 'r'}:${kind}`;
      let g = groups.get(gk);
      if (g === undefined) {
        g = { kind, ns: nsIndex(kind), write, ops: [] };
        groups.set(gk, g);
      }
      g.ops.push(op);
    });
    // readAs groups first: they read the state as it was before this event.
    const ordered = [...groups.values()].sort((a, b) => Number(a.write) - Number(b.write));
    const values = new Array<unknown>(plan.specs.length).fill(undefined);
    const cp: CompiledPlan = {
      groups: ordered,
      values,
      snapshot: createFeatureSnapshot(plan, values),
      types,
      ofKinds: [...ofKinds],
      ofIds: new Array<string | undefined>(ENTITY_KINDS.length).fill(undefined),
      ofHashes: new Int32Array(ENTITY_KINDS.length),
    };
    compiled.set(plan, cp);
    return cp;
  }

  function appFor(name: string): AppState | undefined {
    if (name === lastAppName) return lastApp;
    const a = apps.get(name);
    if (a !== undefined) {
      lastAppName = name;
      lastApp = a;
    }
    return a;
  }

  function createApp(name: string): AppState {
    const a = new AppState();
    apps.set(name, a);
    lastAppName = name;
    lastApp = a;
    return a;
  }

  function runWrite(
    cp: CompiledPlan,
    op: Op,
    app: AppState,
    table: Table,
    row: number,
    id: string,
    e: VigilEvent,
    at: number,
    tid: number,
  ): void {
    const values = cp.values;
    const match = op.mask === undefined || op.mask[tid] === 1;
    const def = op.def;
    if (def.kind === 'cluster') {
      let g = app.clusters[def.local];
      if (!match) {
        const node = g?.lookup(MEMBER_GROUP, id);
        values[op.slot] = { size: node === undefined || g === undefined ? 1 : g.membersOf(node) };
        return;
      }
      if (g === undefined) {
        g = new ClusterGraph(1 + def.viaNs.length, o.maxClusterLinks);
        while (app.clusters.length < def.local) app.clusters.push(undefined);
        app.clusters[def.local] = g;
      }
      const m = g.node(MEMBER_GROUP, id, at);
      for (const v of op.via) {
        const vid = entityId(e, v.kind);
        if (vid !== undefined) g.link(m, g.node(v.group, vid, at));
      }
      values[op.slot] = { size: g.membersOf(m) };
      return;
    }
    let col = table.cols[def.local];
    if (col === undefined) {
      if (!match) {
        values[op.slot] = op.empty;
        return;
      }
      col = table.addColumn(def, o);
    }
    switch (col.kind) {
      case 'count': {
        const k = Math.floor(at / def.width);
        const alone = match && !col.add(row, k) ? 1 : 0;
        values[op.slot] = alone + col.sum(row, k - def.buckets + 1);
        return;
      }
      case 'sum': {
        const k = Math.floor(at / def.width);
        const x = numericFieldValue(e, op.num!);
        const alone = match && x !== undefined && Number.isFinite(x) && !col.add(row, k, x) ? x : 0;
        values[op.slot] = alone + col.sum(row, k - def.buckets + 1);
        return;
      }
      case 'distinct': {
        const k = Math.floor(at / def.width);
        const alone = match && cp.ofIds[op.of] !== undefined && !col.add(row, cp.ofHashes[op.of]!, k) ? 1 : 0;
        values[op.slot] = alone + col.count(row, k - def.buckets + 1);
        return;
      }
      case 'stats': {
        values[op.slot] = col.value(row);
        const x = numericFieldValue(e, op.num!);
        if (match && x !== undefined && Number.isFinite(x)) col.add(row, x, at);
        return;
      }
      case 'last': {
        values[op.slot] = col.value(row);
        if (match) {
          const v = lastFieldValue(e, op.field!);
          if (v !== undefined) col.set(row, v, at);
        }
        return;
      }
      case 'first':
        values[op.slot] = col.value(row);
        if (match) col.add(row, at);
        return;
      case 'hist':
        values[op.slot] = col.copy(row, op.nums);
        if (match) col.add(row, op.hour ? hourOf(at) : dayOf(at));
        return;
      case 'neighbors': {
        values[op.slot] = col.copy(row, op.strs);
        const v = cp.ofIds[op.of];
        if (match && v !== undefined) col.add(row, v, at);
        return;
      }
      default:
        assertNever(col);
    }
  }

  function runRead(
    cp: CompiledPlan,
    op: Op,
    app: AppState | undefined,
    table: Table | undefined,
    row: number | undefined,
    id: string,
    at: number,
  ): void {
    const values = cp.values;
    const def = op.def;
    if (def.kind === 'cluster') {
      const g = app?.clusters[def.local];
      const node = g?.lookup(MEMBER_GROUP, id);
      values[op.slot] = { size: node === undefined || g === undefined ? 1 : g.membersOf(node) };
      return;
    }
    const col = table?.cols[def.local];
    if (col === undefined || row === undefined) {
      values[op.slot] = op.empty;
      return;
    }
    switch (col.kind) {
      case 'count':
      case 'sum':
        values[op.slot] = col.sum(row, Math.floor(at / def.width) - def.buckets + 1);
        return;
      case 'distinct':
        values[op.slot] = col.count(row, Math.floor(at / def.width) - def.buckets + 1);
        return;
      case 'stats':
      case 'last':
      case 'first':
        values[op.slot] = col.value(row);
        return;
      case 'hist':
        values[op.slot] = col.copy(row, op.nums);
        return;
      case 'neighbors':
        values[op.slot] = col.copy(row, op.strs);
        return;
      default:
        assertNever(col);
    }
  }

  function evaluate(plan: FeaturePlan, e: VigilEvent): FeatureSnapshot {
    const cp = compiled.get(plan) ?? compile(plan);
    const values = cp.values;
    const at = e.at;
    if (typeof at !== 'number' || !Number.isFinite(at)) {
      for (const g of cp.groups) for (const op of g.ops) values[op.slot] = op.empty;
      return cp.snapshot;
    }
    const tid = cp.types.size === 0 ? 0 : (cp.types.get(e.type) ?? 0);
    for (const ki of cp.ofKinds) {
      const v = entityId(e, ENTITY_KINDS[ki]!);
      cp.ofIds[ki] = v;
      cp.ofHashes[ki] = v === undefined ? 0 : hashString32(v);
    }
    let app = appFor(e.app);
    for (const g of cp.groups) {
      const id = entityId(e, g.kind);
      if (id === undefined) {
        for (const op of g.ops) values[op.slot] = op.empty;
        continue;
      }
      if (g.write) {
        app ??= createApp(e.app);
        let table = app.tables[g.ns];
        if (table === undefined) {
          table = new Table();
          while (app.tables.length < g.ns) app.tables.push(undefined);
          app.tables[g.ns] = table;
        }
        const row = table.touch(id, at);
        for (const op of g.ops) runWrite(cp, op, app, table, row, id, e, at, tid);
      } else {
        const table = app?.tables[g.ns];
        const row = table?.ids.get(id);
        for (const op of g.ops) runRead(cp, op, app, table, row, id, at);
      }
    }
    return cp.snapshot;
  }

  function expire(before: number): number {
    let dropped = 0;
    for (const [name, app] of apps) {
      let live = 0;
      app.tables.forEach((t, ns) => {
        if (t === undefined) return;
        for (let row = 0; row < t.size; row++)
          if (t.keys[row] !== undefined && !(t.seenAt(row) >= before)) {
            t.remove(row);
            dropped++;
          }
        if (t.live === 0) app.tables[ns] = undefined;
        live += t.live;
      });
      app.clusters.forEach((g, i) => {
        if (g === undefined) return;
        g.expire(before);
        if (g.n === 0) app.clusters[i] = undefined;
        live += g.n;
      });
      if (live === 0) apps.delete(name);
    }
    lastAppName = undefined;
    lastApp = undefined;
    return dropped;
  }

  function snapshot(): Uint8Array {
    const w = new ByteWriter(FORMAT_VERSION);
    w.u32(o.maxNeighbors);
    w.u32(o.windowBuckets);
    w.u32(o.distinctExactLimit);
    w.u32(o.hllPrecision);
    w.f64(o.maxClusterLinks);
    w.u32(defs.length);
    for (const d of defs) {
      w.str(d.key);
      w.u8(KIND_CODES.indexOf(d.kind));
      w.u8(d.ns);
      w.u32(d.buckets);
      w.f64(d.width);
      w.f64(d.halfLife);
      w.u32(d.size);
      w.u8(d.viaNs.length);
      for (const v of d.viaNs) w.u8(v);
    }
    w.u32(apps.size);
    for (const [name, app] of apps) {
      w.str(name);
      let tables = 0;
      for (const t of app.tables) if (t !== undefined) tables++;
      w.u8(tables);
      app.tables.forEach((t, ns) => {
        if (t === undefined) return;
        w.u8(ns);
        t.save(w);
      });
      let clusters = 0;
      for (const g of app.clusters) if (g !== undefined) clusters++;
      w.u32(clusters);
      app.clusters.forEach((g, i) => {
        if (g === undefined) return;
        w.u32(i);
        g.write(w);
      });
    }
    return w.finish();
  }

  function restore(bytes: Uint8Array): void {
    const r = ByteReader.open(bytes, FORMAT_VERSION);
    const stored: Options = {
      maxNeighbors: r.u32(),
      windowBuckets: r.u32(),
      distinctExactLimit: r.u32(),
      hllPrecision: r.u32(),
      maxClusterLinks: r.f64(),
    };
    for (const k of Object.keys(o) as (keyof Options)[])
      if (stored[k] !== o[k])
        throw new Error(
          `feature snapshot was taken with ${k}=${stored[k]}, this store has ${o[k]}: create the store with the same options`,
        );
    const nDefs = r.count(1 << 20, 'state count');
    const nDefs2: StateDef[] = [];
    const byKey = new Map<string, StateDef>();
    const byNs: StateDef[][] = NAMESPACES.map(() => []);
    const clusters: StateDef[] = [];
    for (let i = 0; i < nDefs; i++) {
      const key = r.str();
      const kind = KIND_CODES[r.u8()];
      const ns = r.u8();
      if (kind === undefined || ns >= NAMESPACES.length) throw corruptSnapshot(`bad state ${key}`);
      const buckets = r.count(1024, 'bucket count');
      const width = r.f64();
      const halfLife = r.f64();
      const size = r.count(4096, 'state size');
      const nVia = r.u8();
      const viaNs: number[] = [];
      for (let j = 0; j < nVia; j++) {
        const v = r.u8();
        if (v >= NAMESPACES.length) throw corruptSnapshot(`bad cluster namespace ${v}`);
        viaNs.push(v);
      }
      const windowed = kind === 'count' || kind === 'sum' || kind === 'distinct';
      if (windowed && (buckets < 1 || !(width >= 1))) throw corruptSnapshot(`bad window layout of ${key}`);
      if (kind === 'hist' && size !== 24 && size !== 7) throw corruptSnapshot(`bad histogram size of ${key}`);
      if (!(halfLife >= 0)) throw corruptSnapshot(`bad half-life of ${key}`);
      if (byKey.has(key)) throw corruptSnapshot(`duplicate state ${key}`);
      const list = kind === 'cluster' ? clusters : byNs[ns]!;
      const def: StateDef = {
        id: i,
        key,
        kind,
        ns,
        local: list.length,
        buckets,
        width,
        halfLife,
        size,
        viaNs,
      };
      list.push(def);
      nDefs2.push(def);
      byKey.set(key, def);
    }
    const nApps = r.count(0x7fffffff, 'app count');
    const nextApps = new Map<string, AppState>();
    for (let i = 0; i < nApps; i++) {
      const name = r.str();
      if (nextApps.has(name)) throw corruptSnapshot(`duplicate app ${name}`);
      const app = new AppState();
      const nTables = r.u8();
      for (let j = 0; j < nTables; j++) {
        const ns = r.u8();
        if (ns >= NAMESPACES.length || app.tables[ns] !== undefined)
          throw corruptSnapshot(`bad table namespace ${ns}`);
        while (app.tables.length < ns) app.tables.push(undefined);
        app.tables[ns] = Table.load(r, ns, byNs[ns]!, o);
      }
      const nClusters = r.count(clusters.length, 'cluster count');
      for (let j = 0; j < nClusters; j++) {
        const local = r.count(clusters.length - 1, 'cluster index');
        const def = clusters[local]!;
        if (app.clusters[local] !== undefined) throw corruptSnapshot(`duplicate cluster ${def.key}`);
        while (app.clusters.length < local) app.clusters.push(undefined);
        app.clusters[local] = ClusterGraph.read(r, 1 + def.viaNs.length, o.maxClusterLinks);
      }
      nextApps.set(name, app);
    }
    r.done();
    defs = nDefs2;
    defsByKey = byKey;
    defsByNs = byNs;
    clusterDefs = clusters;
    apps = nextApps;
    compiled = new WeakMap();
    lastAppName = undefined;
    lastApp = undefined;
  }

  function stats(): FeatureStoreStats {
    let entities = 0;
    let bytes = 1024 + defs.length * 200 + mapBytes(apps.size);
    for (const [name, app] of apps) {
      bytes += 128 + stringBytes(name);
      for (const t of app.tables)
        if (t !== undefined) {
          entities += t.live;
          bytes += t.bytes();
        }
      for (const g of app.clusters) if (g !== undefined) bytes += 64 + g.byteSize();
    }
    return { entities, bytes };
  }

  return { evaluate, expire, snapshot, restore, stats };
}
