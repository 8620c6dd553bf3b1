import type { Selectable } from 'kysely';
import type { Db } from '../../storage/database.js';
import { parseStoredJson } from '../../storage/json.js';
import type { WebhookEndpointsTable } from '../../storage/schema.js';
import { isWebhookEventType, type WebhookEventType } from './webhook-event-types.js';

/** A webhook endpoint as stored, secrets included (never shown by listings). */
export interface WebhookEndpoint {
  readonly id: string;
  readonly app: string;
  readonly url: string;
  readonly description: string;
  readonly events: readonly WebhookEventType[];
  readonly enabled: boolean;
  readonly secret: string;
  /** Signs too (next to `secret`) until `previousSecretExpiresAt`. */
  readonly previousSecret: string | null;
  readonly previousSecretExpiresAt: number | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** Fields a PATCH may change. */
export interface WebhookEndpointChanges {
  readonly url?: string;
  readonly description?: string;
  readonly events?: readonly WebhookEventType[];
  readonly enabled?: boolean;
}

/** The webhook_endpoints table. */
export interface WebhookEndpointStore {
  insert(e: WebhookEndpoint): Promise<void>;
  get(id: string): Promise<WebhookEndpoint | undefined>;
  /** Endpoints of one app, oldest first. */
  list(app: string): Promise<readonly WebhookEndpoint[]>;
  /** Enabled endpoints of these apps (what a batch of emitted events fans out to). */
  listEnabled(apps: readonly string[]): Promise<readonly WebhookEndpoint[]>;
  count(app: string): Promise<number>;
  update(id: string, changes: WebhookEndpointChanges, now: number): Promise<boolean>;
  rotateSecret(id: string, secret: string, previousSecretExpiresAt: number, now: number): Promise<boolean>;
  remove(id: string): Promise<boolean>;
}

function toEndpoint(r: Selectable<WebhookEndpointsTable>): WebhookEndpoint {
  const events = parseStoredJson<unknown>(r.events);
  return {
    id: r.id,
    app: r.app_id,
    url: r.url,
    description: r.description,
    events: Array.isArray(events) ? events.filter((e): e is WebhookEventType => isWebhookEventType(e)) : [],
    enabled: r.enabled === 1,
    secret: r.secret,
    previousSecret: r.previous_secret,
    previousSecretExpiresAt: r.previous_secret_expires_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/**
 * The webhook endpoint store over a {@link Db}.
 * @example const endpoints = await createWebhookEndpointStore(db).list(appId);
 */
export function createWebhookEndpointStore(db: Db): WebhookEndpointStore {
  const k = db.kysely;
  const changed = (n: bigint | undefined) => (n ?? 0n) > 0n;
  return {
    async insert(e) {
      await k
        .insertInto('webhook_endpoints')
        .values({
          id: e.id,
          app_id: e.app,
          url: e.url,
          secret: e.secret,
          events: JSON.stringify(e.events),
          enabled: e.enabled ? 1 : 0,
          created_at: e.createdAt,
          disabled_at: e.enabled ? null : e.updatedAt,
          description: e.description,
          previous_secret: e.previousSecret,
          previous_secret_expires_at: e.previousSecretExpiresAt,
          updated_at: e.updatedAt,
        })
        .execute();
    },
    async get(id) {
      const r = await k.selectFrom('webhook_endpoints').selectAll().where('id', '=', id).executeTakeFirst();
      return r === undefined ? undefined : toEndpoint(r);
    },
    async list(app) {
      const rows = await k
        .selectFrom('webhook_endpoints')
        .selectAll()
        .where('app_id', '=', app)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return rows.map(toEndpoint);
    },
    async listEnabled(apps) {
      if (apps.length === 0) return [];
      const rows = await k
        .selectFrom('webhook_endpoints')
        .selectAll()
        .where('app_id', 'in', [...apps])
        .where('enabled', '=', 1)
        .orderBy('id')
        .execute();
      return rows.map(toEndpoint);
    },
    async count(app) {
      const r = await k
        .selectFrom('webhook_endpoints')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('app_id', '=', app)
        .executeTakeFirst();
      return Number(r?.n ?? 0);
    },
    async update(id, c, now) {
      const r = await k
        .updateTable('webhook_endpoints')
        .set({
          updated_at: now,
          ...(c.url !== undefined ? { url: c.url } : {}),
          ...(c.description !== undefined ? { description: c.description } : {}),
          ...(c.events !== undefined ? { events: JSON.stringify(c.events) } : {}),
          ...(c.enabled !== undefined
            ? { enabled: c.enabled ? 1 : 0, disabled_at: c.enabled ? null : now }
            : {}),
        })
        .where('id', '=', id)
        .executeTakeFirst();
      return changed(r.numUpdatedRows);
    },
    async rotateSecret(id, secret, previousSecretExpiresAt, now) {
      const r = await k
        .updateTable('webhook_endpoints')
        .set((eb) => ({
          previous_secret: eb.ref('secret'),
          previous_secret_expires_at: previousSecretExpiresAt,
          secret,
          updated_at: now,
        }))
        .where('id', '=', id)
        .executeTakeFirst();
      return changed(r.numUpdatedRows);
    },
    async remove(id) {
      const r = await k.deleteFrom('webhook_endpoints').where('id', '=', id).executeTakeFirst();
      return changed(r.numDeletedRows);
    },
  };
}
