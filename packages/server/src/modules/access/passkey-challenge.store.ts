import type { Db } from '../../storage/database.js';
import type { PasskeyChallengeTables } from './passkey-challenge.migration.js';

/** A wallet's pending challenge as stored. */
export interface StoredChallenge {
  readonly appId: string;
  /** Checksummed address. */
  readonly wallet: string;
  readonly nonce: string;
  readonly challenge: string;
  readonly createdAt: number;
  readonly expiresAt: number;
}

/**
 * Pending wallet challenges in the database, so that any process on it can verify a challenge
 * another one issued, and each challenge is consumed once.
 */
export interface PasskeyChallengeStore {
  /** Saves the challenge, replacing the wallet's pending one in the same app. */
  put(c: StoredChallenge): Promise<void>;
  /**
   * Removes and returns the wallet's challenge (expired or not) in one statement: of several
   * concurrent callers, one gets it.
   */
  take(appId: string, wallet: string): Promise<StoredChallenge | undefined>;
  /** How many of the app's challenges are unexpired at `now`, counting at most `limit`. */
  countPending(appId: string, now: number, limit: number): Promise<number>;
  /** Whether the wallet has an unexpired challenge in the app at `now`. */
  hasPending(appId: string, wallet: string, now: number): Promise<boolean>;
  /** Deletes up to `limit` of the app's challenges expired at `now`; answers how many. */
  deleteExpired(appId: string, now: number, limit: number): Promise<number>;
}

/**
 * The {@link PasskeyChallengeStore} on SQLite or PostgreSQL (table of migration 1020).
 * @example const store = createPasskeyChallengeStore(db); const c = await store.take(appId, wallet);
 */
export function createPasskeyChallengeStore(db: Db): PasskeyChallengeStore {
  const k = () => db.kysely.withTables<PasskeyChallengeTables>();
  return {
    async put(c) {
      await k()
        .insertInto('passkey_challenges')
        .values({
          app_id: c.appId,
          wallet: c.wallet,
          nonce: c.nonce,
          challenge: c.challenge,
          created_at: c.createdAt,
          expires_at: c.expiresAt,
        })
        .onConflict((oc) =>
          oc.columns(['app_id', 'wallet']).doUpdateSet((eb) => ({
            nonce: eb.ref('excluded.nonce'),
            challenge: eb.ref('excluded.challenge'),
            created_at: eb.ref('excluded.created_at'),
            expires_at: eb.ref('excluded.expires_at'),
          })),
        )
        .execute();
    },

    async take(appId, wallet) {
      const row = await k()
        .deleteFrom('passkey_challenges')
        .where('app_id', '=', appId)
        .where('wallet', '=', wallet)
        .returning(['nonce', 'challenge', 'created_at', 'expires_at'])
        .executeTakeFirst();
      return row === undefined
        ? undefined
        : {
            appId,
            wallet,
            nonce: row.nonce,
            challenge: row.challenge,
            createdAt: Number(row.created_at),
            expiresAt: Number(row.expires_at),
          };
    },

    async countPending(appId, now, limit) {
      const pending = k()
        .selectFrom('passkey_challenges')
        .select('wallet')
        .where('app_id', '=', appId)
        .where('expires_at', '>', now)
        .limit(limit)
        .as('p');
      const row = await k()
        .selectFrom(pending)
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },

    async hasPending(appId, wallet, now) {
      const row = await k()
        .selectFrom('passkey_challenges')
        .select('expires_at')
        .where('app_id', '=', appId)
        .where('wallet', '=', wallet)
        .where('expires_at', '>', now)
        .executeTakeFirst();
      return row !== undefined;
    },

    async deleteExpired(appId, now, limit) {
      // bounded, so one call never turns into a long delete; the outer expiry test keeps a row that
      // was renewed since the subquery read it
      const r = await k()
        .deleteFrom('passkey_challenges')
        .where('app_id', '=', appId)
        .where('expires_at', '<=', now)
        .where(
          'wallet',
          'in',
          k()
            .selectFrom('passkey_challenges')
            .select('wallet')
            .where('app_id', '=', appId)
            .where('expires_at', '<=', now)
            .limit(limit),
        )
        .executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}
