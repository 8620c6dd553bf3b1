import type { FeatureSpec, FeatureValueOf } from './feature-spec.js';
import type { FeaturePlan, FeatureSnapshot } from './feature-store.js';

/**
 * A {@link FeatureSnapshot} over an array of values indexed by plan slot. The memory store keeps
 * one per plan and overwrites its values on every `evaluate` of that plan: a snapshot (and the
 * arrays it returns for `hist`) stays valid until the next `evaluate` call on the same store;
 * copy what must live longer.
 * @example
 * const values: unknown[] = [3];
 * createFeatureSnapshot(plan, values).get(count({ entity: 'ip', window: HOUR })); // 3
 */
export function createFeatureSnapshot(plan: FeaturePlan, values: readonly unknown[]): FeatureSnapshot {
  const slots = plan.slots;
  return {
    get<S extends FeatureSpec>(spec: S): FeatureValueOf<S> {
      const slot = slots.get(spec.key);
      if (slot === undefined) throw new Error(`feature ${spec.key} is not part of the plan`);
      // The store writes the value of each slot's spec kind into that slot.
      return values[slot] as FeatureValueOf<S>;
    },
  };
}
