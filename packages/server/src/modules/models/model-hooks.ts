import { createLiveModelHook, type ModelHook } from '@vigil/engine';
import type { ModelRecordWithPackage, ModelStore } from './model.store.js';
import { loadOnnxPackage, type LoadedOnnxModel, type OnnxRuntimeOptions } from './onnx/onnx-import.js';
import { createOnnxModelHook } from './onnx/onnx-model-hook.js';
import { ONNX_KIND } from './onnx/onnx-package.js';

/** A stored model that could not be turned into a hook (corrupt package, non-live columns). */
export interface ModelLoadFailure {
  readonly id: string;
  readonly appId: string;
  readonly name: string;
  readonly version: number;
  readonly error: string;
}

/** The deployed and shadow models of every app, as engine hooks. */
export interface ModelHooks {
  /** Reloads every active model from the database; returns the apps whose hooks changed and the failures. */
  reload(): Promise<{
    readonly changedApps: readonly string[];
    readonly failures: readonly ModelLoadFailure[];
  }>;
  /** The hooks of an app (empty when it has none). Synchronous: called while building engines. */
  forApp(appId: string): readonly ModelHook[];
  /**
   * Hooks for a separate replay (backtests): stateless hooks are shared, stateful ones (gru keeps
   * per-user state) are built afresh on every call so a replay never advances the live state.
   */
  forReplay(appId: string): readonly ModelHook[];
  /** Apps that have at least one loaded model. */
  apps(): readonly string[];
  /** The failure of a stored model, if its last load failed. */
  failureOf(id: string): string | undefined;
}

/** What a hook is built from: a stored version's identity, kind, status and package. */
export type ModelHookSource = Pick<
  ModelRecordWithPackage,
  'id' | 'name' | 'version' | 'kind' | 'status' | 'package'
>;

/** Options of {@link createModelHooks} and {@link loadModelHook}. */
export interface ModelHooksOptions {
  /** How the optional ONNX runtime is reached (tests inject a missing one). */
  readonly onnx?: OnnxRuntimeOptions;
}

/**
 * Builds the hook of one stored version of an engine-package kind (iforest, gbdt, rf, xgboost,
 * gru); the hook id is the model's name, its version the registry version. Throws with the
 * package's or the column's problem; an onnx version loads asynchronously: {@link loadModelHook}.
 * @example const hook = hookOf(record);
 */
export function hookOf(r: ModelHookSource, live = r.status === 'deployed'): ModelHook {
  if (r.package === null) throw new Error(`model ${r.id} has no package`);
  if (r.kind === ONNX_KIND) throw new Error(`model ${r.id} is an onnx model: load it with loadModelHook`);
  return createLiveModelHook(r.package, { id: r.name, version: String(r.version), live });
}

const hookOptions = (r: ModelHookSource, live: boolean) => ({
  id: r.name,
  version: String(r.version),
  live,
});

/**
 * Builds the hook of one stored version of any kind. An onnx version gets its own session, which
 * `dispose` frees (deploy and shadow validate with it; the registry keeps its own sessions).
 * @example const { hook, dispose } = await loadModelHook(record, true); dispose();
 */
export async function loadModelHook(
  r: ModelHookSource,
  live = r.status === 'deployed',
  opts: ModelHooksOptions = {},
): Promise<{ readonly hook: ModelHook; dispose(): void }> {
  if (r.kind !== ONNX_KIND) return { hook: hookOf(r, live), dispose: () => undefined };
  if (r.package === null) throw new Error(`model ${r.id} has no package`);
  const model = await loadOnnxPackage(r.package, opts.onnx);
  try {
    return { hook: createOnnxModelHook(model, hookOptions(r, live)), dispose: () => model.dispose() };
  } catch (err) {
    model.dispose();
    throw err;
  }
}

/**
 * Keeps one hook list per app, rebuilt from the registry; corrupt packages are reported and never
 * loaded. Reloads run one at a time. An onnx version's session is loaded once and kept while the
 * version stays deployed or shadow (a reload only rebuilds its cheap hook); a session dropped from
 * the registry is not disposed, as an engine or a backtest replay may still hold its hook: the
 * garbage collector frees it with the last hook.
 * @example const hooks = createModelHooks(createModelStore(db)); await hooks.reload(); hooks.forApp(appId);
 */
export function createModelHooks(
  store: Pick<ModelStore, 'active'>,
  opts: ModelHooksOptions = {},
): ModelHooks {
  interface Loaded {
    readonly key: string;
    readonly hooks: readonly ModelHook[];
    readonly records: readonly ModelRecordWithPackage[];
  }
  let byApp = new Map<string, Loaded>();
  let failures = new Map<string, string>();
  /** Loaded onnx sessions by version id, with the package text they were loaded from. */
  let sessions = new Map<string, { readonly text: string; readonly model: LoadedOnnxModel }>();
  const onnxHook = async (
    r: ModelRecordWithPackage,
    next: Map<string, { readonly text: string; readonly model: LoadedOnnxModel }>,
  ): Promise<ModelHook> => {
    if (r.package === null) throw new Error(`model ${r.id} has no package`);
    const cached = sessions.get(r.id);
    const model =
      cached !== undefined && cached.text === r.package
        ? cached.model
        : await loadOnnxPackage(r.package, opts.onnx);
    next.set(r.id, { text: r.package, model });
    return createOnnxModelHook(model, hookOptions(r, r.status === 'deployed'));
  };
  let queue: Promise<unknown> = Promise.resolve();
  const reload = async () => {
    const next = new Map<string, { key: string; hooks: ModelHook[]; records: ModelRecordWithPackage[] }>();
    const failed: ModelLoadFailure[] = [];
    const nextFailures = new Map<string, string>();
    const nextSessions = new Map<string, { readonly text: string; readonly model: LoadedOnnxModel }>();
    for (const r of await store.active()) {
      let hook: ModelHook;
      try {
        hook = r.kind === ONNX_KIND ? await onnxHook(r, nextSessions) : hookOf(r);
      } catch (err) {
        const error = err instanceof Error ? err.message : String(err);
        failed.push({ id: r.id, appId: r.appId, name: r.name, version: r.version, error });
        nextFailures.set(r.id, error);
        continue;
      }
      const e = next.get(r.appId) ?? { key: '', hooks: [], records: [] };
      e.hooks.push(hook);
      e.records.push(r);
      e.key += `${r.id}:${r.status};`;
      next.set(r.appId, e);
    }
    const changed = new Set<string>();
    for (const [app, e] of next) if (byApp.get(app)?.key !== e.key) changed.add(app);
    for (const app of byApp.keys()) if (!next.has(app)) changed.add(app);
    byApp = next;
    failures = nextFailures;
    sessions = nextSessions;
    return { changedApps: [...changed], failures: failed };
  };
  return {
    reload() {
      const run = queue.then(reload);
      queue = run.catch(() => undefined);
      return run;
    },
    forApp: (appId) => byApp.get(appId)?.hooks ?? [],
    forReplay(appId) {
      const e = byApp.get(appId);
      if (e === undefined) return [];
      return e.hooks.map((h, i) => (e.records[i]!.kind === 'gru' ? hookOf(e.records[i]!) : h));
    },
    apps: () => [...byApp.keys()],
    failureOf: (id) => failures.get(id),
  };
}
