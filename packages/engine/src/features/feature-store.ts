import type { VigilEvent } from '../events/event.js';
import type { FeatureSpec, FeatureValueOf } from './feature-spec.js';

/**
 * The compiled needs of every detector and rule: each distinct spec once, with a slot number.
 * Built by `compilePlan`; a store answers a whole plan per event in one pass (memory) or one
 * round trip (Redis).
 */
export interface FeaturePlan {
  readonly specs: readonly FeatureSpec[];
  /** Slot of a spec by key, for snapshots. */
  readonly slots: ReadonlyMap<string, number>;
}

/** The feature values for one event, read by detectors. */
export interface FeatureSnapshot {
  /**
   * The value of a spec that is part of the plan. Asking for a spec outside the plan throws
   * (a programming error caught by the detector's tests, never a data error).
   */
  get<S extends FeatureSpec>(spec: S): FeatureValueOf<S>;
}

/** Memory accounting of a store. */
export interface FeatureStoreStats {
  readonly entities: number;
  readonly bytes: number;
}

/** A synchronous feature store (the in-memory one). */
export interface FeatureStore {
  /** Applies the event to every spec of the plan and returns the values (see each spec kind for before/after semantics). */
  evaluate(plan: FeaturePlan, event: VigilEvent): FeatureSnapshot;
  /** Drops state idle since before `before` (epoch ms); returns how many entities were dropped. */
  expire(before: number): number;
  /** Serialises all state. `restore(snapshot())` gives a store that answers exactly the same. */
  snapshot(): Uint8Array;
  restore(bytes: Uint8Array): void;
  stats(): FeatureStoreStats;
}

/** The same contract for stores that answer over the network (Redis): one round trip per event. */
export interface AsyncFeatureStore {
  evaluate(plan: FeaturePlan, event: VigilEvent): Promise<FeatureSnapshot>;
}

/**
 * Compiles the specs of every detector and rule into one plan, each distinct key once.
 * @example const plan = compilePlan([count({ entity: 'ip', window: HOUR })]);
 */
export function compilePlan(specs: Iterable<FeatureSpec>): FeaturePlan {
  const out: FeatureSpec[] = [];
  const slots = new Map<string, number>();
  for (const s of specs) {
    if (slots.has(s.key)) continue;
    slots.set(s.key, out.length);
    out.push(s);
  }
  return { specs: out, slots };
}
