import {
  createCatalogue,
  createEngine,
  DEFAULT_ENGINE_CONFIG,
  modelHookState,
  type Detector,
  type Engine,
  type ModelHook,
  type ModelHookState,
} from '@vigil/engine';
import { randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import type { AppDeps } from './app.js';
import { systemClock, type Clock } from './clock.js';
import type { Config } from './config.js';
import { createMetrics } from './http/metrics.js';
import { createRateLimiter } from './http/rate-limit.js';
import { createAppService } from './modules/apps/app.service.js';
import { createApiKeyStore } from './modules/auth/api-key.store.js';
import { createAuthService } from './modules/auth/auth.service.js';
import { createKeyService } from './modules/auth/key.service.js';
import { createAccessService } from './modules/access/access.service.js';
import { createBacktestService, type BacktestService } from './modules/backtests/backtest.service.js';
import { createBatchService, type BatchService } from './modules/batch/batch.service.js';
import { createPasskeyService } from './modules/access/passkey.service.js';
import { createAppEngines, type AppEngines } from './modules/config/app-engines.js';
import { createConfigService } from './modules/config/config.service.js';
import { createLlmCaseSummariser } from './modules/cases/llm-case-summariser.js';
import { createEnrichment } from './modules/enrichment/enrichment.config.js';
import { createEntityService } from './modules/entities/entity.service.js';
import { createListRegistry, withAppLists } from './modules/lists/list-registry.js';
import { createListService, type ListService } from './modules/lists/list.service.js';
import { createUserStore } from './modules/users/user.store.js';
import { createShield, type Shield } from './modules/enforcement/shield.js';
import { createEventIngest, type EventIngest } from './modules/events/event-ingest.js';
import {
  createSnapshotter,
  recoverFeatures,
  type RecoveryReport,
  type Snapshotter,
} from './modules/features/feature-recovery.js';
import { createModelHooks } from './modules/models/model-hooks.js';
import { createModelStateKeeper, type AppModelHook } from './modules/models/model-state.js';
import { createModelService, type ModelService } from './modules/models/model.service.js';
import { createModelStore } from './modules/models/model.store.js';
import { createOutbox } from './modules/outbox/outbox.js';
import {
  createChangeWatch,
  createConfigWatchSource,
  createListWatch,
  createModelWatchSource,
  type ChangeWatch,
} from './modules/watch/change-watch.js';
import { createOutboxDispatcher, type OutboxDispatcher } from './modules/outbox/outbox-dispatcher.js';
import { webhookDecisionHook } from './modules/webhooks/webhook-decision-hook.js';
import { createWebhookService } from './modules/webhooks/webhook.service.js';
import { openDatabase } from './storage/database.js';
import { migrateToLatest, type MigrationReport } from './storage/migrations.js';

/** Options of {@link createRuntime}. */
export interface RuntimeOptions {
  readonly config: Config;
  /** Default: the wall clock. */
  readonly clock?: Clock;
  /** A pino logger; absent means silent. */
  readonly logger?: FastifyBaseLogger;
  /**
   * Makes the scoring engine (with its feature store). Default `createEngine()` with the shield's
   * server-side detectors (shared intelligence, false-positive discount) after the catalogue;
   * custom engines should append `shield.detectors` the same way.
   */
  readonly createEngine?: (shield: { readonly detectors: readonly Detector[] }) => Engine;
  /** How often expired enforcements are lifted and overdue cases alerted (ms, default 30 s; 0: never). */
  readonly sweepIntervalMs?: number;
  /** How often deployed models' live scores are checked for drift (ms, default 1 h; 0: never). */
  readonly driftIntervalMs?: number;
  /**
   * Live scores in the drift reference window of a version without training scores (an imported
   * ONNX model): its first ones after it goes live or into shadow (default 1,000).
   */
  readonly driftReferenceScores?: number;
  /**
   * How often models, configurations and lists changed by another process are looked for (ms):
   * default `config.watchIntervalMs` with the wall clock, 0 (never; tests call `watch.check()`)
   * when a custom clock is given.
   */
  readonly watchIntervalMs?: number;
}

/** The wired server minus the HTTP instance: what `buildApp`, `main.ts` and the CLI share. */
export interface Runtime extends AppDeps {
  readonly config: Config;
  readonly clock: Clock;
  readonly migrations: MigrationReport;
  readonly engine: AppEngines;
  readonly ingest: EventIngest;
  readonly lists: ListService;
  readonly snapshotter: Snapshotter;
  /** How feature state was rebuilt at start. */
  readonly recovery: RecoveryReport;
  /** Enforcement, review cases and shared intelligence. */
  readonly shield: Shield;
  /** Delivers outbox messages (webhooks); running unless OUTBOX_DISPATCH=false. */
  readonly outbox: OutboxDispatcher;
  /** The model registry: training, deploy/shadow/rollback (applied without restart), labels, drift. */
  readonly models: ModelService;
  /** Backtests of candidate configurations (background jobs, resumed at start). */
  readonly backtests: BacktestService;
  readonly batches: BatchService;
  /** Picks up models, configurations and lists changed by other processes (on a timer, or `check()`). */
  readonly watch: Pick<ChangeWatch, 'check'>;
  /** Drains the commit queue, saves a final feature snapshot and closes the database. */
  close(): Promise<void>;
}

/**
 * Opens the database, runs pending migrations, rebuilds feature state (newest snapshot + replay of
 * the log after it) and wires every service; snapshots periodically when configured.
 * @example const rt = await createRuntime({ config: loadConfig(process.env) }); const app = await buildApp(rt);
 */
export async function createRuntime(opts: RuntimeOptions): Promise<Runtime> {
  const { config } = opts;
  const clock = opts.clock ?? systemClock;
  const db = await openDatabase(config.database);
  let migrations: MigrationReport;
  try {
    migrations = await migrateToLatest(db);
  } catch (err) {
    await db.close();
    throw err;
  }
  const logger = opts.logger;
  let shield: Shield;
  try {
    shield = await createShield(
      {
        db,
        clock,
        // announced through the webhook outbox in the change's own transaction
        events: {
          emit: async (tx, app, type, data) => {
            await webhooks.emit(tx, app, type, data);
          },
        },
        wake: () => dispatcher.wake(),
      },
      // case summaries by the configured LLM provider (the evidence summary when it fails)
      config.llm === undefined
        ? {}
        : {
            cases: {
              summariser: createLlmCaseSummariser(config.llm, {
                onError: (err) =>
                  logger?.warn({ err }, 'LLM case summary failed; using the evidence summary'),
              }),
            },
          },
    );
  } catch (err) {
    await db.close();
    throw err;
  }
  // Block/allow lists: one in-memory registry, each engine call reads the event's app's lists.
  const registry = createListRegistry();
  const apps = createAppService({ db, clock });
  // entries posted with shared: true are shared through the shield's intelligence
  // list writes by other processes (vigil lists import, another server) are picked up by the watch
  const listWatch = createListWatch({
    db,
    lists: createListService({ db, clock, registry, apps, intel: shield.intel }),
  });
  const lists = listWatch.lists;
  // One engine per configured app, all sharing one feature store; apps without a stored
  // configuration use the default one. The shield's server-side detectors follow the catalogue.
  const baseEngine =
    opts.createEngine ??
    ((s: { readonly detectors: readonly Detector[] }) =>
      createEngine({
        lists: registry.lookup,
        detectors: [...createCatalogue(DEFAULT_ENGINE_CONFIG), ...s.detectors],
      }));
  // Deployed and shadow models, loaded before the engines are built (their features replay too).
  const modelHooks = createModelHooks(createModelStore(db));
  /** Set once recovery is over: from then on, model changes are applied between group commits. */
  const started: { ingest?: EventIngest } = {};
  const reloadModels = async (appIds: readonly string[]): Promise<void> => {
    const { changedApps, failures } = await modelHooks.reload();
    if (failures.length > 0) logger?.error({ failures }, 'stored models that cannot be loaded');
    const changed = new Set([...changedApps, ...appIds]);
    const live = started.ingest;
    if (live === undefined) {
      applyModels(changed);
      return;
    }
    // No event is in flight while the engines change, so the highest seq now is exactly the last
    // event a newly started stateful model did not see (a replay after a crash starts it there).
    await live.exclusive(async () => {
      applyModels(changed);
      await recordStarts(live.lastSeq());
    });
  };
  // registry changes made elsewhere (vigil models deploy, another server) are picked up by the watch
  const modelSource = createModelWatchSource({ db, reload: reloadModels });
  await modelSource.prime();
  const modelLoad = await modelHooks.reload();
  if (modelLoad.failures.length > 0)
    logger?.error({ failures: modelLoad.failures }, 'stored models that cannot be loaded');
  // The model hooks each app engine was built with: stateful ones (gru) keep per-user state, so
  // they are carried into the app's next engine, saved with snapshots and restored at start.
  const hooksOf = new WeakMap<Engine, readonly ModelHook[]>();
  /** States whose start in the log is recorded (or restored with their snapshot at start). */
  const startedStates = new WeakSet<ModelHookState>();
  const liveHooks = function* (): Iterable<AppModelHook> {
    for (const appId of engine.configuredApps())
      for (const hook of hooksOf.get(engine.forApp(appId)) ?? []) yield { appId, hook };
  };
  // A registry reload builds new hook instances even for unchanged models: keep the running
  // instance of the same model version (a shadow version promoted in place takes its state along).
  const carryState = (appId: string, next: readonly ModelHook[]): readonly ModelHook[] => {
    const prev = hooksOf.get(engine.forApp(appId)) ?? [];
    return next.map((h) => {
      const state = modelHookState(h);
      if (state === undefined) return h;
      const old = prev.find(
        (o) =>
          o.id === h.id && o.version === h.version && modelHookState(o)?.fingerprint === state.fingerprint,
      );
      const oldState = old === undefined ? undefined : modelHookState(old);
      if (old === undefined || oldState === undefined || old === h) return h;
      if (old.live === h.live) return old;
      state.restore(oldState.save());
      if (startedStates.has(oldState)) startedStates.add(state);
      return h;
    });
  };
  const buildEngines = () => {
    const base = withAppLists(baseEngine(shield), registry);
    return createAppEngines({
      base,
      make: (engineConfig, appId) => {
        const models = carryState(appId, modelHooks.forApp(appId));
        const e = withAppLists(
          createEngine({
            config: engineConfig,
            store: base.store,
            lists: registry.lookup,
            detectors: [...createCatalogue(engineConfig), ...shield.detectors],
            models,
          }),
          registry,
        );
        hooksOf.set(e, models);
        return e;
      },
    });
  };
  let engine = buildEngines();
  const modelStates = createModelStateKeeper({
    db,
    clock,
    hooks: liveHooks,
    ...(logger ? { logger } : {}),
  });
  /** Records where the live stateful models that started since the last call began. */
  const recordStarts = async (seq: number): Promise<void> => {
    const fresh: AppModelHook[] = [];
    for (const h of liveHooks()) {
      const state = modelHookState(h.hook);
      if (state === undefined || startedStates.has(state)) continue;
      startedStates.add(state);
      fresh.push(h);
    }
    if (fresh.length === 0) return;
    try {
      await modelStates.recordStarts(fresh, seq);
    } catch (err) {
      // the deploy's own record (the log position when it was stored) stands in
      logger?.warn({ err }, 'recording where stateful models started failed');
    }
  };
  const configs = createConfigService({ db, clock, apps, prepare: (id, c) => engine.prepare(id, c) });
  // apps with models but no stored configuration get their own engine on the defaults
  const applyModels = (appIds: Iterable<string>): void => {
    for (const a of appIds) engine.prepare(a, configs.current(a).engine)();
  };

  let recovery: RecoveryReport;
  const configSource = createConfigWatchSource({ db, configs, ...(logger ? { logger } : {}) });
  try {
    await listWatch.source.prime();
    logger?.info(await lists.load(), 'lists loaded');
    // configurations before replay, so each app's events are replayed through its own engine
    const configReport = await configs.load();
    configSource.loaded(configReport);
    applyModels(modelHooks.apps());
    if (configReport.invalid.length > 0)
      logger?.warn(configReport, 'stored configurations that no longer validate');
    try {
      recovery = await recoverFeatures({ db, engine, store: engine.store, companion: modelStates });
    } catch (err) {
      logger?.warn({ err }, 'feature snapshot unusable; rebuilding features from the whole event log');
      engine = buildEngines();
      configSource.loaded(await configs.load());
      applyModels(modelHooks.apps());
      recovery = await recoverFeatures(
        { db, engine, store: engine.store, companion: modelStates },
        { ignoreSnapshot: true },
      );
    }
  } catch (err) {
    await db.close();
    throw err;
  }
  logger?.info(recovery, 'feature state restored');
  for (const { hook } of liveHooks()) {
    const state = modelHookState(hook);
    if (state !== undefined) startedStates.add(state);
  }

  const metrics = createMetrics({ queueDepth: () => ingest.depth() });
  const enricher = createEnrichment(config.enrichment, {
    ...(logger ? { logger } : {}),
    now: () => clock.now(),
  });
  // side effects go through the outbox: enqueued in the decision's transaction, delivered after
  const outbox = createOutbox({ clock, onEnqueued: () => dispatcher.wake() });
  const webhooks = createWebhookService({ db, clock, outbox }, config.webhooks);
  const dispatcher = createOutboxDispatcher({
    db,
    clock,
    handlers: [webhooks.handler],
    ...(logger ? { logger } : {}),
  });
  const models = createModelService({
    db,
    clock,
    webhooks,
    wake: () => dispatcher.wake(),
    failureOf: (id) => modelHooks.failureOf(id),
    onChange: (appId) => modelSource.reloadNow([appId]),
    ...(opts.driftReferenceScores !== undefined ? { driftReferenceScores: opts.driftReferenceScores } : {}),
  });
  const watch = createChangeWatch({
    sources: [modelSource, configSource, listWatch.source],
    ...(logger ? { logger } : {}),
  });
  const driftMs = opts.driftIntervalMs ?? 3_600_000;
  const driftTimer =
    driftMs > 0
      ? setInterval(() => {
          models
            .checkDrift(driftMs)
            .catch((err: unknown) => logger?.warn({ err }, 'model drift check failed'));
        }, driftMs)
      : undefined;
  driftTimer?.unref();
  const ingest = createEventIngest(
    { db, engine, clock, metrics, ...(enricher ? { enrich: (e) => enricher.enrich(e) } : {}) },
    {
      commitHooks: [shield.commitHook, webhookDecisionHook(webhooks, () => dispatcher.wake())],
      maxBatch: config.groupCommitMax,
      lastSeq: recovery.lastSeq,
      onCommitError: (err) => logger?.error({ err }, 'group commit failed'),
    },
  );
  started.ingest = ingest;
  const snapshotter = createSnapshotter({
    db,
    ingest,
    store: engine.store,
    clock,
    companion: modelStates,
    initialSeq: recovery.replayed === 0 ? recovery.snapshotSeq : -1,
  });
  const timer =
    config.snapshotIntervalMs > 0
      ? setInterval(() => {
          snapshotter.snapshot().catch((err: unknown) => logger?.warn({ err }, 'feature snapshot failed'));
        }, config.snapshotIntervalMs)
      : undefined;
  timer?.unref();
  const pruneTimer = setInterval(() => {
    lists.prune().catch((err: unknown) => logger?.warn({ err }, 'pruning expired list entries failed'));
  }, 60_000);
  pruneTimer.unref();

  const auth = createAuthService(
    { keys: createApiKeyStore(db), clock },
    { onTouchError: (err) => logger?.warn({ err }, 'recording key use failed') },
  );
  const sweepMs = opts.sweepIntervalMs ?? 30_000;
  const stopSweeper =
    sweepMs > 0
      ? shield.startSweeper(sweepMs, (err) => logger?.warn({ err }, 'enforcement sweep failed'))
      : undefined;
  // replays on fresh engines with the app's lists; jobs left by a previous process are resumed
  const backtests = createBacktestService({
    db,
    clock,
    lists: registry,
    configs,
    // deployed and shadow models take part on both sides (the candidate's models.modes apply)
    models: (appId) => modelHooks.forReplay(appId),
    ...(logger ? { logger } : {}),
  });
  void backtests.resume().catch((err: unknown) => logger?.warn({ err }, 'resuming backtests failed'));
  // file scoring with each app's detectors, rules and deployed/shadow models on a fresh feature store
  // (live state untouched: stateful models get fresh hooks, as in backtests)
  const batches = createBatchService({
    db,
    clock,
    makeEngine: (appId) => {
      const live = engine.forApp(appId);
      return withAppLists(
        createEngine({
          config: live.config,
          detectors: live.detectors,
          lists: registry.lookup,
          models: modelHooks.forReplay(appId),
        }),
        registry,
      );
    },
    ...(logger ? { logger } : {}),
  });
  let closed = false;
  const runtime: Runtime = {
    config,
    db,
    clock,
    migrations,
    engine,
    ingest,
    snapshotter,
    recovery,
    shield,
    auth,
    limiter: createRateLimiter(config.rateLimit, clock),
    apps,
    lists,
    configs,
    access: createAccessService({ db, clock, users: createUserStore(db), configs }),
    passkeys: createPasskeyService({ db, clock, secret: config.sessionSecret ?? randomBytes(32) }),
    entities: createEntityService({ db, lists }),
    keys: createKeyService({ db, clock, forget: (id) => auth.forget(id) }),
    metrics,
    webhooks,
    outbox: dispatcher,
    models,
    backtests,
    batches,
    watch,
    isReady: () => !closed,
    ...(logger ? { logger } : {}),
    async close() {
      if (closed) return;
      closed = true;
      if (timer !== undefined) clearInterval(timer);
      clearInterval(pruneTimer);
      if (driftTimer !== undefined) clearInterval(driftTimer);
      try {
        await watch.stop();
        await stopSweeper?.();
        await models.idle();
        await batches.close();
        await backtests.close();
        await dispatcher.stop();
        await ingest.close();
        await snapshotter.snapshot();
      } finally {
        await db.close();
      }
    },
  };
  if (config.outboxDispatch) dispatcher.start();
  await batches.start();
  watch.start(opts.watchIntervalMs ?? (opts.clock === undefined ? config.watchIntervalMs : 0));
  return runtime;
}
