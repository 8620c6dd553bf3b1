import { sql, type Migration } from 'kysely';

/**
 * Drops `decisions_app_user_seq`. A user's decisions are found through `events_app_user_seq`
 * (decisions.event_seq = events.seq, and both rows carry the same app and user), so the index
 * only cost a write per decision: one more random B-tree page in every group commit (about 0.6
 * of the 3.3 WAL pages a decision wrote in `bench/ingest.bench.ts`).
 */
export function decisionIndexesMigration(): Migration {
  return {
    async up(db) {
      await sql`DROP INDEX IF EXISTS decisions_app_user_seq`.execute(db);
    },
  };
}
