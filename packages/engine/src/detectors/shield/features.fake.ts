import type { VigilEvent } from '../../events/event.js';
import type { FeatureSnapshot } from '../../features/feature-store.js';
import type { FeatureSpec, FeatureValueOf } from '../../features/feature-spec.js';
import { emptyLists, type ListLookup } from '../../lists/list-lookup.js';
import { assertNever } from '../../util/assert-never.js';
import type { Detector, DetectorOutput } from '../detector.js';
import type { Signal } from '../signal.js';

/** A feature snapshot for tests whose values are set by hand. */
export interface FakeFeatures extends FeatureSnapshot {
  set<S extends FeatureSpec>(spec: S, value: FeatureValueOf<S>): FakeFeatures;
}

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
    default:
      return assertNever(spec);
  }
}

/**
 * A snapshot answering the given plan: values set with `set`, an empty entity's value otherwise.
 * Like the real store, asking for a spec outside the plan throws, so tests catch a detector
 * that reads a feature it did not declare.
 * @example const f = createFakeFeatures(detector.features).set(spec, 4);
 */
export function createFakeFeatures(plan: readonly FeatureSpec[]): FakeFeatures {
  const planned = new Map<string, FeatureSpec>(plan.map((s) => [s.key, s]));
  const values = new Map<string, unknown>();
  const fake: FakeFeatures = {
    get<S extends FeatureSpec>(spec: S): FeatureValueOf<S> {
      const known = planned.get(spec.key);
      if (known === undefined) throw new Error(`feature not in plan: ${spec.key}`);
      // Test-only: values were type-checked by `set`.
      return (values.has(spec.key) ? values.get(spec.key) : emptyValue(known)) as FeatureValueOf<S>;
    },
    set(spec, value) {
      if (!planned.has(spec.key)) throw new Error(`feature not in plan: ${spec.key}`);
      values.set(spec.key, value);
      return fake;
    },
  };
  return fake;
}

/** 2026-01-05 12:00:00 UTC, a Monday: the default time of test events. */
export const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);

/**
 * A test event with defaults for the required fields.
 * @example testEvent({ type: 'payment', user: 'u1', amount: 10 })
 */
export function testEvent(fields: Partial<VigilEvent> = {}): VigilEvent {
  return { id: 'e1', app: 'casino', type: 'login', at: T0, ...fields };
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
  const out: DetectorOutput = { signals: [], facets: {} };
  if (detector.appliesTo !== undefined && !detector.appliesTo.includes(event.type)) return out.signals;
  detector.detect({ event, features, lists, now }, out);
  return out.signals;
}
