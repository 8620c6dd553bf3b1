import { modelHookState, type ModelHook, type ModelHookState } from '@vigil/engine';
import type { FastifyBaseLogger } from 'fastify';
import type { Db } from '../../storage/database.js';
import type { SnapshotCompanion } from '../features/feature-recovery.js';
import type { ModelStatesTable, ModelStateTables } from './model-state.migration.js';
import { createModelStore } from './model.store.js';

/*
 * Why a saved state rather than a replay of each user's recent events at start: the GRU carries
 * its hidden state over a user's whole history (training cuts sequences into chunks, scoring
 * never does), and which users it still holds depends on every user's events (least recently
 * seen forgotten first). No bounded replay rebuilds that exactly; the state itself is small
 * (hidden size + 1 numbers per user) and is captured between the same two group commits as the
 * feature bytes, so restoring both and replaying the log after them resumes bit for bit.
 */

/** A model hook in use by an app's live engine. */
export interface AppModelHook {
  readonly appId: string;
  readonly hook: ModelHook;
}

/** What {@link ModelStateKeeper.restore} did, per stateful model. */
export interface ModelStateRestoreReport {
  /** `app/model@version` restored with its saved state. */
  readonly restored: readonly string[];
  /** Started afresh: no state saved for this version, or the saved one was unusable. */
  readonly fresh: readonly string[];
}

/** Saves and restores the state of every stateful model beside the feature snapshots. */
export interface ModelStateKeeper extends SnapshotCompanion {
  /** The last restore's report (empty before one). */
  lastRestore(): ModelStateRestoreReport;
  /**
   * Records that these hooks' states began (fresh) after the event at `seq`: the replay after a
   * crash clears them there (see {@link SnapshotCompanion.replayStarts}).
   */
  recordStarts(hooks: readonly AppModelHook[], seq: number): Promise<void>;
}

function table(db: Db) {
  return db.kysely.withTables<ModelStateTables>();
}

const nameOf = (x: { readonly appId: string; readonly hook: ModelHook }): string =>
  `${x.appId}/${x.hook.id}@${x.hook.version ?? ''}`;

/**
 * Creates the keeper. `hooks` lists the hooks of the engines scoring now (the live instances,
 * whose state advances); a state is tied to its app, model name, registry version and the
 * model's fingerprint, so another deployed version starts clean. An unusable saved state (corrupt,
 * another model's) is logged and ignored: that model starts afresh, start-up goes on.
 * @example
 * const keeper = createModelStateKeeper({ db, hooks: () => liveHooks(), logger });
 * await recoverFeatures({ db, engine, store: engine.store, companion: keeper });
 * createSnapshotter({ db, ingest, store: engine.store, clock, companion: keeper });
 */
export function createModelStateKeeper(deps: {
  readonly db: Db;
  readonly hooks: () => Iterable<AppModelHook>;
  readonly clock: { now(): number };
  readonly logger?: Pick<FastifyBaseLogger, 'info' | 'warn'>;
}): ModelStateKeeper {
  const { logger } = deps;
  let report: ModelStateRestoreReport = { restored: [], fresh: [] };
  const stateful = (): {
    readonly appId: string;
    readonly hook: ModelHook;
    readonly state: ModelHookState;
  }[] => {
    const out: { appId: string; hook: ModelHook; state: ModelHookState }[] = [];
    const seen = new Set<ModelHookState>();
    for (const { appId, hook } of deps.hooks()) {
      const state = modelHookState(hook);
      if (state === undefined || seen.has(state)) continue;
      seen.add(state);
      out.push({ appId, hook, state });
    }
    return out;
  };
  return {
    capture() {
      const at = deps.clock.now();
      const rows = stateful().map(({ appId, hook, state }) => {
        const bytes = state.save();
        return {
          app_id: appId,
          model: hook.id,
          version: hook.version ?? '',
          fingerprint: state.fingerprint,
          users: state.users,
          size: bytes.byteLength,
          bytes: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
          created_at: at,
        };
      });
      return async (tx, snapshotId) => {
        // states of snapshots pruned since the last write
        await table(tx)
          .deleteFrom('model_states')
          .where('snapshot_id', 'not in', (eb) => eb.selectFrom('feature_snapshots').select('id'))
          .execute();
        for (const r of rows) {
          const row: ModelStatesTable = { snapshot_id: snapshotId, ...r };
          await table(tx).insertInto('model_states').values(row).execute();
        }
      };
    },

    async restore(snapshotId) {
      const models = stateful();
      const restored: string[] = [];
      const fresh: string[] = [];
      if (models.length === 0) {
        report = { restored, fresh };
        return;
      }
      let saved: readonly ModelStatesTable[];
      try {
        saved = await table(deps.db)
          .selectFrom('model_states')
          .selectAll()
          .where('snapshot_id', '=', snapshotId)
          .execute();
      } catch (err) {
        logger?.warn({ err }, 'saved model states unreadable; stateful models start afresh');
        saved = [];
      }
      for (const m of models) {
        const name = nameOf(m);
        const version = m.hook.version ?? '';
        const row = saved.find((r) => r.app_id === m.appId && r.model === m.hook.id && r.version === version);
        m.state.clear();
        if (row === undefined) {
          const others = saved.filter((r) => r.app_id === m.appId && r.model === m.hook.id);
          logger?.info(
            { model: name, savedVersions: others.map((r) => r.version) },
            others.length > 0
              ? 'model state saved for another version; this version starts afresh'
              : 'no model state saved for this version; it starts afresh',
          );
          fresh.push(name);
          continue;
        }
        try {
          if (row.fingerprint !== m.state.fingerprint)
            throw new Error(`saved for model ${row.fingerprint}, this model is ${m.state.fingerprint}`);
          m.state.restore(new Uint8Array(row.bytes));
          restored.push(name);
        } catch (err) {
          m.state.clear();
          logger?.warn({ err, model: name }, 'saved model state unusable; the model starts afresh');
          fresh.push(name);
        }
      }
      report = { restored, fresh };
      if (restored.length > 0) logger?.info({ restored }, 'model states restored');
    },

    reset() {
      for (const m of stateful()) m.state.clear();
      report = { restored: [], fresh: [] };
    },

    async replayStarts(fromSeq) {
      const models = stateful();
      if (models.length === 0) return [];
      let starts;
      try {
        starts = await createModelStore(deps.db).stateStarts();
      } catch (err) {
        logger?.warn({ err }, 'model state starts unreadable; stateful models replay every event');
        return [];
      }
      const out: { seq: number; begin(): void }[] = [];
      for (const m of models) {
        const s = starts.find(
          (x) => x.appId === m.appId && x.name === m.hook.id && String(x.version) === m.hook.version,
        );
        // a start at the snapshot itself counts: the saved state may predate this deployment
        if (s === undefined || s.seq < fromSeq) continue;
        out.push({ seq: s.seq, begin: () => m.state.clear() });
      }
      if (out.length > 0)
        logger?.info(
          { models: out.length, from: Math.min(...out.map((o) => o.seq)) },
          'stateful models deployed after the snapshot replay only the events after their start',
        );
      return out;
    },

    async recordStarts(hooks, seq) {
      const store = createModelStore(deps.db);
      for (const { appId, hook } of hooks) {
        const version = Number(hook.version);
        if (!Number.isSafeInteger(version)) continue;
        await store.setStateStart(appId, hook.id, version, seq);
      }
    },

    lastRestore: () => report,
  };
}
