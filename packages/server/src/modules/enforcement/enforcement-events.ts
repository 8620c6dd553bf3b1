import type { Db } from '../../storage/database.js';

/** The webhook kinds enforcement and review emit. */
export const SHIELD_EVENT_TYPES = [
  'enforcement.created',
  'enforcement.updated',
  'enforcement.lifted',
  'case.resolved',
  'anomaly.alert',
] as const;
export type ShieldEventType = (typeof SHIELD_EVENT_TYPES)[number];

/**
 * Where enforcement and case changes are announced: enqueued in the transaction that makes the
 * change (the outbox), so a rollback drops the announcement and a commit never loses it. The
 * webhooks module's `emit(tx, app, type, data)` has this shape.
 * @example await events.emit(tx, appId, 'enforcement.created', { id, user, action });
 */
export interface EnforcementEvents {
  emit(tx: Db, app: string, type: ShieldEventType, data: Readonly<Record<string, unknown>>): Promise<void>;
}
