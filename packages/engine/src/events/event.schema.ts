import Type, { type Static } from 'typebox';
import { TIERS } from './event-types.js';

const Id = Type.String({ minLength: 1, maxLength: 200 });
const Scalar = Type.Union([Type.String({ maxLength: 2000 }), Type.Number(), Type.Boolean(), Type.Null()]);

/**
 * The wire shape of one event, as apps send it. JSON Schema (for Fastify and OpenAPI) and the
 * TypeScript type come from this one definition. `type` and the IP/time formats are checked in
 * `validateEvent`, which also normalises the event.
 */
export const EventInputSchema = Type.Object(
  {
    id: Type.String({
      minLength: 1,
      maxLength: 128,
      description: 'Idempotency key: re-sending the same id returns the first decision',
    }),
    app: Type.Optional(Id),
    type: Type.String({ minLength: 1, maxLength: 80, description: 'A built-in event type or custom:<name>' }),
    at: Type.Optional(
      Type.Union([Type.String({ maxLength: 40 }), Type.Number()], {
        description: 'Event time: ISO 8601 or epoch milliseconds. Defaults to receipt time.',
      }),
    ),
    user: Type.Optional(Id),
    tier: Type.Optional(Type.Enum(TIERS)),
    amount: Type.Optional(Type.Number({ minimum: 0, maximum: 1e15 })),
    currency: Type.Optional(Type.String({ minLength: 1, maxLength: 12 })),
    ip: Type.Optional(Type.String({ minLength: 2, maxLength: 45 })),
    device: Type.Optional(Id),
    userAgent: Type.Optional(Type.String({ maxLength: 1000 })),
    geo: Type.Optional(
      Type.Object(
        {
          lat: Type.Number({ minimum: -90, maximum: 90 }),
          lon: Type.Number({ minimum: -180, maximum: 180 }),
          country: Type.Optional(Type.String({ minLength: 2, maxLength: 2 })),
        },
        { additionalProperties: false },
      ),
    ),
    wallet: Type.Optional(
      Type.String({ minLength: 1, maxLength: 128, description: "The acting user's wallet / sender" }),
    ),
    counterparty: Type.Optional(
      Type.String({ minLength: 1, maxLength: 128, description: 'Recipient wallet or account' }),
    ),
    merchant: Type.Optional(Id),
    terminal: Type.Optional(Id),
    email: Type.Optional(Type.String({ minLength: 3, maxLength: 254 })),
    referrer: Type.Optional(Id),
    contentHash: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 128,
        description: 'Perceptual or exact hash of uploaded content (hex)',
      }),
    ),
    session: Type.Optional(Id),
    attrs: Type.Optional(Type.Record(Type.String({ maxLength: 64 }), Scalar, { maxProperties: 64 })),
  },
  { additionalProperties: false },
);

export type EventInput = Static<typeof EventInputSchema>;
