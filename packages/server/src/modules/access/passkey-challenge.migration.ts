import type { Kysely, Migration } from 'kysely';

/** A wallet's pending passkey challenge (table `passkey_challenges`, 1020). */
export interface PasskeyChallengesTable {
  app_id: string;
  /** The checksummed address (EIP-55), so one wallet has one spelling. */
  wallet: string;
  nonce: string;
  /** The exact message the wallet signs. */
  challenge: string;
  created_at: number;
  expires_at: number;
}

/** The tables of migration 1020, for `Kysely.withTables`. */
export type PasskeyChallengeTables = { passkey_challenges: PasskeyChallengesTable };

/**
 * 1020: `passkey_challenges`, one pending challenge per app and wallet, shared by every process on
 * the database. The (app_id, expires_at) index serves the per-app count of unexpired challenges and
 * the deletion of expired ones.
 * @example migrations['1020_passkey_challenges'] = passkeyChallengesMigration();
 */
export function passkeyChallengesMigration(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('passkey_challenges')
        .addColumn('app_id', 'text', (c) => c.notNull())
        .addColumn('wallet', 'text', (c) => c.notNull())
        .addColumn('nonce', 'text', (c) => c.notNull())
        .addColumn('challenge', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('expires_at', 'bigint', (c) => c.notNull())
        .addPrimaryKeyConstraint('passkey_challenges_pk', ['app_id', 'wallet'])
        .execute();
      await db.schema
        .createIndex('passkey_challenges_app_expiry')
        .on('passkey_challenges')
        .columns(['app_id', 'expires_at'])
        .execute();
    },
  };
}
