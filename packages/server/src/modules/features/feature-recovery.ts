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
 * State kept beside each feature snapshot, taken at the same log position: the per-user state of
 * stateful models (gru), which only the events they scored can rebuild.
 */
export interface SnapshotCompanion {
  /**
   * Captures the state synchronously, between two group commits (with the feature bytes), and
   * returns the writer that stores it in the snapshot's own transaction.
   */
  capture(): (tx: Db, snapshotId: string) => Promise<void>;
  /** Restores the state saved with a snapshot, before the events after it replay. Never throws. */
  restore(snapshotId: string): Promise<void>;
  /** Starts every state afresh (the whole log replays). */
  reset(): void;
  /**
   * The states that began live at or after `fromSeq` (a model deployed after the snapshot): each
   * `seq` is the highest event seq logged before it began. The replay clears such a state once
   * the events up to `seq` are in, so it ends up with only the events it saw live.
   */
  replayStarts?(fromSeq: number): Promise<readonly ReplayStart[]>;
}

/** Where one state began in the log, and how it is started afresh there. */
export interface ReplayStart {
  readonly seq: number;
  begin(): void;
}

/**
 * Rebuilds feature state: restores the newest snapshot into the engine's store, then replays every
 * event logged after it through the engine, in log order, with its original receipt time.
 * Decisions are not rewritten. A snapshot that fails to restore throws; the caller starts again
 * with a fresh store and `ignoreSnapshot`. The `companion`'s state saved with the snapshot is
 * restored before the replay (or reset when the whole log replays); a state that began live after
 * the snapshot is cleared where it began, so it keeps only the events it scored live.
 * @example const { lastSeq } = await recoverFeatures({ db, engine, store: engine.store });
 */
export async function recoverFeatures(
  deps: {
    readonly db: Db;
    readonly engine: ScoringEngine;
    readonly store: Pick<FeatureStore, 'restore'>;
    readonly companion?: Pick<SnapshotCompanion, 'restore' | 'reset' | 'replayStarts'>;
  },
  opts: { readonly ignoreSnapshot?: boolean; readonly pageSize?: number } = {},
): Promise<RecoveryReport> {
  const pageSize = opts.pageSize ?? 5000;
  const snapshot = opts.ignoreSnapshot ? undefined : await createSnapshotStore(deps.db).latest();
  if (snapshot !== undefined) deps.store.restore(snapshot.bytes);
  if (snapshot === undefined) deps.companion?.reset();
  else await deps.companion?.restore(snapshot.id);
  const snapshotSeq = snapshot?.lastSeq ?? 0;
  const starts = [...((await deps.companion?.replayStarts?.(snapshotSeq)) ?? [])].sort(
    (a, b) => a.seq - b.seq,
  );
  let nextStart = 0;
  /** Begins the states that started live before the event at `seq` (it is the first they saw). */
  const beginBefore = (seq: number): void => {
    while (nextStart < starts.length && starts[nextStart]!.seq < seq) starts[nextStart++]!.begin();
  };
  const events = createEventStore(deps.db);
  let after = snapshotSeq;
  let replayed = 0;
  for (;;) {
    const rows = await events.readAfter(after, pageSize);
    for (const r of rows) {
      beginBefore(r.seq);
      deps.engine.score(parseStoredJson<VigilEvent>(r.payload), r.receivedAt);
      after = r.seq;
      replayed++;
    }
    if (rows.length < pageSize) break;
  }
  beginBefore(Number.POSITIVE_INFINITY);
  return { snapshotSeq, replayed, lastSeq: after };
}

/** Takes feature snapshots at log positions. */
export interface Snapshotter {
  /** Saves a snapshot unless nothing changed since the last one; returns it (or undefined). */
  snapshot(): Promise<FeatureSnapshotRecord | undefined>;
}

/**
 * Snapshots the feature store between two group commits (so the bytes match `lastSeq` exactly),
 * writes them outside the commit pipeline and keeps the newest `keep` (default 3). A `companion`
 * is captured at the same moment and written in the snapshot's transaction.
 * @example const snaps = createSnapshotter({ db, ingest, store: engine.store, clock }); await snaps.snapshot();
 */
export function createSnapshotter(deps: {
  readonly db: Db;
  readonly ingest: Pick<EventIngest, 'exclusive' | 'lastSeq'>;
  readonly store: Pick<FeatureStore, 'snapshot'>;
  readonly clock: Clock;
  readonly companion?: Pick<SnapshotCompanion, 'capture'>;
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
      return seq === savedSeq
        ? undefined
        : { seq, bytes: deps.store.snapshot(), write: deps.companion?.capture() };
    });
    if (captured === undefined) return undefined;
    const { write } = captured;
    const record =
      write === undefined
        ? await snapshots.save(captured.bytes, captured.seq, deps.clock.now())
        : await deps.db.transaction(async (tx) => {
            const r = await createSnapshotStore(tx).save(captured.bytes, captured.seq, deps.clock.now());
            await write(tx, r.id);
            return r;
          });
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
