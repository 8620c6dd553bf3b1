import type { VigilEvent } from '../../events/event.js';
import type { FeatureSpec, FeatureValueOf } from '../../features/feature-spec.js';
import { compilePlan, type FeatureSnapshot } from '../../features/feature-store.js';
import { createMemoryFeatureStore } from '../../features/memory-store.js';
import { emptyLists, type ListLookup } from '../../lists/list-lookup.js';
import { assertNever } from '../../util/assert-never.js';
import type { Detector, DetectorOutput, Facets } from '../detector.js';
import type { Signal } from '../signal.js';

/**
 * The value a spec reads when a test did not set one: what a store answers for an unseen entity.
 * @example emptyFeatureValue(count({ entity: 'ip', window: HOUR })); // 0
 */
export function emptyFeatureValue(spec: FeatureSpec): unknown {
  switch (spec.kind) {
    case 'count':
    case 'sum':
    case 'distinct':
      return 0;
    case 'stats':
      return { n: 0, mean: 0, std: 0 };
    case 'last':
    case 'first':
      return undefined;
    case 'hist':
      return new Array<number>(spec.of === 'hour' ? 24 : 7).fill(0);
    case 'neighbors':
      return [];
    case 'cluster':
      return { size: 1 };
    default:
      return assertNever(spec);
  }
}

/** A feature snapshot for tests whose values are set by hand. @example const f: FakeFeatures = createFakeFeatures(d.features).set(spec, 4); */
export interface FakeFeatures extends FeatureSnapshot {
  /** Sets the value of a planned spec (throws for a spec outside the plan); chainable. */
  set<S extends FeatureSpec>(spec: S, value: FeatureValueOf<S>): FakeFeatures;
}

/**
 * A snapshot answering the given plan: values given up front or with `set`, each kind's empty
 * value otherwise. Like the real store, asking for (or setting) a spec outside the plan throws,
 * so tests catch a detector that reads a feature it did not declare.
 * @example
 * const f = createFakeFeatures(detector.features).set(spec, 4);
 * const g = createFakeFeatures(detector.features, [[ipSignups, 4]]);
 */
export function createFakeFeatures(
  plan: readonly FeatureSpec[],
  values: readonly (readonly [FeatureSpec, unknown])[] = [],
): FakeFeatures {
  const planned = new Map<string, FeatureSpec>(plan.map((s) => [s.key, s]));
  const set = new Map<string, unknown>();
  for (const [s, v] of values) {
    if (!planned.has(s.key)) throw new Error(`test sets undeclared feature ${s.key}`);
    set.set(s.key, v);
  }
  const fake: FakeFeatures = {
    get<S extends FeatureSpec>(spec: S): FeatureValueOf<S> {
      const known = planned.get(spec.key);
      if (known === undefined) throw new Error(`feature not in plan: ${spec.key}`);
      // Test fake: values are typed by the test that set them.
      return (set.has(spec.key) ? set.get(spec.key) : emptyFeatureValue(known)) as FeatureValueOf<S>;
    },
    set(spec, value) {
      if (!planned.has(spec.key)) throw new Error(`feature not in plan: ${spec.key}`);
      set.set(spec.key, value);
      return fake;
    },
  };
  return fake;
}

/** 2026-01-05 12:00:00 UTC, a Monday: the default time of test events. @example testEvent().at === T0; // true */
export const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);

/**
 * A test event with defaults for the required fields (id 'e1', app 'casino', a login at T0).
 * @example testEvent({ type: 'payment', user: 'u1', amount: 10 })
 */
export function testEvent(fields: Partial<VigilEvent> = {}): VigilEvent {
  return { id: 'e1', app: 'casino', type: 'login', at: T0, ...fields };
}

let seq = 0;
/**
 * A valid event with a fresh id (`e1`, `e2`, ...), app 'app1' and time T0 unless given.
 * @example makeEvent({ type: 'signup', ip: '1.2.3.4' })
 */
export function makeEvent(e: Partial<VigilEvent> & Pick<VigilEvent, 'type'>): VigilEvent {
  seq += 1;
  return { id: `e${seq}`, app: 'app1', at: T0, ...e };
}

/** A fresh detector output, as the engine hands one to each detector. @example const out = createOutput(); */
export function createOutput(): DetectorOutput {
  return { signals: [], facets: {} };
}

/**
 * Runs one detector on one event the way the engine does (skipping it for types outside
 * `appliesTo`) and returns the signals it wrote.
 * @example const signals = runDetector(d, testEvent(), createFakeFeatures(d.features));
 */
export function runDetector(
  detector: Detector,
  event: VigilEvent,
  features: FeatureSnapshot,
  lists: ListLookup = emptyLists,
  now: number = event.at,
): Signal[] {
  const out = createOutput();
  if (detector.appliesTo !== undefined && !detector.appliesTo.includes(event.type)) return out.signals;
  detector.detect({ event, features, lists, now }, out);
  return out.signals;
}

/**
 * Calls one detector's `detect` directly (ignoring `appliesTo`) and returns everything it wrote,
 * signals and facets.
 * @example const out = runDetectorOutput(d, event, createFakeFeatures(d.features)); out.facets.analyzers;
 */
export function runDetectorOutput(
  detector: Detector,
  event: VigilEvent,
  features: FeatureSnapshot,
  lists: ListLookup = emptyLists,
  now: number = event.at,
): DetectorOutput {
  const out = createOutput();
  detector.detect({ event, features, lists, now }, out);
  return out;
}

/** What one or more detectors wrote for one event. @example const r: HarnessResult = runDetectors([d], e, f); */
export interface HarnessResult {
  readonly signals: Signal[];
  readonly facets: Facets;
}

/**
 * Runs detectors in order on one event with one snapshot, sharing one output (as the engine
 * does), honouring `appliesTo`.
 * @example const { signals, facets } = runDetectors([d], makeEvent({ type: 'signup' }), snapshot);
 */
export function runDetectors(
  detectors: readonly Detector[],
  event: VigilEvent,
  features: FeatureSnapshot,
  now: number = event.at,
  out: DetectorOutput = createOutput(),
): HarnessResult {
  for (const d of detectors) {
    if (d.appliesTo !== undefined && !d.appliesTo.includes(event.type)) continue;
    d.detect({ event, features, lists: emptyLists, now }, out);
  }
  return out;
}

/**
 * Detectors over one real in-memory feature store, one event after another (as the engine runs
 * them): returns a function that scores the next event and gives what the detectors wrote.
 * @example const next = createPipeline(createMafDetectors()); next({ type: 'signup', ip: '1.2.3.4' });
 */
export function createPipeline(
  detectors: readonly Detector[],
): (e: Partial<VigilEvent> & Pick<VigilEvent, 'type'>) => HarnessResult {
  const plan = compilePlan(detectors.flatMap((d) => d.features));
  const store = createMemoryFeatureStore();
  return (e) => {
    const event = makeEvent(e);
    return runDetectors(detectors, event, store.evaluate(plan, event), event.at);
  };
}
