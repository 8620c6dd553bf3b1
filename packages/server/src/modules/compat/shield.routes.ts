import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { ENFORCEMENT_ACTIONS, RISK_LEVELS } from '@vigil/engine';
import Type from 'typebox';
import type { Clock } from '../../clock.js';
import { DomainError } from '../../errors.js';
import { appScope, requiredAppScope } from '../../http/auth-hook.js';
import { EpochMs, responses } from '../../http/schemas.js';
import type { AppService } from '../apps/app.service.js';
import type { ConfigService } from '../config/config.service.js';
import type { EventIngest } from '../events/event-ingest.js';
import {
  createEventDraft,
  eventIdFor,
  submitDraft,
  toEventTime,
  toEventType,
  userIdOf,
} from './compat-event.js';
import type { CompatStore } from './compat.store.js';

const SEQ_CURSOR_RE = /^\d{1,16}$/;
const ULID_CURSOR_RE = /^[0-9A-HJKMNP-TV-Z]{26}$/;

function cursorOf(value: string | undefined, re: RegExp): string | undefined {
  if (value === undefined) return undefined;
  if (!re.test(value)) {
    throw new DomainError('validation_failed', 'invalid cursor', {
      details: [{ path: '/cursor', message: 'not a cursor this API returned' }],
    });
  }
  return value;
}

const EnforcementSchema = Type.Object({
  action: Type.Enum(ENFORCEMENT_ACTIONS),
  tier: Type.String(),
  durationMs: Type.Union([Type.Integer(), Type.Null()]),
  expiresAt: Type.Union([EpochMs, Type.Null()]),
  requiresReview: Type.Boolean(),
  reviewSlaMs: Type.Integer(),
  features: Type.Array(Type.String()),
});

const IngestResultSchema = Type.Object({
  success: Type.Literal(true),
  eventId: Type.String(),
  userId: Type.String(),
  eventType: Type.String(),
  riskScore: Type.Number({ description: '0..1' }),
  riskLevel: Type.Enum(RISK_LEVELS),
  action: Type.Enum(ENFORCEMENT_ACTIONS),
  enforcement: EnforcementSchema,
  confidence: Type.Number(),
  reasons: Type.Array(Type.String()),
  duplicate: Type.Boolean(),
});

const Limit = Type.Optional(Type.Integer({ minimum: 1, maximum: 500, description: 'default 50' }));
const AppQuery = Type.Optional(
  Type.String({ minLength: 1, maxLength: 64, description: 'Which app (default: all)' }),
);

/**
 * The cross-app shield's routes: `POST /api/shield/ingest` (app keys), and the admin-only
 * `GET /api/shield/events`, `GET /api/shield/enforcements`, `GET /api/shield/stats` (viewer role;
 * `?app=` narrows to one app).
 * @example await app.register(shieldRoutes({ ingest, store, apps, configs, clock }));
 */
export function shieldRoutes(deps: {
  readonly ingest: Pick<EventIngest, 'submit'>;
  readonly store: CompatStore;
  readonly apps: Pick<AppService, 'get'>;
  readonly configs: Pick<ConfigService, 'current'>;
  readonly clock: Clock;
}): FastifyPluginAsyncTypebox {
  const { ingest, store, apps, configs, clock } = deps;
  return async (app) => {
    app.post(
      '/api/shield/ingest',
      {
        config: { auth: 'app' },
        schema: {
          tags: ['compat'],
          summary:
            "Shield SDK intake (sendFraudSignal, sendCheatSignal, ...): risk and the tier matrix's enforcement",
          description:
            "data: ip / ipAddress, deviceId, userAgent, amount, currency, location {lat, lon, country}, timestamp, ...; other scalar fields are kept as attributes. `app` may name the key's own app (id or name).",
          body: Type.Object({
            userId: Type.Union([Type.String({ minLength: 1, maxLength: 200 }), Type.Integer()]),
            eventType: Type.String({ minLength: 1, maxLength: 80 }),
            tier: Type.Optional(Type.String({ minLength: 1, maxLength: 20 })),
            data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
            app: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
            eventId: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
            timestamp: Type.Optional(Type.Union([Type.String({ maxLength: 40 }), Type.Number()])),
          }),
          response: responses({ 200: IngestResultSchema }),
        },
      },
      async (req) => {
        const b = req.body;
        const appId = requiredAppScope(req, undefined);
        if (b.app !== undefined && b.app !== appId && b.app !== (await apps.get(appId)).name) {
          throw new DomainError('forbidden', 'an app key can only send events for its own app', {
            details: [{ path: '/app', message: "must be the id or name of the API key's app (or left out)" }],
          });
        }
        const type = toEventType(b.eventType);
        if (type === undefined) {
          throw new DomainError('validation_failed', 'invalid event', {
            details: [
              {
                path: '/eventType',
                message:
                  'must be a shield event type (fraud_signal, cheat_signal, ...) or another known type',
              },
            ],
          });
        }
        const now = clock.now();
        const d = createEventDraft();
        const timed = b.timestamp !== undefined || b.data?.['timestamp'] !== undefined;
        d.set('id', eventIdFor(req, 'shield', { explicit: b.eventId, body: b, timed, now }), '/eventId');
        d.set('type', type, '/eventType');
        d.set('user', userIdOf(b.userId), '/userId');
        if (b.tier !== undefined) d.set('tier', b.tier.toLowerCase(), '/tier');
        if (b.data !== undefined) d.absorb(b.data, '/data');
        if (b.timestamp !== undefined) d.set('at', toEventTime(b.timestamp), '/timestamp');
        const { decision, duplicate } = await submitDraft(ingest, appId, d);
        const e = decision.enforcement;
        const at = typeof d.input['at'] === 'number' ? d.input['at'] : now;
        return {
          success: true as const,
          eventId: decision.eventId,
          userId: userIdOf(b.userId),
          eventType: type,
          riskScore: decision.risk,
          riskLevel: decision.level,
          action: e.action,
          enforcement: {
            action: e.action,
            tier: e.tier,
            durationMs: e.durationMs ?? null,
            expiresAt: e.durationMs === undefined ? null : at + e.durationMs,
            requiresReview: e.requiresReview,
            reviewSlaMs: e.reviewSlaMs,
            features: [...(e.features ?? [])],
          },
          confidence: decision.confidence,
          reasons: [...decision.explanation],
          duplicate,
        };
      },
    );

    app.get(
      '/api/shield/events',
      {
        config: { auth: 'viewer' },
        schema: {
          tags: ['compat'],
          summary: 'Shield events with their risk and enforcement, newest first (admin)',
          querystring: Type.Object(
            {
              app: AppQuery,
              userId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
              eventType: Type.Optional(Type.String({ minLength: 1, maxLength: 80 })),
              minRisk: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
              cursor: Type.Optional(Type.String({ maxLength: 40 })),
              limit: Limit,
            },
            { additionalProperties: false },
          ),
          response: responses({
            200: Type.Object({
              events: Type.Array(
                Type.Object({
                  id: Type.String(),
                  app: Type.String(),
                  userId: Type.Union([Type.String(), Type.Null()]),
                  tier: Type.Union([Type.String(), Type.Null()]),
                  eventType: Type.String(),
                  riskScore: Type.Number(),
                  riskLevel: Type.String(),
                  outcome: Type.String(),
                  action: Type.Union([Type.String(), Type.Null()]),
                  timestamp: EpochMs,
                  data: Type.Record(Type.String(), Type.Unknown()),
                }),
              ),
              nextCursor: Type.Union([Type.String(), Type.Null()]),
            }),
          }),
        },
      },
      async (req) => {
        const q = req.query;
        const limit = q.limit ?? 50;
        const type = q.eventType === undefined ? undefined : (toEventType(q.eventType) ?? q.eventType);
        const cursor = cursorOf(q.cursor, SEQ_CURSOR_RE);
        const rows = await store.shieldEvents({
          appId: appScope(req, q.app),
          userId: q.userId,
          type,
          minRisk: q.minRisk,
          beforeSeq: cursor === undefined ? undefined : Number(cursor),
          limit: limit + 1,
        });
        const page = rows.slice(0, limit);
        const last = page[page.length - 1];
        return {
          events: page.map((r) => {
            const attrs = r.event['attrs'];
            const tier = r.event['tier'];
            return {
              id: r.id,
              app: r.app,
              userId: r.user,
              tier: typeof tier === 'string' ? tier : (r.enforcement?.tier ?? null),
              eventType: r.type,
              riskScore: r.risk,
              riskLevel: r.level,
              outcome: r.outcome,
              action: r.enforcement?.action ?? null,
              timestamp: r.at,
              data: typeof attrs === 'object' && attrs !== null ? { ...attrs } : {},
            };
          }),
          nextCursor: rows.length > limit && last !== undefined ? String(last.seq) : null,
        };
      },
    );

    app.get(
      '/api/shield/enforcements',
      {
        config: { auth: 'viewer' },
        schema: {
          tags: ['compat'],
          summary: 'Enforcements, newest first (admin)',
          querystring: Type.Object(
            {
              app: AppQuery,
              userId: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
              status: Type.Optional(Type.String({ minLength: 1, maxLength: 40 })),
              cursor: Type.Optional(Type.String({ maxLength: 40 })),
              limit: Limit,
            },
            { additionalProperties: false },
          ),
          response: responses({
            200: Type.Object({
              enforcements: Type.Array(
                Type.Object({
                  id: Type.String(),
                  app: Type.String(),
                  userId: Type.String(),
                  action: Type.String(),
                  status: Type.String(),
                  reason: Type.String(),
                  features: Type.Array(Type.String()),
                  startsAt: EpochMs,
                  endsAt: Type.Union([EpochMs, Type.Null()]),
                  liftedAt: Type.Union([EpochMs, Type.Null()]),
                  createdBy: Type.String(),
                  createdAt: EpochMs,
                }),
              ),
              nextCursor: Type.Union([Type.String(), Type.Null()]),
            }),
          }),
        },
      },
      async (req) => {
        const q = req.query;
        const limit = q.limit ?? 50;
        const rows = await store.enforcements({
          appId: appScope(req, q.app),
          userId: q.userId,
          status: q.status,
          beforeId: cursorOf(q.cursor, ULID_CURSOR_RE),
          limit: limit + 1,
        });
        const page = rows.slice(0, limit);
        const last = page[page.length - 1];
        return {
          enforcements: page.map(({ user, ...r }) => ({ ...r, userId: user })),
          nextCursor: rows.length > limit && last !== undefined ? last.id : null,
        };
      },
    );

    app.get(
      '/api/shield/stats',
      {
        config: { auth: 'viewer' },
        schema: {
          tags: ['compat'],
          summary: 'Shield statistics: events, high-risk events, levels, enforcements (admin)',
          querystring: Type.Object({ app: AppQuery }, { additionalProperties: false }),
          response: responses({
            200: Type.Object({
              app: Type.Union([Type.String(), Type.Null()]),
              totalEvents: Type.Integer(),
              highRiskEvents: Type.Integer(),
              highRiskThreshold: Type.Number(),
              averageRisk: Type.Number(),
              byEventType: Type.Record(Type.String(), Type.Integer()),
              byLevel: Type.Record(Type.String(), Type.Integer()),
              enforcements: Type.Object({
                total: Type.Integer(),
                active: Type.Integer(),
                byAction: Type.Record(Type.String(), Type.Integer()),
              }),
            }),
          }),
        },
      },
      async (req) => {
        const appId = appScope(req, req.query.app);
        if (appId !== undefined) await apps.get(appId);
        const threshold = configs.current(appId ?? '').engine.enforcement.bands.elevated;
        const s = await store.shieldStats(appId, threshold, clock.now());
        return {
          app: appId ?? null,
          ...s,
          highRiskThreshold: threshold,
          byLevel: Object.fromEntries(RISK_LEVELS.map((l) => [l, s.byLevel[l] ?? 0])),
        };
      },
    );
  };
}
