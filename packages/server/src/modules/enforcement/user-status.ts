import { accessLevelOf, DEFAULT_POLICY_CONFIG } from '@vigil/engine';
import type { Db } from '../../storage/database.js';
import { userStatusOf, type EnforcedUserStatus } from './enforcement.model.js';
import { createEnforcementStore } from './enforcement.store.js';

/**
 * Writes the user's status (`users.status`) from the enforcements in force at `now`, in the
 * caller's transaction; returns it. Reads never depend on it alone (they are expiry-aware), but
 * listings and the dashboard do.
 * @example await refreshUserStatus(tx, appId, 'u1', now); // 'suspended'
 */
export async function refreshUserStatus(
  tx: Db,
  appId: string,
  userId: string,
  now: number,
): Promise<EnforcedUserStatus> {
  const status = userStatusOf(await createEnforcementStore(tx).inForce(appId, userId, now));
  await tx.kysely
    .updateTable('users')
    .set({ status, updated_at: now })
    .where('app_id', '=', appId)
    .where('user_id', '=', userId)
    .where('status', '!=', status)
    .execute();
  return status;
}

const UNSEEN_BEHAVIOR_SCORE = DEFAULT_POLICY_CONFIG.access.defaultBehaviorScore;

/**
 * Makes sure a user row exists (a manual enforcement may name a user Vigil has not seen yet, and
 * the status route answers 404 for unknown users). Existing rows are left alone.
 * @example await ensureUser(tx, appId, 'u1', 'gold', now);
 */
export async function ensureUser(
  tx: Db,
  appId: string,
  userId: string,
  tier: string | null,
  now: number,
): Promise<{ readonly tier: string | null }> {
  const found = await tx.kysely
    .selectFrom('users')
    .select(['tier'])
    .where('app_id', '=', appId)
    .where('user_id', '=', userId)
    .executeTakeFirst();
  if (found !== undefined) return { tier: found.tier };
  await tx.kysely
    .insertInto('users')
    .values({
      app_id: appId,
      user_id: userId,
      tier,
      behavior_score: UNSEEN_BEHAVIOR_SCORE,
      status: 'active',
      access_level: accessLevelOf(UNSEEN_BEHAVIOR_SCORE, DEFAULT_POLICY_CONFIG.access),
      peak_risk: 0,
      last_risk: 0,
      last_score: 0,
      last_level: 'SAFE',
      event_count: 0,
      first_seen: now,
      last_seen: now,
      updated_at: now,
    })
    .onConflict((oc) => oc.columns(['app_id', 'user_id']).doNothing())
    .execute();
  return { tier };
}
