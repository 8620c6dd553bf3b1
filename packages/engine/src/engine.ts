import { DEFAULT_ENGINE_CONFIG, type EngineConfig } from './config/engine-config.js';
import type { Decision, DetectorFailure, ModelScore } from './decisions/decision.js';
import { createPolicy, type Escalation } from './decisions/policy.js';
import { createCatalogue } from './detectors/catalogue.js';
import type { Detector, DetectorContext, Facets } from './detectors/detector.js';
import { escalate as mafEscalate } from './detectors/maf/index.js';
import type { Signal } from './detectors/signal.js';
import { BUILTIN_EVENT_TYPES, type EventType } from './events/event-types.js';
import type { VigilEvent } from './events/event.js';
import { validateEvent, type Validated, type ValidateEventOptions } from './events/validate-event.js';
import { createMemoryFeatureStore } from './features/memory-store.js';
import {
  compilePlan,
  type FeaturePlan,
  type FeatureSnapshot,
  type FeatureStore,
} from './features/feature-store.js';
import type { FeatureSpec } from './features/feature-spec.js';
import { emptyLists, type ListLookup } from './lists/list-lookup.js';
import type { ModelHook } from './models/model-hook.js';

/** Options of {@link createEngine}. @example createEngine({ config, lists, models: [iforest] }); */
export interface EngineOptions {
  /** The app's configuration (see `parseEngineConfig`). Default {@link DEFAULT_ENGINE_CONFIG}. */
  readonly config?: EngineConfig;
  /** Block/allow lists. Default: nothing listed. */
  readonly lists?: ListLookup;
  /** Feature store used by `score`. Default: a new in-memory store. */
  readonly store?: FeatureStore;
  /** Trained models (live or shadow). Default none. */
  readonly models?: readonly ModelHook[];
  /** Detectors to run instead of the built-in catalogue (`createCatalogue(config)`). */
  readonly detectors?: readonly Detector[];
}

/**
 * The scoring core for one app configuration. Synchronous and pure apart from its feature store.
 * @example const d = createEngine().score(event, Date.now()); d.outcome;
 */
export interface Engine {
  readonly config: EngineConfig;
  /** The one feature plan of every detector, rule and model. */
  readonly plan: FeaturePlan;
  readonly store: FeatureStore;
  /** The detectors that run, in order. */
  readonly detectors: readonly Detector[];
  /** Validates an untrusted event, then scores it (see `score`). Never throws. */
  process(
    input: unknown,
    opts: { readonly now: number; readonly app?: string },
  ): Validated<{ readonly event: VigilEvent; readonly decision: Decision }>;
  /** Evaluates the event's features in the engine's store (updating them) and decides. */
  score(event: VigilEvent, now: number): Decision;
  /** Decides from a feature snapshot answered elsewhere (e.g. a Redis store for the same plan). */
  decide(event: VigilEvent, features: FeatureSnapshot, now: number): Decision;
}

/** Custom event types are open-ended; cache at most this many per-type detector arrays for them. */
const MAX_CACHED_TYPES = 1024;

const EMPTY_MODELS: readonly ModelScore[] = Object.freeze([]);
const EMPTY_FAILURES: readonly DetectorFailure[] = Object.freeze([]);

function message(err: unknown): string {
  if (err instanceof Error) return err.message;
  return typeof err === 'string' ? err : 'non-error thrown';
}

function appliesTo(d: Detector, type: EventType): boolean {
  return d.appliesTo === undefined || d.appliesTo.includes(type);
}

/**
 * The detectors of one event type, with their `detect` methods read once: detectors are objects
 * of many shapes, so reading `detect` on every event is a megamorphic property load.
 */
interface DetectorList {
  readonly list: readonly Detector[];
  readonly detect: readonly Detector['detect'][];
}

function detectorList(detectors: readonly Detector[], type: EventType): DetectorList {
  const list = detectors.filter((d) => appliesTo(d, type));
  // Each method is called as `detect[i].call(list[i], ...)`, so `this` stays the detector.
  // eslint-disable-next-line @typescript-eslint/unbound-method
  return { list, detect: list.map((d) => d.detect) };
}

function byAbsValueDesc(a: { readonly value: number }, b: { readonly value: number }): number {
  return Math.abs(b.value) - Math.abs(a.value);
}

/**
 * Creates the engine: builds the detector catalogue, compiles one feature plan from every
 * detector's, rule's and model's features, precomputes the detectors of each event type, and
 * compiles the decision stage. Per event it runs each applicable detector in a try/catch (a
 * failure is recorded in `decision.failures` and the detector contributes nothing), then the
 * models, then combines and applies the policy. One detector output is reused across events;
 * each decision is a fresh object.
 * @example
 * const engine = createEngine({ config: parseEngineConfigOrThrow(appConfig), lists });
 * const r = engine.process({ id: 'e1', type: 'login', user: 'u1', ip: '1.2.3.4' }, { now: Date.now(), app: 'shop' });
 * if (r.ok) r.value.decision.outcome; // 'allow'
 */
export function createEngine(opts: EngineOptions = {}): Engine {
  const config = opts.config ?? DEFAULT_ENGINE_CONFIG;
  const lists = opts.lists ?? emptyLists;
  const store = opts.store ?? createMemoryFeatureStore();
  const detectors: readonly Detector[] = Object.freeze([...(opts.detectors ?? createCatalogue(config))]);
  const hooks = opts.models ?? [];
  const modes = config.models.modes;
  const live = hooks.map((h) => {
    const m = modes[h.id];
    return m === undefined ? h.live : m === 'live';
  });

  const specs: FeatureSpec[] = [];
  for (const d of detectors) specs.push(...d.features);
  for (const h of hooks) specs.push(...h.features);
  const plan = compilePlan(specs);

  const byType = new Map<string, DetectorList>();
  for (const t of BUILTIN_EVENT_TYPES) byType.set(t, detectorList(detectors, t));
  function detectorsFor(type: EventType): DetectorList {
    const hit = byType.get(type);
    if (hit !== undefined) return hit;
    const list = detectorList(detectors, type);
    if (byType.size < BUILTIN_EVENT_TYPES.length + MAX_CACHED_TYPES) byType.set(type, list);
    return list;
  }

  // MAF's escalation matrix, with the app's MAF options (escalate caches its table per object).
  const mafOptions = config.detectors.maf;
  const escalation: Escalation = (flag, behaviorScore) => mafEscalate(flag, behaviorScore, mafOptions);
  const policy = createPolicy(config, { escalate: escalation });
  // Reused across events: the decision stage copies what it keeps.
  const signals: Signal[] = [];
  const out: { readonly signals: Signal[]; facets: Facets } = { signals, facets: {} };

  function decide(event: VigilEvent, features: FeatureSnapshot, now: number): Decision {
    signals.length = 0;
    out.facets = {};
    let failures: DetectorFailure[] | undefined;
    let failed: number[] | undefined;
    const ctx: DetectorContext = { event, features, lists, now };

    const { list, detect } = detectorsFor(event.type);
    for (let i = 0; i < list.length; i++) {
      const d = list[i];
      const run = detect[i];
      if (d === undefined || run === undefined) continue;
      try {
        run.call(d, ctx, out);
      } catch (err) {
        (failures ??= []).push({ detector: d.id, error: message(err) });
        (failed ??= []).push(i);
        // A failed detector contributes nothing. Rather than snapshot the output before every
        // detector (the common case never needs it), rebuild it on the rare failure: detectors
        // are pure, so re-running the ones before it that succeeded gives back exactly their output.
        signals.length = 0;
        out.facets = {};
        for (let j = 0; j < i; j++) {
          const prev = list[j];
          if (prev === undefined || failed.includes(j)) continue;
          try {
            prev.detect(ctx, out);
          } catch {
            // It succeeded on the same input a moment ago; a detector that does not is impure and
            // is dropped rather than failing the event twice.
          }
        }
      }
    }
    const facets = out.facets;

    let models: ModelScore[] | undefined;
    for (let i = 0; i < hooks.length; i++) {
      const h = hooks[i];
      if (h === undefined) continue;
      try {
        const r = h.score(ctx, signals);
        if (!Number.isFinite(r.score)) throw new Error(`score is not a finite number: ${String(r.score)}`);
        const s: { -readonly [K in keyof ModelScore]: ModelScore[K] } = {
          model: h.id,
          score: r.score < 0 ? 0 : r.score > 1 ? 1 : r.score,
          live: live[i] === true,
          contributions: r.contributions.slice().sort(byAbsValueDesc),
        };
        if (h.version !== undefined) s.version = h.version;
        (models ??= []).push(s);
      } catch (err) {
        (failures ??= []).push({ detector: `model:${h.id}`, error: message(err) });
      }
    }

    return policy.decide({
      event,
      signals,
      facets,
      models: models ?? EMPTY_MODELS,
      failures: failures ?? EMPTY_FAILURES,
    });
  }

  function score(event: VigilEvent, now: number): Decision {
    return decide(event, store.evaluate(plan, event), now);
  }

  return {
    config,
    plan,
    store,
    detectors,
    decide,
    score,
    process(input, o) {
      const vo: { -readonly [K in keyof ValidateEventOptions]: ValidateEventOptions[K] } = { now: o.now };
      if (o.app !== undefined) vo.app = o.app;
      const v = validateEvent(input, vo);
      if (!v.ok) return v;
      return { ok: true, value: { event: v.value, decision: score(v.value, o.now) } };
    },
  };
}
