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
  // Detectors pass the same spec objects on every event: looking them up by identity skips the
  // read of `key` (specs of different kinds have different shapes, so that read is megamorphic)
  // and the string comparison. Other objects with a plan key are remembered up to a bound.
  const bySpec = new Map<FeatureSpec, number>();
  plan.specs.forEach((s) => {
    const slot = slots.get(s.key);
    if (slot !== undefined) bySpec.set(s, slot);
  });
  const maxRemembered = 4 * plan.specs.length + 64;
  return {
    get<S extends FeatureSpec>(spec: S): FeatureValueOf<S> {
      let slot = bySpec.get(spec);
      if (slot === undefined) {
        slot = slots.get(spec.key);
        if (slot === undefined) throw new Error(`feature ${spec.key} is not part of the plan`);
        if (bySpec.size < maxRemembered) bySpec.set(spec, slot);
      }
      // The store writes the value of each slot's spec kind into that slot.
      return values[slot] as FeatureValueOf<S>;
    },
  };
}
