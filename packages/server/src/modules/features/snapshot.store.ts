import type { Db } from '../../storage/database.js';
import { ulid } from '../../storage/ulid.js';

/** A saved copy of the feature store: every event with seq <= lastSeq is in `bytes`. */
export interface FeatureSnapshotRecord {
  readonly id: string;
  readonly createdAt: number;
  readonly lastSeq: number;
  readonly bytes: Uint8Array;
}

/** Persistence of feature snapshots. */
export interface SnapshotStore {
  save(bytes: Uint8Array, lastSeq: number, at: number): Promise<FeatureSnapshotRecord>;
  /** The snapshot with the highest lastSeq (newest on ties). */
  latest(): Promise<FeatureSnapshotRecord | undefined>;
  /** Deletes all but the `keep` newest snapshots; returns how many were deleted. */
  prune(keep: number): Promise<number>;
}

/**
 * The Kysely snapshot store.
 * @example await createSnapshotStore(db).save(engine.store.snapshot(), lastSeq, Date.now());
 */
export function createSnapshotStore(db: Db): SnapshotStore {
  const k = db.kysely;
  return {
    async save(bytes, lastSeq, at) {
      const id = ulid(at);
      await k
        .insertInto('feature_snapshots')
        .values({ id, created_at: at, last_seq: lastSeq, size: bytes.byteLength, bytes: Buffer.from(bytes) })
        .execute();
      return { id, createdAt: at, lastSeq, bytes };
    },
    async latest() {
      const r = await k
        .selectFrom('feature_snapshots')
        .selectAll()
        .orderBy('last_seq', 'desc')
        .orderBy('id', 'desc')
        .limit(1)
        .executeTakeFirst();
      return (
        r && {
          id: r.id,
          createdAt: r.created_at,
          lastSeq: Number(r.last_seq),
          bytes: new Uint8Array(r.bytes),
        }
      );
    },
    async prune(keep) {
      if (keep <= 0)
        return Number((await k.deleteFrom('feature_snapshots').executeTakeFirst()).numDeletedRows);
      const newest = await k
        .selectFrom('feature_snapshots')
        .select(['id'])
        .orderBy('last_seq', 'desc')
        .orderBy('id', 'desc')
        .limit(keep)
        .execute();
      if (newest.length < keep) return 0;
      const r = await k
        .deleteFrom('feature_snapshots')
        .where(
          'id',
          'not in',
          newest.map((n) => n.id),
        )
        .executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
