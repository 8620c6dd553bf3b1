import type { VigilEvent } from '../events/event.js';
import type { EventType } from '../events/event-types.js';
import type { FeatureSnapshot } from '../features/feature-store.js';
import type { FeatureSpec } from '../features/feature-spec.js';
import type { ListLookup } from '../lists/list-lookup.js';
import type { Signal } from './signal.js';

/** MAF flag colours. */
export const FLAG_COLORS = ['GREEN', 'YELLOW', 'RED'] as const;
export type FlagColor = (typeof FLAG_COLORS)[number];

/**
 * Results that are not signals: scores of their own that the decision reports and the policy
 * uses (behaviour score, MAF flag). Detectors write the facets they own; others read them in
 * the decision stage.
 */
export interface Facets {
  /** Behaviour score 0..100, higher is more trustworthy (BSE). */
  behaviorScore?: number;
  /** Anomaly flag colour (MAF). */
  flag?: FlagColor;
  /** MAF anomaly names detected on this event. */
  anomalies?: string[];
  /** Per-analyzer scores 0..100 (oracle): velocity, amount, pattern, graph, timing. */
  analyzers?: Partial<Record<'velocity' | 'amount' | 'pattern' | 'graph' | 'timing', number>>;
}

/** Where a detector writes its findings. Reused across events: never keep a reference. */
export interface DetectorOutput {
  readonly signals: Signal[];
  readonly facets: Facets;
}

/** Everything a detector may read for one event. */
export interface DetectorContext {
  readonly event: VigilEvent;
  readonly features: FeatureSnapshot;
  readonly lists: ListLookup;
  /** Receipt time (epoch ms) from the clock port; `event.at` is the event's own time. */
  readonly now: number;
}

/**
 * One entry of the detector catalogue. A detector is pure: it reads the context and writes
 * signals and facets. It must not throw on any event (the engine still guards it and records a
 * failure in the decision trace).
 */
export interface Detector {
  /** Stable id, also the key of its options in an app's configuration. */
  readonly id: string;
  /** Every feature the detector reads; the engine compiles them into the plan. */
  readonly features: readonly FeatureSpec[];
  /** Event types the detector looks at; absent means all. The engine skips it for other types. */
  readonly appliesTo?: readonly EventType[];
  detect(ctx: DetectorContext, out: DetectorOutput): void;
}
