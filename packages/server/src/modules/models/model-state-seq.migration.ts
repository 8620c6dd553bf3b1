import type { Kysely, Migration } from 'kysely';

/**
 * 1030: `models.state_seq`, the log position (highest event seq) at which a stateful version's
 * state began: when it went live or into shadow from another status. Replay after a crash feeds
 * such a model only the events after it, as it saw them live.
 * @example migrations['1030_model_state_seq'] = modelStateSeqMigration();
 */
export function modelStateSeqMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('models').addColumn('state_seq', 'bigint').execute();
    },
  };
}
