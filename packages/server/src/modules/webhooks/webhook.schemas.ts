import Type, { type TSchema } from 'typebox';
import { EpochMs, literalUnion } from '../../http/schemas.js';
import { MAX_URL_LENGTH } from './url-guard.js';
import { DELIVERY_STATUSES } from './webhook-delivery.store.js';
import { WEBHOOK_EVENT_TYPES } from './webhook-event-types.js';

const EventsSchema = Type.Array(literalUnion([...WEBHOOK_EVENT_TYPES]), {
  minItems: 1,
  maxItems: WEBHOOK_EVENT_TYPES.length,
  uniqueItems: true,
  description: 'Event types this endpoint receives',
});
const UrlSchema = Type.String({
  minLength: 1,
  maxLength: MAX_URL_LENGTH,
  description: 'http(s) URL; private and loopback addresses only with WEBHOOK_ALLOW_PRIVATE_NETWORKS=true',
});
const DescriptionSchema = Type.String({ maxLength: 500 });

/** `?app=` for admin keys. */
export const WebhookAppQuery = Type.Object(
  { app: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'Admin keys: the app id' })) },
  { additionalProperties: false },
);

/** `:id` of an endpoint or a delivery. */
export const WebhookIdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

/** Body of `POST /v1/webhooks`. */
export const CreateWebhookBody = Type.Object(
  { url: UrlSchema, events: EventsSchema, description: Type.Optional(DescriptionSchema) },
  { additionalProperties: false },
);

/** Body of `PATCH /v1/webhooks/:id`. */
export const UpdateWebhookBody = Type.Object(
  {
    url: Type.Optional(UrlSchema),
    events: Type.Optional(EventsSchema),
    description: Type.Optional(DescriptionSchema),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
);

/** An endpoint as listed (no secret). */
export const WebhookEndpointSchema = Type.Object({
  id: Type.String(),
  app: Type.String(),
  url: Type.String(),
  description: Type.String(),
  events: Type.Array(Type.String()),
  enabled: Type.Boolean(),
  createdAt: EpochMs,
  updatedAt: EpochMs,
  previousSecretExpiresAt: Type.Union([EpochMs, Type.Null()], {
    description: 'While the previous secret still signs deliveries (after a rotation), until when',
  }),
});

/** A new endpoint, with its secret. */
export const CreatedWebhookSchema = Type.Object({
  ...WebhookEndpointSchema.properties,
  secret: Type.String({ description: 'whsec_...: verify deliveries with it; it is not shown again' }),
});

/** Answer of `POST /v1/webhooks/:id/rotate-secret`. */
export const RotatedSecretSchema = Type.Object({
  id: Type.String(),
  secret: Type.String({ description: 'The new whsec_ secret' }),
  previousSecretExpiresAt: EpochMs,
});

/** Filters and position of `GET /v1/webhooks/:id/deliveries`. */
export const DeliveryPageQuery = Type.Object(
  {
    app: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    status: Type.Optional(literalUnion([...DELIVERY_STATUSES])),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, description: 'default 50' })),
  },
  { additionalProperties: false },
);

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

/** One logged delivery attempt. */
export const DeliverySchema = Type.Object({
  id: Type.String(),
  app: Type.String(),
  endpointId: Type.String(),
  messageId: Type.String(),
  webhookId: Type.String({ description: 'The webhook-id header: receivers deduplicate on it' }),
  type: Type.String(),
  attempt: Type.Integer(),
  status: literalUnion([...DELIVERY_STATUSES]),
  statusCode: Nullable(Type.Integer()),
  durationMs: Type.Integer(),
  error: Nullable(Type.String()),
  responseBody: Nullable(Type.String({ description: 'At most 1 KB of the answer' })),
  nextAttemptAt: Nullable(EpochMs),
  createdAt: EpochMs,
});

/** A page of deliveries. */
export const DeliveryPageSchema = Type.Object({
  items: Type.Array(DeliverySchema),
  nextCursor: Nullable(Type.String()),
});

/** Answer of a replay. */
export const ReplaySchema = Type.Object({
  messageId: Type.String(),
  webhookId: Type.String(),
  endpointId: Type.String(),
});
