import type { VigilEvent } from '../../events/event.js';
import { emptyLists, type ListLookup } from '../../lists/list-lookup.js';
import type { Detector, DetectorOutput } from '../detector.js';
import type { FeatureSnapshot } from '../../features/feature-store.js';
import type { FeatureSpec, FeatureValueOf } from '../../features/feature-spec.js';

/** A feature snapshot for tests whose values are set by hand. */
export interface FakeSnapshot extends FeatureSnapshot {
  set<S extends FeatureSpec>(spec: S, value: FeatureValueOf<S>): FakeSnapshot;
}

function emptyValue(spec: FeatureSpec): FeatureValueOf<FeatureSpec> {
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
 * A tiny stand-in for the feature store: a map from spec key to value, with each kind's empty
 * value by default. Like the real snapshot, asking for a spec outside `plan` throws, so tests
 * catch a detector reading a feature it did not declare.
 * @example
 * const snap = createFakeSnapshot(detector.features).set(F.window, 12);
 */
export function createFakeSnapshot(plan: readonly FeatureSpec[]): FakeSnapshot {
  const keys = new Set(plan.map((s) => s.key));
  const values = new Map<string, unknown>();
  const snap: FakeSnapshot = {
    get<S extends FeatureSpec>(spec: S): FeatureValueOf<S> {
      if (!keys.has(spec.key)) throw new Error(`feature not in plan: ${spec.key}`);
      const v = values.has(spec.key) ? values.get(spec.key) : emptyValue(spec);
      return v as FeatureValueOf<S>;
    },
    set(spec, value) {
      if (!keys.has(spec.key)) throw new Error(`feature not in plan: ${spec.key}`);
      values.set(spec.key, value);
      return snap;
    },
  };
  return snap;
}

/** A fresh detector output, as the engine hands one to each detector. */
export function createOutput(): DetectorOutput {
  return { signals: [], facets: {} };
}

/**
 * Runs one detector on one event against a snapshot and returns what it wrote.
 * @example const out = runDetector(d, event, createFakeSnapshot(d.features));
 */
export function runDetector(
  detector: Detector,
  event: VigilEvent,
  features: FeatureSnapshot,
  lists: ListLookup = emptyLists,
): DetectorOutput {
  const out = createOutput();
  detector.detect({ event, features, lists, now: event.at }, out);
  return out;
}
