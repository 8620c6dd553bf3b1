import type { Selectable } from 'kysely';
import type { Db } from '../../storage/database.js';
import type { WebhookDeliveriesTable } from '../../storage/schema.js';

/** What one attempt led to: delivered, failed (another attempt is scheduled), or dead (no more attempts). */
export const DELIVERY_STATUSES = ['delivered', 'failed', 'dead'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** One delivery attempt of a message to an endpoint. */
export interface WebhookDelivery {
  readonly id: string;
  readonly app: string;
  readonly endpointId: string;
  /** The outbox message (one per message and endpoint; a replay is a new one). */
  readonly messageId: string;
  /** The webhook-id header receivers deduplicate on: the same for every attempt and replay. */
  readonly webhookId: string;
  readonly type: string;
  /** 1 for the first attempt of the message. */
  readonly attempt: number;
  readonly status: DeliveryStatus;
  readonly statusCode: number | null;
  readonly durationMs: number;
  readonly error: string | null;
  /** At most 1 KB of the receiver's answer. */
  readonly responseBody: string | null;
  /** When the next attempt is due (status `failed`). */
  readonly nextAttemptAt: number | null;
  readonly createdAt: number;
}

/** Filters and position of {@link WebhookDeliveryStore.list}. */
export interface DeliveryQuery {
  readonly endpointId: string;
  readonly status?: DeliveryStatus;
  /** Only attempts older than this delivery id (the previous page's cursor). */
  readonly before?: string;
  readonly limit: number;
}

/** The webhook_deliveries table (the delivery log). */
export interface WebhookDeliveryStore {
  insert(d: WebhookDelivery): Promise<void>;
  get(id: string): Promise<WebhookDelivery | undefined>;
  /** Newest first. */
  list(q: DeliveryQuery): Promise<readonly WebhookDelivery[]>;
  removeByEndpoint(endpointId: string): Promise<number>;
  /** Deletes attempts logged before `before`; returns how many. */
  purge(before: number): Promise<number>;
}

function isDeliveryStatus(s: string): s is DeliveryStatus {
  return (DELIVERY_STATUSES as readonly string[]).includes(s);
}

function toDelivery(r: Selectable<WebhookDeliveriesTable>): WebhookDelivery {
  return {
    id: r.id,
    app: r.app_id,
    endpointId: r.endpoint_id,
    messageId: r.message_id,
    webhookId: r.webhook_id,
    type: r.type,
    attempt: r.attempt,
    status: isDeliveryStatus(r.status) ? r.status : 'failed',
    statusCode: r.status_code,
    durationMs: r.duration_ms,
    error: r.error,
    responseBody: r.response_body,
    nextAttemptAt: r.next_attempt_at,
    createdAt: r.created_at,
  };
}

/**
 * The delivery log over a {@link Db}.
 * @example const page = await createWebhookDeliveryStore(db).list({ endpointId, limit: 50 });
 */
export function createWebhookDeliveryStore(db: Db): WebhookDeliveryStore {
  const k = db.kysely;
  return {
    async insert(d) {
      await k
        .insertInto('webhook_deliveries')
        .values({
          id: d.id,
          app_id: d.app,
          endpoint_id: d.endpointId,
          message_id: d.messageId,
          webhook_id: d.webhookId,
          type: d.type,
          attempt: d.attempt,
          status: d.status,
          status_code: d.statusCode,
          duration_ms: d.durationMs,
          error: d.error,
          response_body: d.responseBody,
          next_attempt_at: d.nextAttemptAt,
          created_at: d.createdAt,
        })
        .execute();
    },
    async get(id) {
      const r = await k.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirst();
      return r === undefined ? undefined : toDelivery(r);
    },
    async list(q) {
      let query = k
        .selectFrom('webhook_deliveries')
        .selectAll()
        .where('endpoint_id', '=', q.endpointId)
        .orderBy('id', 'desc')
        .limit(q.limit);
      if (q.status !== undefined) query = query.where('status', '=', q.status);
      if (q.before !== undefined) query = query.where('id', '<', q.before);
      return (await query.execute()).map(toDelivery);
    },
    async removeByEndpoint(endpointId) {
      const r = await k
        .deleteFrom('webhook_deliveries')
        .where('endpoint_id', '=', endpointId)
        .executeTakeFirst();
      return Number(r.numDeletedRows ?? 0n);
    },
    async purge(before) {
      const r = await k.deleteFrom('webhook_deliveries').where('created_at', '<', before).executeTakeFirst();
      return Number(r.numDeletedRows ?? 0n);
    },
  };
}
