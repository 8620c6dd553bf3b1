import { createLiveModelHook, type ModelHook } from '@vigil/engine';
import type { ModelRecordWithPackage, ModelStore } from './model.store.js';

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

/**
 * Builds the hook of one stored version (the hook id is the model's name, its version the
 * registry version). Throws with the package's or the column's problem.
 * @example const hook = hookOf(record);
 */
export function hookOf(r: ModelRecordWithPackage, live = r.status === 'deployed'): ModelHook {
  if (r.package === null) throw new Error(`model ${r.id} has no package`);
  return createLiveModelHook(r.package, { id: r.name, version: String(r.version), live });
}

/**
 * Keeps one hook list per app, rebuilt from the registry; corrupt packages are reported and never loaded.
 * @example const hooks = createModelHooks(createModelStore(db)); await hooks.reload(); hooks.forApp(appId);
 */
export function createModelHooks(store: Pick<ModelStore, 'active'>): ModelHooks {
  interface Loaded {
    readonly key: string;
    readonly hooks: readonly ModelHook[];
    readonly records: readonly ModelRecordWithPackage[];
  }
  let byApp = new Map<string, Loaded>();
  let failures = new Map<string, string>();
  return {
    async reload() {
      const next = new Map<string, { key: string; hooks: ModelHook[]; records: ModelRecordWithPackage[] }>();
      const failed: ModelLoadFailure[] = [];
      const nextFailures = new Map<string, string>();
      for (const r of await store.active()) {
        let hook: ModelHook;
        try {
          hook = hookOf(r);
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
      return { changedApps: [...changed], failures: failed };
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
