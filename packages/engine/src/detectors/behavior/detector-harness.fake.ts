import type { VigilEvent } from '../../events/event.js';
import type { FeatureSpec, FeatureValueOf } from '../../features/feature-spec.js';
import { compilePlan, type FeatureSnapshot } from '../../features/feature-store.js';
import { createMemoryFeatureStore } from '../../features/memory-store.js';
import { emptyLists } from '../../lists/list-lookup.js';
import type { Detector, DetectorOutput, Facets } from '../detector.js';
import type { Signal } from '../signal.js';

/** Value a spec reads when a test did not set one: what a store answers for an unseen entity. */
function emptyValue(spec: FeatureSpec): unknown {
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
  }
}

/**
 * A feature snapshot for unit tests: answers the given values by spec key, the empty value for
 * other declared specs, and throws (like a real plan) for a spec the detector did not declare.
 * @example
 * const snap = createFakeSnapshot(detector.features, [[ipSignups, 4]]);
 */
export function createFakeSnapshot(
  declared: readonly FeatureSpec[],
  values: readonly (readonly [FeatureSpec, unknown])[] = [],
): FeatureSnapshot {
  const byKey = new Map<string, unknown>();
  for (const s of declared) byKey.set(s.key, emptyValue(s));
  for (const [s, v] of values) {
    if (!byKey.has(s.key)) throw new Error(`test sets undeclared feature ${s.key}`);
    byKey.set(s.key, v);
  }
  return {
    get<S extends FeatureSpec>(spec: S): FeatureValueOf<S> {
      if (!byKey.has(spec.key)) throw new Error(`feature not in plan: ${spec.key}`);
      // Test fake: values are typed by the test that set them.
      return byKey.get(spec.key) as FeatureValueOf<S>;
    },
  };
}

/** What one or more detectors wrote for one event. */
export interface HarnessResult {
  readonly signals: Signal[];
  readonly facets: Facets;
}

/**
 * Runs detectors in order on one event with one snapshot, sharing one output (as the engine
 * does), honouring `appliesTo`.
 * @example const { signals, facets } = runDetectors([d], event(), snapshot);
 */
export function runDetectors(
  detectors: readonly Detector[],
  event: VigilEvent,
  features: FeatureSnapshot,
  now: number = event.at,
  out: DetectorOutput = { signals: [], facets: {} },
): HarnessResult {
  for (const d of detectors) {
    if (d.appliesTo !== undefined && !d.appliesTo.includes(event.type)) continue;
    d.detect({ event, features, lists: emptyLists, now }, out);
  }
  return out;
}

/** Epoch ms used as "now" by the tests: 2026-01-15T12:00:00Z. */
export const T0 = Date.UTC(2026, 0, 15, 12, 0, 0);

let seq = 0;
/**
 * A valid event with defaults for the fields tests rarely care about.
 * @example makeEvent({ type: 'signup', ip: '1.2.3.4' })
 */
export function makeEvent(e: Partial<VigilEvent> & Pick<VigilEvent, 'type'>): VigilEvent {
  seq += 1;
  return { id: `e${seq}`, app: 'app1', at: T0, ...e };
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
