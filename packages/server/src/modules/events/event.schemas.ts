import {
  ACCESS_LEVELS,
  ENFORCEMENT_ACTIONS,
  EventInputSchema,
  FLAG_COLORS,
  OUTCOMES,
  RISK_LEVELS,
  SEVERITIES,
  SIGNAL_CATEGORIES,
  TIERS,
} from '@vigil/engine';
import Type from 'typebox';
import { EpochMs, literalUnion } from '../../http/schemas.js';
import { HANDLER_VALIDATES } from '../../http/validator.js';

const open = { additionalProperties: true } as const;

/** One event as apps send it (documentation; the handler validates with the engine's rules). */
export const EventBodySchema = { ...EventInputSchema, [HANDLER_VALIDATES]: true };

/** Most events in one batch request. */
export const MAX_BATCH_EVENTS = 1000;

/** The batch body (documentation; the handler validates each event on its own). */
export const BatchBodySchema = {
  ...Type.Object(
    { events: Type.Array(EventInputSchema, { minItems: 1, maxItems: MAX_BATCH_EVENTS }) },
    { additionalProperties: false },
  ),
  [HANDLER_VALIDATES]: true,
};

export const SignalSchema = Type.Object(
  {
    code: Type.String(),
    score: Type.Number({ minimum: 0, maximum: 1 }),
    severity: literalUnion([...SEVERITIES]),
    category: literalUnion([...SIGNAL_CATEGORIES]),
    reason: Type.String(),
    evidence: Type.Record(Type.String(), Type.Unknown()),
    alert: Type.Optional(Type.String()),
    action: Type.Optional(literalUnion([...OUTCOMES])),
  },
  open,
);

/** The decision for one event (DESIGN.md's decision model). */
export const DecisionSchema = Type.Object(
  {
    eventId: Type.String(),
    app: Type.String(),
    user: Type.Optional(Type.String()),
    risk: Type.Number({ minimum: 0, maximum: 1, description: 'combined risk 0..1' }),
    score: Type.Integer({ minimum: 0, maximum: 100 }),
    level: literalUnion([...RISK_LEVELS]),
    flag: literalUnion([...FLAG_COLORS]),
    outcome: literalUnion([...OUTCOMES]),
    confidence: Type.Number(),
    behaviorScore: Type.Number({ description: '0..100, higher is more trustworthy' }),
    accessLevel: literalUnion([...ACCESS_LEVELS]),
    captcha: Type.Boolean(),
    enforcement: Type.Object(
      {
        action: literalUnion([...ENFORCEMENT_ACTIONS]),
        tier: literalUnion([...TIERS]),
        durationMs: Type.Optional(Type.Integer()),
        features: Type.Optional(Type.Array(Type.String())),
        requiresReview: Type.Boolean(),
        reviewSlaMs: Type.Integer(),
      },
      open,
    ),
    analyzers: Type.Optional(Type.Record(Type.String(), Type.Number())),
    anomalies: Type.Array(Type.String()),
    alerts: Type.Array(Type.String()),
    signals: Type.Array(SignalSchema),
    models: Type.Array(
      Type.Object({ model: Type.String(), score: Type.Number(), live: Type.Boolean() }, open),
    ),
    explanation: Type.Array(Type.String()),
    failures: Type.Array(Type.Object({ detector: Type.String(), error: Type.String() })),
  },
  { ...open, $id: 'Decision' },
);

/** One result of a batch: the decision, or why that event was refused. */
export const BatchResultSchema = Type.Object({
  index: Type.Integer({ minimum: 0 }),
  ok: Type.Boolean(),
  duplicate: Type.Optional(Type.Boolean()),
  decision: Type.Optional(Type.Ref('Decision')),
  error: Type.Optional(Type.Ref('Error')),
});

const Time = Type.String({
  maxLength: 40,
  description: 'epoch milliseconds or an ISO 8601 date-time',
});

/** Filters of the event and decision listings. */
export const ListQuerySchema = Type.Object(
  {
    app: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'admin keys: which app' })),
    user: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    type: Type.Optional(Type.String({ minLength: 1, maxLength: 80 })),
    level: Type.Optional(literalUnion([...RISK_LEVELS])),
    from: Type.Optional(Time),
    to: Type.Optional(Time),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 50 })),
  },
  { additionalProperties: false },
);

/** A listed event with its decision summary. */
export const EventItemSchema = Type.Object({
  seq: Type.Integer(),
  id: Type.String(),
  app: Type.String(),
  type: Type.String(),
  at: EpochMs,
  user: Type.Union([Type.String(), Type.Null()]),
  receivedAt: EpochMs,
  event: Type.Object({}, open),
  decision: Type.Union([
    Type.Object({
      risk: Type.Number(),
      score: Type.Integer(),
      level: Type.String(),
      outcome: Type.String(),
      flag: Type.String(),
    }),
    Type.Null(),
  ]),
});

/** A listed decision. */
export const DecisionItemSchema = Type.Object({
  seq: Type.Integer(),
  type: Type.String(),
  at: EpochMs,
  decision: Type.Ref('Decision'),
});

export const StatsSchema = Type.Object({
  app: Type.Union([Type.String(), Type.Null()]),
  from: Type.Union([EpochMs, Type.Null()]),
  to: Type.Union([EpochMs, Type.Null()]),
  total: Type.Integer(),
  byLevel: Type.Record(Type.String(), Type.Integer()),
  byOutcome: Type.Record(Type.String(), Type.Integer()),
  byFlag: Type.Record(Type.String(), Type.Integer()),
  blockRate: Type.Number({ description: 'share of decisions with outcome block' }),
  flagRate: Type.Number({ description: 'share of decisions flagged YELLOW or RED' }),
});
