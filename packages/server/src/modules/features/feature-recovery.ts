import type { FeatureStore, VigilEvent } from '@vigil/engine';
import type { Clock } from '../../clock.js';
import type { Db } from '../../storage/database.js';
import { parseStoredJson } from '../../storage/json.js';
import { createEventStore } from '../events/event.store.js';
import type { EventIngest, ScoringEngine } from '../events/event-ingest.js';
import { createSnapshotStore, type FeatureSnapshotRecord } from './snapshot.store.js';

/** What {@link recoverFeatures} did. */
export interface RecoveryReport {
  /** The seq the restored snapshot covered (0 without one). */
  readonly snapshotSeq: number;
  /** Events replayed after the snapshot. */
  readonly replayed: number;
  /** The highest seq now in the feature store. */
  readonly lastSeq: number;
}

/**
 * Rebuilds feature state: restores the newest snapshot into the engine's store, then replays every
 * event logged after it through the engine, in log order, with its original receipt time.
 * Decisions are not rewritten. A snapshot that fails to restore throws; the caller starts again
 * with a fresh store and `ignoreSnapshot`.
 * @example const { lastSeq } = await recoverFeatures({ db, engine, store: engine.store });
 */
export async function recoverFeatures(
  deps: { readonly db: Db; readonly engine: ScoringEngine; readonly store: Pick<FeatureStore, 'restore'> },
  opts: { readonly ignoreSnapshot?: boolean; readonly pageSize?: number } = {},
): Promise<RecoveryReport> {
  const pageSize = opts.pageSize ?? 5000;
  const snapshot = opts.ignoreSnapshot ? undefined : await createSnapshotStore(deps.db).latest();
  if (snapshot !== undefined) deps.store.restore(snapshot.bytes);
  const snapshotSeq = snapshot?.lastSeq ?? 0;
  const events = createEventStore(deps.db);
  let after = snapshotSeq;
  let replayed = 0;
  for (;;) {
    const rows = await events.readAfter(after, pageSize);
    for (const r of rows) {
      deps.engine.score(parseStoredJson<VigilEvent>(r.payload), r.receivedAt);
      after = r.seq;
      replayed++;
    }
    if (rows.length < pageSize) break;
  }
  return { snapshotSeq, replayed, lastSeq: after };
}

/** Takes feature snapshots at log positions. */
export interface Snapshotter {
  /** Saves a snapshot unless nothing changed since the last one; returns it (or undefined). */
  snapshot(): Promise<FeatureSnapshotRecord | undefined>;
}

/**
 * Snapshots the feature store between two group commits (so the bytes match `lastSeq` exactly),
 * writes them outside the commit pipeline and keeps the newest `keep` (default 3).
 * @example const snaps = createSnapshotter({ db, ingest, store: engine.store, clock }); await snaps.snapshot();
 */
export function createSnapshotter(deps: {
  readonly db: Db;
  readonly ingest: Pick<EventIngest, 'exclusive' | 'lastSeq'>;
  readonly store: Pick<FeatureStore, 'snapshot'>;
  readonly clock: Clock;
  readonly keep?: number;
  /** The seq of the snapshot restored at start (no need to save the same state again). */
  readonly initialSeq?: number;
}): Snapshotter {
  const snapshots = createSnapshotStore(deps.db);
  let savedSeq = deps.initialSeq ?? -1;
  let inFlight: Promise<FeatureSnapshotRecord | undefined> | undefined;
  async function take(): Promise<FeatureSnapshotRecord | undefined> {
    const captured = await deps.ingest.exclusive(async () => {
      const seq = deps.ingest.lastSeq();
      return seq === savedSeq ? undefined : { seq, bytes: deps.store.snapshot() };
    });
    if (captured === undefined) return undefined;
    const record = await snapshots.save(captured.bytes, captured.seq, deps.clock.now());
    savedSeq = captured.seq;
    await snapshots.prune(deps.keep ?? 3);
    return record;
  }
  return {
    snapshot() {
      // one at a time: a periodic snapshot and the shutdown one must not interleave
      const next = (inFlight ?? Promise.resolve(undefined)).catch(() => undefined).then(take);
      inFlight = next;
      return next;
    },
  };
}
