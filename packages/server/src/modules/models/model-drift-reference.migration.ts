import type { Kysely, Migration } from 'kysely';

/**
 * 1040: `models.drift_reference`, the live reference window of a version that carries no training
 * scores (an imported ONNX model): its first live scores, kept as JSON once complete, against which
 * later windows are checked for drift.
 * @example migrations['1040_model_drift_reference'] = modelDriftReferenceMigration();
 */
export function modelDriftReferenceMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('models').addColumn('drift_reference', 'text').execute();
    },
  };
}
