/**
 * @vigil/engine: the pure scoring core. Events in, decisions out; no I/O.
 *
 * - events: event types, the wire schema, validation and normalisation
 * - features: entities, feature specs, plans, the in-memory feature store
 * - detectors: the detector contract, signals, the built-in groups (lists, behaviour, shield,
 *   oracle, MAF) and their catalogue
 * - lists, rules: block/allow lists and the analyst rule DSL
 * - config, decisions: app configuration, combination and policy
 * - models, metrics: model hooks, anomaly models, evaluation metrics (ROC-AUC, PR-AUC, P@k, PSI)
 * - engine: `createEngine`, which wires it all into one pipeline
 * - ports, util: clock and randomness ports, IP and geo helpers
 * - simulator: labelled synthetic traffic for tests, benchmarks and demos
 */

// events
export * from './events/event-types.js';
export * from './events/event.js';
export * from './events/event.schema.js';
export * from './events/validate-event.js';

// features
export * from './features/entities.js';
export * from './features/feature-spec.js';
export * from './features/feature-store.js';
export * from './features/feature-snapshot.js';
export * from './features/memory-store.js';

// detectors
export * from './detectors/detector.js';
export * from './detectors/signal.js';
export * from './detectors/catalogue.js';
export * from './detectors/lists/index.js';
export * from './detectors/behavior/index.js';
export * from './detectors/shield/index.js';
export * from './detectors/oracle/index.js';
export * from './detectors/maf/index.js';

// lists
export * from './lists/list-lookup.js';
export * from './lists/list-entry.js';
export * from './lists/list-set.js';

// rules
export * from './rules/index.js';

// config
export * from './config/policy-config.js';
export * from './config/engine-config.js';

// decisions
export * from './decisions/decision.js';
export * from './decisions/combine.js';
export * from './decisions/policy-rules.js';
export * from './decisions/policy.js';
export * from './decisions/explain.js';

// models and metrics
export * from './models/model-hook.js';
export * from './models/index.js';
export * from './metrics/index.js';

// data preparation
export * from './data/index.js';

// engine
export * from './engine.js';

// ports and utilities
export * from './ports/clock.js';
export * from './util/ip.js';
export * from './util/geo.js';
export * from './util/assert-never.js';

// simulator
export * from './simulator/index.js';
