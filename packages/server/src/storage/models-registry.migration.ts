import type { Kysely, Migration } from 'kysely';

/**
 * 0950: the model registry's columns on `models`: the package JSON (model, preprocessor, feature
 * list, metrics, training summary and training scores), when it was deployed and retired.
 * @example migrations['0950_models_registry'] = modelsRegistryMigration();
 */
export function modelsRegistryMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('models').addColumn('package', 'text').execute();
      await db.schema.alterTable('models').addColumn('deployed_at', 'bigint').execute();
      await db.schema.alterTable('models').addColumn('retired_at', 'bigint').execute();
      await db.schema.createIndex('models_app_name').on('models').columns(['app_id', 'name']).execute();
    },
  };
}
