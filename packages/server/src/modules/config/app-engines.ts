import type { Engine, EngineConfig } from '@vigil/engine';
import type { ConfigApplier } from './config.service.js';

/**
 * One engine per configured app behind the single `Engine` the event intake and the feature
 * recovery use: each call is routed by the event's app to that app's engine, or to the base engine
 * (the default configuration) for apps without one. Every engine must share the base engine's
 * feature store, so features keep accumulating across a configuration change and one snapshot
 * covers every app.
 */
export interface AppEngines extends Engine {
  /** Builds an app's engine for a configuration (throws when it cannot) and returns the installer. */
  readonly prepare: ConfigApplier;
  /** The engine scoring an app's events now. */
  forApp(appId: string): Engine;
  /** Apps running on their own configuration. */
  configuredApps(): readonly string[];
}

/**
 * Creates the router. `make` builds an app's engine; give it the base engine's store (and the
 * same lists) so state is shared.
 * @example
 * const store = createMemoryFeatureStore();
 * const make = (config: EngineConfig) => withAppLists(createEngine({ config, store, lists: registry.lookup }), registry);
 * const engines = createAppEngines({ base: make(DEFAULT_ENGINE_CONFIG), make });
 * const configs = createConfigService({ db, clock, apps, prepare: engines.prepare });
 * const ingest = createEventIngest({ db, engine: engines, clock, metrics });
 */
export function createAppEngines(deps: {
  readonly base: Engine;
  readonly make: (config: EngineConfig, appId: string) => Engine;
}): AppEngines {
  const { base } = deps;
  const engines = new Map<string, Engine>();
  const forApp = (appId: string): Engine => engines.get(appId) ?? base;
  const appOf = (input: unknown, fallback: string | undefined): string => {
    // validateEvent prefers the event's own app over the default
    const own = typeof input === 'object' && input !== null && 'app' in input ? input.app : undefined;
    return typeof own === 'string' ? own : (fallback ?? '');
  };
  return {
    config: base.config,
    plan: base.plan,
    store: base.store,
    detectors: base.detectors,
    prepare(appId, config) {
      const engine = deps.make(config, appId);
      if (engine.store !== base.store) throw new Error('an app engine must share the base feature store');
      return () => {
        engines.set(appId, engine);
      };
    },
    forApp,
    configuredApps: () => [...engines.keys()],
    score: (event, now) => forApp(event.app).score(event, now),
    decide: (event, features, now) => forApp(event.app).decide(event, features, now),
    process: (input, opts) => forApp(appOf(input, opts.app)).process(input, opts),
  };
}
