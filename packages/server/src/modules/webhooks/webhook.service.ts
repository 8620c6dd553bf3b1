import type { Clock } from '../../clock.js';
import { DomainError } from '../../errors.js';
import type { Db } from '../../storage/database.js';
import { ulid } from '../../storage/ulid.js';
import { fullJitterBackoff, type Backoff } from '../outbox/backoff.js';
import type { Outbox } from '../outbox/outbox.js';
import type { OutboxHandler, Settlement } from '../outbox/outbox-dispatcher.js';
import { createOutboxStore } from '../outbox/outbox.store.js';
import {
  checkUrlSyntax,
  checkWebhookUrl,
  guardedLookup,
  type ResolveHost,
  type UrlPolicy,
} from './url-guard.js';
import {
  createWebhookDeliveryStore,
  type DeliveryStatus,
  type WebhookDelivery,
} from './webhook-delivery.store.js';
import {
  createWebhookEndpointStore,
  type WebhookEndpoint,
  type WebhookEndpointChanges,
} from './webhook-endpoint.store.js';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType, type WebhookPayload } from './webhook-event-types.js';
import { postWebhook, type SendResult } from './webhook-sender.js';
import { generateWebhookSecret, signatureHeader } from './webhook-signature.js';

/** The outbox kind of webhook messages (one per message and endpoint). */
export const WEBHOOK_OUTBOX_KIND = 'webhook';

/** What a webhook outbox message carries: the exact body, so every attempt signs the same bytes. */
export interface WebhookMessagePayload {
  readonly endpointId: string;
  readonly webhookId: string;
  readonly type: WebhookEventType;
  readonly body: string;
}

/** An endpoint as the API shows it: never the secret. */
export interface WebhookEndpointView {
  readonly id: string;
  readonly app: string;
  readonly url: string;
  readonly description: string;
  readonly events: readonly WebhookEventType[];
  readonly enabled: boolean;
  readonly createdAt: number;
  readonly updatedAt: number;
  /** While a rotated-out secret still signs, until when. */
  readonly previousSecretExpiresAt: number | null;
}

/** A new endpoint with its signing secret (shown once). */
export interface CreatedWebhookEndpoint extends WebhookEndpointView {
  readonly secret: string;
}

/** What `POST /v1/webhooks` takes. */
export interface NewWebhookEndpoint {
  readonly url: string;
  readonly events: readonly WebhookEventType[];
  readonly description?: string;
}

/** One message to emit: `data` becomes the payload's `data`. */
export interface WebhookEmit {
  readonly app: string;
  readonly type: WebhookEventType;
  readonly data: Readonly<Record<string, unknown>>;
  /** The payload's `at` (default now). */
  readonly at?: number;
}

/** A page of the delivery log. */
export interface DeliveryPage {
  readonly items: readonly WebhookDelivery[];
  /** Pass as `cursor` for the next page; null on the last one. */
  readonly nextCursor: string | null;
}

/** Options of {@link createWebhookService}. */
export interface WebhookServiceOptions {
  /** WEBHOOK_ALLOW_PRIVATE_NETWORKS: accept and deliver to loopback and private addresses. */
  readonly allowPrivateNetworks: boolean;
  /** Per attempt (default 10 s). */
  readonly timeoutMs?: number;
  /** Attempts before a message is dead-lettered (default 8). */
  readonly maxAttempts?: number;
  /** Delay between attempts (default full jitter, 30 s doubling up to 1 h). */
  readonly backoff?: Backoff;
  /** How long a rotated-out secret still signs (default 24 h). */
  readonly rotationGraceMs?: number;
  /** Most endpoints per app (default 50). */
  readonly maxEndpointsPerApp?: number;
  /** Most bytes of a receiver's answer read and logged (default 1024). */
  readonly maxResponseBytes?: number;
  /** Host resolution for the SSRF guard (tests); default the system resolver. */
  readonly resolveHost?: ResolveHost;
}

/** Webhook endpoints, emission into the outbox, delivery, delivery log and replay. */
export interface WebhookService {
  create(app: string, input: NewWebhookEndpoint): Promise<CreatedWebhookEndpoint>;
  list(app: string): Promise<readonly WebhookEndpointView[]>;
  /** `app` undefined: any app (admin keys). Another app's endpoint is `not_found`. */
  get(app: string | undefined, id: string): Promise<WebhookEndpointView>;
  update(app: string | undefined, id: string, changes: WebhookEndpointChanges): Promise<WebhookEndpointView>;
  remove(app: string | undefined, id: string): Promise<void>;
  /** A new secret; the old one keeps signing (next to it) for the grace period. */
  rotateSecret(
    app: string | undefined,
    id: string,
  ): Promise<{ readonly id: string; readonly secret: string; readonly previousSecretExpiresAt: number }>;
  deliveries(
    app: string | undefined,
    endpointId: string,
    q: { readonly status?: DeliveryStatus; readonly cursor?: string; readonly limit?: number },
  ): Promise<DeliveryPage>;
  /** Sends a logged delivery's message again (same webhook-id and body) as a new outbox message. */
  replay(
    app: string | undefined,
    deliveryId: string,
  ): Promise<{ readonly messageId: string; readonly webhookId: string; readonly endpointId: string }>;
  /**
   * Enqueues `type` for every enabled endpoint of `app` subscribed to it, through `tx` (call it in
   * the transaction that makes the change it reports). Returns how many deliveries were enqueued.
   */
  emit(tx: Db, app: string, type: WebhookEventType, data: Readonly<Record<string, unknown>>): Promise<number>;
  /** The same for many messages with one endpoint lookup. */
  emitMany(tx: Db, items: readonly WebhookEmit[]): Promise<number>;
  /** The outbox handler that delivers webhook messages. */
  readonly handler: OutboxHandler;
}

function view(e: WebhookEndpoint): WebhookEndpointView {
  return {
    id: e.id,
    app: e.app,
    url: e.url,
    description: e.description,
    events: e.events,
    enabled: e.enabled,
    createdAt: e.createdAt,
    updatedAt: e.updatedAt,
    previousSecretExpiresAt: e.previousSecret === null ? null : e.previousSecretExpiresAt,
  };
}

function isRecord(u: unknown): u is Record<string, unknown> {
  return typeof u === 'object' && u !== null && !Array.isArray(u);
}

/** Reads a stored webhook message (written by {@link WebhookService.emitMany}). */
function readMessage(u: unknown): WebhookMessagePayload | undefined {
  if (!isRecord(u)) return undefined;
  const { endpointId, webhookId, type, body } = u;
  if (typeof endpointId !== 'string' || typeof webhookId !== 'string' || typeof body !== 'string')
    return undefined;
  const t = WEBHOOK_EVENT_TYPES.find((x) => x === type);
  return t === undefined ? undefined : { endpointId, webhookId, type: t, body };
}

const USER_AGENT = 'Vigil-Webhooks/0.1';

/**
 * Creates the webhook service. URLs pass the SSRF guard when saved and again when each delivery
 * connects. Deliveries come from the outbox (`handler`): signed per Standard Webhooks with the
 * current secret (and, within the rotation grace period, the previous one), at least once, with
 * a timeout per attempt, backoff with full jitter, and a dead letter after `maxAttempts`; every
 * attempt is logged in the transaction that records its result.
 * @example
 * const webhooks = createWebhookService({ db, clock, outbox }, { allowPrivateNetworks: false });
 * await db.transaction((tx) => webhooks.emit(tx, appId, 'enforcement.created', { user: 'u1' }));
 */
export function createWebhookService(
  deps: { readonly db: Db; readonly clock: Clock; readonly outbox: Outbox },
  opts: WebhookServiceOptions,
): WebhookService {
  const { db, clock, outbox } = deps;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const maxAttempts = opts.maxAttempts ?? 8;
  const backoff = opts.backoff ?? fullJitterBackoff({ baseMs: 30_000, capMs: 3_600_000 });
  const graceMs = opts.rotationGraceMs ?? 86_400_000;
  const maxEndpoints = opts.maxEndpointsPerApp ?? 50;
  const maxResponseBytes = opts.maxResponseBytes ?? 1024;
  const policy: UrlPolicy = {
    allowPrivateNetworks: opts.allowPrivateNetworks,
    ...(opts.resolveHost ? { resolveHost: opts.resolveHost } : {}),
  };
  const lookup = guardedLookup(policy);
  const endpoints = createWebhookEndpointStore(db);
  const deliveryLog = createWebhookDeliveryStore(db);

  async function checkedUrl(raw: string): Promise<string> {
    const r = await checkWebhookUrl(raw, policy);
    if (!r.ok) {
      throw new DomainError('validation_failed', 'invalid webhook URL', {
        details: [{ path: '/url', message: `the URL ${r.reason}` }],
      });
    }
    return r.url.toString();
  }

  function uniqueEvents(events: readonly WebhookEventType[]): readonly WebhookEventType[] {
    if (events.length === 0) {
      throw new DomainError('validation_failed', 'invalid body', {
        details: [{ path: '/events', message: 'must name at least one event type' }],
      });
    }
    return WEBHOOK_EVENT_TYPES.filter((t) => events.includes(t));
  }

  async function owned(app: string | undefined, id: string): Promise<WebhookEndpoint> {
    const e = await endpoints.get(id);
    if (e === undefined || (app !== undefined && e.app !== app)) {
      throw new DomainError('not_found', `no webhook endpoint '${id}'`);
    }
    return e;
  }

  async function emitMany(tx: Db, items: readonly WebhookEmit[]): Promise<number> {
    if (items.length === 0) return 0;
    const apps = [...new Set(items.map((i) => i.app))];
    const subscribed = await createWebhookEndpointStore(tx).listEnabled(apps);
    if (subscribed.length === 0) return 0;
    const now = clock.now();
    const rows: { app: string; kind: string; payload: WebhookMessagePayload }[] = [];
    for (const item of items) {
      const targets = subscribed.filter((e) => e.app === item.app && e.events.includes(item.type));
      if (targets.length === 0) continue;
      const payload: WebhookPayload = { type: item.type, app: item.app, data: item.data, at: item.at ?? now };
      const body = JSON.stringify(payload);
      const webhookId = `msg_${ulid(now)}`;
      for (const e of targets) {
        rows.push({
          app: item.app,
          kind: WEBHOOK_OUTBOX_KIND,
          payload: { endpointId: e.id, webhookId, type: item.type, body },
        });
      }
    }
    if (rows.length === 0) return 0;
    await outbox.enqueue(tx, rows);
    return rows.length;
  }

  const handler: OutboxHandler = {
    kind: WEBHOOK_OUTBOX_KIND,
    maxAttempts,
    backoff,
    async handle(m, signal) {
      const msg = readMessage(m.payload);
      if (msg === undefined) return { ok: false, permanent: true, error: 'malformed webhook message' };
      const endpoint = await endpoints.get(msg.endpointId);
      if (endpoint === undefined || endpoint.app !== m.app) {
        return { ok: false, permanent: true, error: 'the endpoint was deleted' };
      }
      const record =
        (sent: SendResult | undefined, error: string | null) =>
        async (tx: Db, s: Settlement): Promise<void> => {
          await createWebhookDeliveryStore(tx).insert({
            id: ulid(),
            app: m.app,
            endpointId: endpoint.id,
            messageId: m.id,
            webhookId: msg.webhookId,
            type: msg.type,
            attempt: m.attempts,
            status: s.status === 'retry' ? 'failed' : s.status,
            statusCode: sent?.statusCode ?? null,
            durationMs: sent?.durationMs ?? 0,
            error,
            responseBody: sent?.responseBody ?? null,
            nextAttemptAt: s.status === 'retry' ? s.nextAttemptAt : null,
            createdAt: clock.now(),
          });
        };
      if (!endpoint.enabled) {
        const error = 'the endpoint is disabled';
        return { ok: false, permanent: true, error, record: record(undefined, error) };
      }
      // the host is checked again when the connection is made (guardedLookup): DNS may have changed
      const target = checkUrlSyntax(endpoint.url, policy);
      if (!target.ok) {
        const error = `the URL ${target.reason}`;
        return { ok: false, error, record: record(undefined, error) };
      }
      const now = clock.now();
      const timestamp = Math.floor(now / 1000);
      const secrets =
        endpoint.previousSecret !== null && (endpoint.previousSecretExpiresAt ?? 0) > now
          ? [endpoint.secret, endpoint.previousSecret]
          : [endpoint.secret];
      const sent = await postWebhook({
        url: target.url,
        headers: {
          'content-type': 'application/json',
          'user-agent': USER_AGENT,
          'webhook-id': msg.webhookId,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signatureHeader(secrets, msg.webhookId, timestamp, msg.body),
        },
        body: msg.body,
        timeoutMs,
        maxResponseBytes,
        lookup,
        signal,
      });
      if (
        sent.error === null &&
        sent.statusCode !== null &&
        sent.statusCode >= 200 &&
        sent.statusCode < 300
      ) {
        return { ok: true, record: record(sent, null) };
      }
      const error = sent.error ?? `HTTP ${sent.statusCode ?? 'without a status'}`;
      return { ok: false, error, record: record(sent, error) };
    },
    purge: (on, before) => createWebhookDeliveryStore(on).purge(before),
  };

  return {
    async create(app, input) {
      const events = uniqueEvents(input.events);
      if ((await endpoints.count(app)) >= maxEndpoints) {
        throw new DomainError('conflict', `an app can have at most ${maxEndpoints} webhook endpoints`);
      }
      const url = await checkedUrl(input.url);
      const now = clock.now();
      const e: WebhookEndpoint = {
        id: ulid(now),
        app,
        url,
        description: input.description ?? '',
        events,
        enabled: true,
        secret: generateWebhookSecret(),
        previousSecret: null,
        previousSecretExpiresAt: null,
        createdAt: now,
        updatedAt: now,
      };
      await endpoints.insert(e);
      return { ...view(e), secret: e.secret };
    },

    async list(app) {
      return (await endpoints.list(app)).map(view);
    },

    async get(app, id) {
      return view(await owned(app, id));
    },

    async update(app, id, changes) {
      const e = await owned(app, id);
      const next: WebhookEndpointChanges = {
        ...changes,
        ...(changes.url !== undefined ? { url: await checkedUrl(changes.url) } : {}),
        ...(changes.events !== undefined ? { events: uniqueEvents(changes.events) } : {}),
      };
      await endpoints.update(e.id, next, clock.now());
      return view(await owned(app, id));
    },

    async remove(app, id) {
      const e = await owned(app, id);
      await db.transaction(async (tx) => {
        await createWebhookEndpointStore(tx).remove(e.id);
        await createWebhookDeliveryStore(tx).removeByEndpoint(e.id);
      });
    },

    async rotateSecret(app, id) {
      const e = await owned(app, id);
      const now = clock.now();
      const secret = generateWebhookSecret();
      const previousSecretExpiresAt = now + graceMs;
      await endpoints.rotateSecret(e.id, secret, previousSecretExpiresAt, now);
      return { id: e.id, secret, previousSecretExpiresAt };
    },

    async deliveries(app, endpointId, q) {
      const e = await owned(app, endpointId);
      const limit = Math.min(Math.max(q.limit ?? 50, 1), 500);
      const items = await deliveryLog.list({
        endpointId: e.id,
        limit,
        ...(q.status !== undefined ? { status: q.status } : {}),
        ...(q.cursor !== undefined ? { before: q.cursor } : {}),
      });
      return { items, nextCursor: items.length === limit ? (items[items.length - 1]?.id ?? null) : null };
    },

    async replay(app, deliveryId) {
      const d = await deliveryLog.get(deliveryId);
      if (d === undefined || (app !== undefined && d.app !== app)) {
        throw new DomainError('not_found', `no webhook delivery '${deliveryId}'`);
      }
      const e = await owned(d.app, d.endpointId);
      const original = await createOutboxStore(db).get(d.messageId);
      const msg = original === undefined ? undefined : readMessage(original.payload);
      if (msg === undefined) {
        throw new DomainError('not_found', `the message of delivery '${deliveryId}' is no longer kept`);
      }
      const [messageId] = await db.transaction((tx) =>
        outbox.enqueue(tx, [{ app: e.app, kind: WEBHOOK_OUTBOX_KIND, payload: msg }]),
      );
      return { messageId: messageId ?? '', webhookId: msg.webhookId, endpointId: e.id };
    },

    emit: (tx, app, type, data) => emitMany(tx, [{ app, type, data }]),
    emitMany,
    handler,
  };
}
