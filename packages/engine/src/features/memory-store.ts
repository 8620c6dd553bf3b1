import type { VigilEvent } from '../events/event.js';
import { assertNever } from '../util/assert-never.js';
import { ENTITY_KINDS, ENTITY_NAMESPACE, entityId, type EntityKind } from './entities.js';
import {
  CHUNK_MASK,
  CHUNK_SHIFT,
  EntityTable,
  type LoadLimits,
  type NamespaceLayout,
} from './entity-table.js';
import {
  DAY,
  HOUR,
  lastFieldValue,
  numericFieldValue,
  stateKey,
  type FeatureKind,
  type FeatureSpec,
  type LastField,
  type LastValue,
  type NumericField,
} from './feature-spec.js';
import { createFeatureSnapshot } from './feature-snapshot.js';
import type { FeaturePlan, FeatureSnapshot, FeatureStore, FeatureStoreStats } from './feature-store.js';
import { hashString32 } from './hash32.js';
import { HLL_MAX_PRECISION, HLL_MIN_PRECISION, WindowedHyperLogLog } from './hyperloglog.js';
import { ByteReader, ByteWriter, corruptSnapshot } from './snapshot-codec.js';
import {
  EMPTY_STATS,
  countAdd,
  countSum,
  distinctAdd,
  distinctCount,
  firstGet,
  histCopy,
  lastGet,
  lastSet,
  neighborsAdd,
  stateWords,
  statsAdd,
  statsValue,
  sumAdd,
  sumSum,
  type RowChunk,
  type StateDef,
} from './state-kinds.js';
import { ClusterGraph, MEMBER_GROUP, mapBytes, stringBytes } from './union-find.js';
import { windowLayout } from './windowed-counter.js';

/**
 * Options of {@link createMemoryFeatureStore}. They shape the stored state, so a snapshot can only
 * be restored into a store created with the same options.
 * @example createMemoryFeatureStore({ windowBuckets: 12, distinctExactLimit: 64, hllPrecision: 11 });
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

/** The parameters of a state that a spec determines (everything but its place). */
type DefShape = Omit<StateDef, 'id' | 'key' | 'local' | 'off' | 'words' | 'nodeOffs'>;

function shapeOf(spec: FeatureSpec, o: Options): DefShape {
  const base = {
    kind: spec.kind,
    ns: nsIndex(spec.entity),
    buckets: 0,
    width: 0,
    halfLife: 0,
    size: 0,
    viaNs: [],
  };
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

/** The registry of stored states: their ids, namespace layouts and cluster indexes. */
interface Registry {
  readonly defs: StateDef[];
  readonly byKey: Map<string, StateDef>;
  readonly layouts: NamespaceLayout[];
  readonly clusters: StateDef[];
}

function emptyRegistry(): Registry {
  return {
    defs: [],
    byKey: new Map(),
    layouts: NAMESPACES.map(() => ({ words: 1, defs: [] })),
    clusters: [],
  };
}

/** Adds a state to a registry (places it at the end of its namespace's rows). */
function register(reg: Registry, key: string, shape: DefShape): StateDef {
  const layout = reg.layouts[shape.ns]!;
  const cluster = shape.kind === 'cluster';
  const words = stateWords(shape.kind, shape.buckets, shape.size, shape.halfLife);
  // A cluster keeps its union-find outside the rows, plus one node-cache word per node group.
  const nodeOffs = cluster
    ? [shape.ns, ...shape.viaNs].map((ns) => {
        const l = reg.layouts[ns]!;
        return l.words++;
      })
    : [];
  const def: StateDef = {
    ...shape,
    id: reg.defs.length,
    key,
    local: cluster ? reg.clusters.length : layout.defs.length,
    off: cluster ? 0 : layout.words,
    words,
    nodeOffs,
  };
  if (cluster) reg.clusters.push(def);
  else {
    layout.defs.push(def);
    layout.words += words;
  }
  reg.defs.push(def);
  reg.byKey.set(key, def);
  return def;
}

/** All state of one app: a table per namespace and a union-find per cluster state. */
class AppState {
  readonly tables: (EntityTable | undefined)[] = [];
  readonly clusters: (ClusterGraph | undefined)[] = [];
}

interface ViaRef {
  /** Entity kind index of the via field. */
  readonly kind: number;
  readonly group: number;
  /** Node-cache word in the via entity's row. */
  readonly nodeOff: number;
}

/** One spec of a compiled plan, with its state's parameters copied in (one object shape). */
interface Op {
  readonly slot: number;
  readonly kind: FeatureKind;
  readonly def: StateDef;
  readonly local: number;
  readonly off: number;
  readonly buckets: number;
  readonly width: number;
  readonly halfLife: number;
  readonly size: number;
  /** Matching event types by type index (undefined: every type). */
  readonly mask: Uint8Array | undefined;
  /** Index into the plan's per-event field values (last: `lastFields`, sum/stats: `numFields`). */
  readonly field: number;
  /** Entity kind index of `of` (distinct, neighbors), -1 otherwise. */
  readonly of: number;
  readonly via: readonly ViaRef[];
  readonly hour: boolean;
  /** Reused output array of hist. */
  readonly nums: number[];
  /** Value when the entity is absent. */
  readonly empty: unknown;
}

interface Group {
  /** Entity kind index. */
  readonly kind: number;
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
  /** Entity kinds whose ids the plan reads (groups, `of`, `via`), read once per event into `ids`. */
  readonly idKinds: readonly number[];
  readonly ids: (string | undefined)[];
  /**
   * Rows resolved by this event's write groups, by entity kind (valid when `rowStamp[kind]` is
   * the current `stamp`): clusters read their via entities' node-cache words there.
   */
  stamp: number;
  readonly rowStamp: Float64Array;
  readonly rowChunk: (RowChunk | undefined)[];
  readonly rowBase: Float64Array;
  /**
   * Rows looked up by this event's readAs groups, by entity kind (valid when `readStamp[kind]` is
   * the current `stamp`; -1: absent): the write group of the same kind reads the same row (same
   * namespace, same id), so it skips a second Map lookup.
   */
  readonly readStamp: Float64Array;
  readonly readRow: Int32Array;
  readonly readTable: (EntityTable | undefined)[];
  /** Entity kinds whose id hashes distinct and neighbors specs need, once per event into `hashes`. */
  readonly hashKinds: readonly number[];
  readonly hashes: Int32Array;
  /** Fields read by the plan's last / sum and stats specs, and their values for the current event. */
  readonly lastFields: readonly LastField[];
  readonly lastValues: (LastValue | undefined)[];
  readonly numFields: readonly NumericField[];
  readonly numValues: (number | undefined)[];
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

/** Index of a value in a list, appending it when absent. */
function indexIn<T>(list: T[], v: T): number {
  const i = list.indexOf(v);
  if (i >= 0) return i;
  list.push(v);
  return list.length - 1;
}

/** UTC hour of day 0..23 of an epoch-ms time. */
function hourOf(at: number): number {
  return Math.floor((at - Math.floor(at / DAY) * DAY) / HOUR);
}

/** UTC day of week 0..6 (Sunday first); 1970-01-01 was a Thursday. */
function dayOf(at: number): number {
  const d = Math.floor(at / DAY) + 4;
  return d - Math.floor(d / 7) * 7;
}

const FORMAT_VERSION = 1;

/**
 * The in-memory feature store: answers a whole {@link FeaturePlan} per event in one pass.
 *
 * Layout: state is keyed by app, then namespace (`ENTITY_NAMESPACE`), then entity id; apps never
 * share state. Each (app, namespace) table maps an entity id to a row with ONE Map lookup per
 * entity per event, and the row holds all that entity's numeric state contiguously (see
 * `entity-table.ts`); every state key gets a fixed word offset in its namespace's rows. A plan is
 * compiled once per store (cached per plan object) into groups of specs by entity kind.
 *
 * Semantics (per spec kind, see `feature-spec.ts`): count, sum and distinct include the current
 * event when its type matches; stats, last, first, hist and neighbors return the state before it;
 * cluster returns the size after linking. Windows are bucketed (`windowed-counter.ts`): an expired
 * event is never counted, a value may miss at most the oldest, partly expired bucket, a late event
 * sees only the held buckets of its own window, and an event too old for the ring is answered as
 * if alone in its window (1, its amount, 1) without being stored. `readAs` specs
 * read the state, as it was before the current event, of the entity named by the `readAs` field;
 * they never update or create anything. An absent entity gives the kind's empty value (0,
 * undefined, [], zeros, `{ n: 0, mean: 0, std: 0 }`, `{ size: 0 }`; a present user never
 * clustered has size 1). An event whose `at` is not a finite number gets empty values and
 * changes nothing. Distinct counts are exact up to `distinctExactLimit` values per entity and
 * window (32-bit hashes: a collision, ≈ n²/2³³, undercounts by one), then HyperLogLog.
 * `expire(before)` drops the entities whose newest event time is before `before` (reads through
 * `readAs` do not refresh an entity) and cluster nodes idle as long; memberships made through a
 * dropped node stay. A shared value merges at most `maxClusterLinks` users into a cluster.
 *
 * The values returned by `evaluate` live in a snapshot object reused per plan: it (and the hist
 * arrays it returns) is valid until the next `evaluate` call on this store. Neighbor lists are
 * immutable (copy-on-write), other values are fresh objects or numbers.
 *
 * `stats().bytes` is an estimate of the heap retained, computed from allocated sizes: row chunks
 * by byte length plus 400 bytes of objects each, V8 Map entries at 28 bytes per slot of a
 * power-of-two capacity, JS arrays at 8 bytes per element plus a header, strings as flat
 * one-byte strings (16 + length rounded up to 8, counted once per reference: shared strings make
 * it an over-estimate), Geo objects at 80 bytes, HyperLogLog registers by byte length, and the
 * union-find arrays by capacity.
 * @example
 * const store = createMemoryFeatureStore();
 * const ipSignups = count({ entity: 'ip', window: HOUR, types: ['signup'] });
 * const plan = compilePlan([ipSignups]);
 * store.evaluate(plan, event).get(ipSignups); // signups from this IP in the last hour, this one included
 */
export function createMemoryFeatureStore(options: MemoryFeatureStoreOptions = {}): FeatureStore {
  const o = resolveOptions(options);
  let reg = emptyRegistry();
  let apps = new Map<string, AppState>();
  let compiled = new WeakMap<FeaturePlan, CompiledPlan>();
  let lastPlan: FeaturePlan | undefined;
  let lastCompiled: CompiledPlan | undefined;
  let lastAppName: string | undefined;
  let lastApp: AppState | undefined;
  const limits: LoadLimits = {
    exactLimit: o.distinctExactLimit,
    hllPrecision: o.hllPrecision,
    makeSketch: (buckets) => new WindowedHyperLogLog(buckets, o.hllPrecision),
  };

  function defFor(spec: FeatureSpec): StateDef {
    const key = stateKey(spec);
    const shape = shapeOf(spec, o);
    const have = reg.byKey.get(key);
    if (have !== undefined) {
      if (!sameShape(have, shape))
        throw new Error(`feature ${key} has a different layout than its stored state`);
      return have;
    }
    const def = register(reg, key, shape);
    // Existing rows of the namespaces it widened get room for the new state.
    for (const ns of new Set([def.ns, ...def.viaNs]))
      for (const app of apps.values()) {
        const t = app.tables[ns];
        if (t !== undefined) t.reshape(t.capacity);
      }
    return def;
  }

  function compile(plan: FeaturePlan): CompiledPlan {
    const types = new Map<string, number>();
    for (const s of plan.specs)
      if (s.readAs === undefined)
        for (const t of s.types ?? []) if (!types.has(t)) types.set(t, types.size + 1);
    const groups = new Map<string, Group>();
    const idKinds = new Set<number>();
    const hashKinds = new Set<number>();
    // Each event field is read once per event (event objects come in many shapes, so every
    // property read is a slow polymorphic lookup).
    const lastFields: LastField[] = [];
    const numFields: NumericField[] = [];
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
      idKinds.add(kindIndex(kind));
      let of = -1;
      if (spec.kind === 'distinct' || spec.kind === 'neighbors') {
        of = kindIndex(spec.of);
        idKinds.add(of);
        hashKinds.add(of);
      }
      if (spec.kind === 'cluster') for (const k of spec.via) idKinds.add(kindIndex(k));
      const op: Op = {
        slot,
        kind: def.kind,
        def,
        local: def.local,
        off: def.off,
        buckets: def.buckets,
        width: def.width,
        halfLife: def.halfLife,
        size: def.size,
        mask,
        field:
          spec.kind === 'last'
            ? indexIn(lastFields, spec.field)
            : spec.kind === 'sum' || spec.kind === 'stats'
              ? indexIn(numFields, spec.field)
              : -1,
        of,
        via:
          spec.kind === 'cluster'
            ? spec.via.map((k) => {
                const group = 1 + def.viaNs.indexOf(nsIndex(k));
                return { kind: kindIndex(k), group, nodeOff: def.nodeOffs[group]! };
              })
            : [],
        hour: spec.kind === 'hist' && spec.of === 'hour',
        nums: [],
        empty: emptyValue(spec),
      };
      const gk = `${write ? 'w' : 'r'}:${kind}`;
      let g = groups.get(gk);
      if (g === undefined) {
        g = { kind: kindIndex(kind), ns: nsIndex(kind), write, ops: [] };
        groups.set(gk, g);
      }
      g.ops.push(op);
    });
    // readAs groups first: they read the state as it was before this event. Groups with clusters
    // last: their via entities' rows are resolved by then.
    const rank = (g: Group): number => (!g.write ? 0 : g.ops.some((op) => op.kind === 'cluster') ? 2 : 1);
    const ordered = [...groups.values()].sort((a, b) => rank(a) - rank(b));
    const values = new Array<unknown>(plan.specs.length).fill(undefined);
    const cp: CompiledPlan = {
      groups: ordered,
      values,
      snapshot: createFeatureSnapshot(plan, values),
      types,
      idKinds: [...idKinds],
      ids: new Array<string | undefined>(ENTITY_KINDS.length).fill(undefined),
      stamp: 0,
      rowStamp: new Float64Array(ENTITY_KINDS.length),
      rowChunk: new Array<RowChunk | undefined>(ENTITY_KINDS.length).fill(undefined),
      rowBase: new Float64Array(ENTITY_KINDS.length),
      readStamp: new Float64Array(ENTITY_KINDS.length),
      readRow: new Int32Array(ENTITY_KINDS.length),
      readTable: new Array<EntityTable | undefined>(ENTITY_KINDS.length).fill(undefined),
      hashKinds: [...hashKinds],
      hashes: new Int32Array(ENTITY_KINDS.length),
      lastFields,
      lastValues: lastFields.map(() => undefined),
      numFields,
      numValues: numFields.map(() => undefined),
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

  /**
   * The node of an entity in a cluster's union-find, through the node-cache word of its row
   * (`f[w]`: node + 1, 0 when not cached yet).
   */
  function cachedNode(
    g: ClusterGraph,
    group: number,
    id: string,
    f: Float64Array,
    w: number,
    at: number,
  ): number {
    const cached = f[w]!;
    if (cached > 0) {
      g.touch(cached - 1, at);
      return cached - 1;
    }
    const x = g.node(group, id, at);
    f[w] = x + 1;
    return x;
  }

  function clusterWrite(
    cp: CompiledPlan,
    op: Op,
    app: AppState,
    c: RowChunk,
    base: number,
    id: string,
    at: number,
    match: boolean,
  ): unknown {
    let g = app.clusters[op.local];
    const mw = base + op.def.nodeOffs[0]!;
    if (!match) {
      const cached = c.f64[mw]!;
      return { size: g === undefined || cached === 0 ? 1 : g.membersOf(cached - 1) };
    }
    if (g === undefined) {
      g = new ClusterGraph(1 + op.def.viaNs.length, o.maxClusterLinks);
      while (app.clusters.length < op.local) app.clusters.push(undefined);
      app.clusters[op.local] = g;
    }
    const m = cachedNode(g, MEMBER_GROUP, id, c.f64, mw, at);
    for (const v of op.via) {
      const vid = cp.ids[v.kind];
      if (vid === undefined) continue;
      const vc = cp.rowStamp[v.kind] === cp.stamp ? cp.rowChunk[v.kind] : undefined;
      const x =
        vc === undefined
          ? g.node(v.group, vid, at)
          : cachedNode(g, v.group, vid, vc.f64, cp.rowBase[v.kind]! + v.nodeOff, at);
      g.link(m, x);
    }
    return { size: g.membersOf(m) };
  }

  /** Applies one spec to the entity row (`i`: the state's first word in chunk `c`). */
  function runWrite(
    cp: CompiledPlan,
    op: Op,
    app: AppState,
    t: EntityTable,
    c: RowChunk,
    i: number,
    row: number,
    id: string,
    at: number,
    tid: number,
  ): void {
    const values = cp.values;
    const match = op.mask === undefined || op.mask[tid] === 1;
    switch (op.kind) {
      case 'count': {
        const k = Math.floor(at / op.width);
        const alone = match && !countAdd(c, i, op.buckets, k) ? 1 : 0;
        values[op.slot] = alone + countSum(c, i, op.buckets, k);
        return;
      }
      case 'sum': {
        const k = Math.floor(at / op.width);
        const x = match ? cp.numValues[op.field] : undefined;
        const alone = x !== undefined && Number.isFinite(x) && !sumAdd(c, i, op.buckets, k, x) ? x : 0;
        values[op.slot] = alone + sumSum(c, i, op.buckets, k);
        return;
      }
      case 'distinct': {
        const k = Math.floor(at / op.width);
        let alone = 0;
        if (match && cp.ids[op.of] !== undefined) {
          const big = t.distinctOf(op.local);
          const h = cp.hashes[op.of]!;
          if (!distinctAdd(c, i, big, row, op.buckets, o.distinctExactLimit, o.hllPrecision, h, k)) alone = 1;
        }
        values[op.slot] = alone + distinctCount(c, i, t.distinctBig[op.local], row, op.buckets, k);
        return;
      }
      case 'stats': {
        values[op.slot] = statsValue(c.f64, i, op.halfLife);
        if (!match) return;
        const x = cp.numValues[op.field];
        if (x !== undefined && Number.isFinite(x)) statsAdd(c.f64, i, op.halfLife, x, at);
        return;
      }
      case 'last': {
        values[op.slot] = lastGet(c.f64, i, t.lastValues[op.local], row);
        if (!match) return;
        const v = cp.lastValues[op.field];
        if (v !== undefined) lastSet(c.f64, i, t.lastOf(op.local), row, v, at);
        return;
      }
      case 'first':
        values[op.slot] = firstGet(c.f64, i);
        if (match && at < c.f64[i]!) c.f64[i] = at;
        return;
      case 'hist':
        values[op.slot] = histCopy(c.u32, i, op.size, op.nums);
        if (match) c.u32[2 * i + (op.hour ? hourOf(at) : dayOf(at))]!++;
        return;
      case 'neighbors': {
        values[op.slot] = t.neighborLists[op.local]?.[row] ?? op.empty;
        const v = cp.ids[op.of];
        if (match && v !== undefined)
          neighborsAdd(c, i, op.size, t.neighborsOf(op.local), row, v, cp.hashes[op.of]!, at);
        return;
      }
      case 'cluster':
        values[op.slot] = clusterWrite(cp, op, app, c, i - op.off, id, at, match);
        return;
      default:
        assertNever(op.kind);
    }
  }

  /** Reads one spec of an entity without changing anything (readAs). */
  function runRead(
    cp: CompiledPlan,
    op: Op,
    app: AppState | undefined,
    t: EntityTable | undefined,
    row: number | undefined,
    id: string,
    at: number,
  ): void {
    const values = cp.values;
    if (op.kind === 'cluster') {
      const g = app?.clusters[op.local];
      const node = g?.lookup(MEMBER_GROUP, id);
      values[op.slot] = { size: node === undefined || g === undefined ? 1 : g.membersOf(node) };
      return;
    }
    if (t === undefined || row === undefined) {
      values[op.slot] = op.empty;
      return;
    }
    const c = t.chunks[row >>> CHUNK_SHIFT]!;
    const i = (row & CHUNK_MASK) * t.words + op.off;
    switch (op.kind) {
      case 'count':
        values[op.slot] = countSum(c, i, op.buckets, Math.floor(at / op.width));
        return;
      case 'sum':
        values[op.slot] = sumSum(c, i, op.buckets, Math.floor(at / op.width));
        return;
      case 'distinct':
        values[op.slot] = distinctCount(
          c,
          i,
          t.distinctBig[op.local],
          row,
          op.buckets,
          Math.floor(at / op.width),
        );
        return;
      case 'stats':
        values[op.slot] = statsValue(c.f64, i, op.halfLife);
        return;
      case 'last':
        values[op.slot] = lastGet(c.f64, i, t.lastValues[op.local], row);
        return;
      case 'first':
        values[op.slot] = firstGet(c.f64, i);
        return;
      case 'hist':
        values[op.slot] = histCopy(c.u32, i, op.size, op.nums);
        return;
      case 'neighbors':
        values[op.slot] = t.neighborLists[op.local]?.[row] ?? op.empty;
        return;
      default:
        assertNever(op.kind);
    }
  }

  function evaluate(plan: FeaturePlan, e: VigilEvent): FeatureSnapshot {
    let cp = lastCompiled;
    if (plan !== lastPlan || cp === undefined) {
      cp = compiled.get(plan) ?? compile(plan);
      lastPlan = plan;
      lastCompiled = cp;
    }
    const values = cp.values;
    const at = e.at;
    if (typeof at !== 'number' || !Number.isFinite(at)) {
      for (const g of cp.groups) for (const op of g.ops) values[op.slot] = op.empty;
      return cp.snapshot;
    }
    const tid = cp.types.size === 0 ? 0 : (cp.types.get(e.type) ?? 0);
    for (let f = 0; f < cp.lastFields.length; f++) cp.lastValues[f] = lastFieldValue(e, cp.lastFields[f]!);
    for (let f = 0; f < cp.numFields.length; f++) cp.numValues[f] = numericFieldValue(e, cp.numFields[f]!);
    const stamp = (cp.stamp = cp.stamp + 1);
    const ids = cp.ids;
    for (const k of cp.idKinds) ids[k] = entityId(e, ENTITY_KINDS[k]!);
    for (const k of cp.hashKinds) {
      const v = ids[k];
      cp.hashes[k] = v === undefined ? 0 : hashString32(v);
    }
    let app = appFor(e.app);
    for (const g of cp.groups) {
      const id = ids[g.kind];
      if (id === undefined) {
        for (const op of g.ops) values[op.slot] = op.empty;
        continue;
      }
      if (g.write) {
        app ??= createApp(e.app);
        let t = app.tables[g.ns];
        if (t === undefined) {
          t = new EntityTable(reg.layouts[g.ns]!);
          while (app.tables.length < g.ns) app.tables.push(undefined);
          app.tables[g.ns] = t;
        }
        let row: number;
        if (cp.readStamp[g.kind] === stamp && cp.readTable[g.kind] === t && cp.readRow[g.kind]! >= 0) {
          row = cp.readRow[g.kind]!;
          t.touchRow(row, at);
        } else row = t.touch(id, at);
        const c = t.chunks[row >>> CHUNK_SHIFT]!;
        const base = (row & CHUNK_MASK) * t.words;
        cp.rowStamp[g.kind] = stamp;
        cp.rowChunk[g.kind] = c;
        cp.rowBase[g.kind] = base;
        for (const op of g.ops) runWrite(cp, op, app, t, c, base + op.off, row, id, at, tid);
      } else {
        const t = app?.tables[g.ns];
        const row = t?.ids.get(id);
        cp.readStamp[g.kind] = stamp;
        cp.readTable[g.kind] = t;
        cp.readRow[g.kind] = row ?? -1;
        for (const op of g.ops) runRead(cp, op, app, t, row, id, at);
      }
    }
    return cp.snapshot;
  }

  /**
   * Walks the node-cache words of every cluster of an app: `rebuild` sets them from the
   * union-find (after it renumbered its nodes), `verify` throws unless they match it (restore).
   */
  function clusterWords(app: AppState, clusters: readonly StateDef[], mode: 'rebuild' | 'verify'): void {
    for (const def of clusters) {
      const g = app.clusters[def.local];
      [def.ns, ...def.viaNs].forEach((ns, group) => {
        const t = app.tables[ns];
        if (t === undefined) return;
        const off = def.nodeOffs[group]!;
        for (let row = 0; row < t.size; row++) {
          const f = t.chunks[row >>> CHUNK_SHIFT]!.f64;
          const w = (row & CHUNK_MASK) * t.words + off;
          const key = t.keys[row];
          const node = key === undefined ? undefined : g?.lookup(group, key);
          const want = node === undefined ? 0 : node + 1;
          if (mode === 'rebuild') f[w] = want;
          else if (f[w] !== want && !(key !== undefined && f[w] === 0))
            throw corruptSnapshot(`cluster node of ${key ?? `free row ${row}`} does not match`);
        }
      });
    }
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
      else clusterWords(app, reg.clusters, 'rebuild');
    }
    lastAppName = undefined;
    lastApp = undefined;
    return dropped;
  }

  function snapshot(): Uint8Array {
    // Room for the rows, keys and cluster nodes up front; side values grow the buffer if needed.
    let size = 4096 + reg.defs.length * 64;
    for (const app of apps.values()) {
      for (const t of app.tables)
        if (t !== undefined) {
          let sides = 0;
          for (const a of t.lastValues) if (a !== undefined) sides++;
          for (const a of t.neighborLists) if (a !== undefined) sides += 4;
          for (const a of t.distinctBig) if (a !== undefined) sides++;
          size += t.size * (t.words * 8 + 40 + sides * 24);
        }
      for (const g of app.clusters) if (g !== undefined) size += g.n * 64;
    }
    const w = new ByteWriter(FORMAT_VERSION, size);
    w.u32(o.maxNeighbors);
    w.u32(o.windowBuckets);
    w.u32(o.distinctExactLimit);
    w.u32(o.hllPrecision);
    w.f64(o.maxClusterLinks);
    w.u32(reg.defs.length);
    for (const d of reg.defs) {
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
    const next = emptyRegistry();
    const nDefs = r.count(1 << 20, 'state count');
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
      if (kind === 'neighbors' && size > o.maxNeighbors)
        throw corruptSnapshot(`bad neighbors size of ${key}`);
      if (!(halfLife >= 0)) throw corruptSnapshot(`bad half-life of ${key}`);
      if (next.byKey.has(key)) throw corruptSnapshot(`duplicate state ${key}`);
      register(next, key, { kind, ns, buckets, width, halfLife, size, viaNs });
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
        app.tables[ns] = EntityTable.load(r, next.layouts[ns]!, limits);
      }
      const nClusters = r.count(next.clusters.length, 'cluster count');
      for (let j = 0; j < nClusters; j++) {
        const local = r.count(next.clusters.length - 1, 'cluster index');
        const def = next.clusters[local]!;
        if (app.clusters[local] !== undefined) throw corruptSnapshot(`duplicate cluster ${def.key}`);
        while (app.clusters.length < local) app.clusters.push(undefined);
        app.clusters[local] = ClusterGraph.read(r, 1 + def.viaNs.length, o.maxClusterLinks);
      }
      clusterWords(app, next.clusters, 'verify');
      nextApps.set(name, app);
    }
    r.done();
    reg = next;
    apps = nextApps;
    compiled = new WeakMap();
    lastPlan = undefined;
    lastCompiled = undefined;
    lastAppName = undefined;
    lastApp = undefined;
  }

  function stats(): FeatureStoreStats {
    let entities = 0;
    let bytes = 1024 + reg.defs.length * 200 + mapBytes(apps.size);
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
