import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { DomainError } from '../../errors.js';
import { requiredAppScope } from '../../http/auth-hook.js';
import { EpochMs, responses } from '../../http/schemas.js';
import type { Clock } from '../../clock.js';
import type { Db } from '../../storage/database.js';
import { createUserStore, type UserProfile } from './user.store.js';

/** Enforcement actions that block the user outright. */
const BLOCKING_ACTIONS = new Set(['temp_suspend', 'auto_block', 'permanent_ban']);
const BLOCKED_STATUSES = new Set(['suspended', 'banned']);

const Params = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) });
const Query = Type.Object(
  { app: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'admin keys: which app' })) },
  { additionalProperties: false },
);

const EnforcementSchema = Type.Object({
  id: Type.String(),
  action: Type.String(),
  reason: Type.String(),
  features: Type.Array(Type.String()),
  startsAt: EpochMs,
  endsAt: Type.Union([EpochMs, Type.Null()]),
});

const ProfileSchema = Type.Object({
  app: Type.String(),
  user: Type.String(),
  tier: Type.Union([Type.String(), Type.Null()]),
  status: Type.String(),
  behaviorScore: Type.Number(),
  accessLevel: Type.String(),
  risk: Type.Number({ description: 'risk 0..1 of the latest event' }),
  score: Type.Integer({ description: 'score 0..100 of the latest event' }),
  level: Type.String(),
  peakRisk: Type.Number(),
  eventCount: Type.Integer(),
  firstSeen: EpochMs,
  lastSeen: EpochMs,
  recentSignals: Type.Array(
    Type.Object({
      code: Type.String(),
      score: Type.Number(),
      category: Type.String(),
      severity: Type.String(),
      at: EpochMs,
    }),
  ),
  recentDecisions: Type.Array(
    Type.Object({
      eventId: Type.String(),
      type: Type.String(),
      at: EpochMs,
      risk: Type.Number(),
      score: Type.Integer(),
      level: Type.String(),
      outcome: Type.String(),
    }),
  ),
  enforcements: Type.Array(EnforcementSchema),
});

const StatusSchema = Type.Object({
  app: Type.String(),
  user: Type.String(),
  status: Type.String(),
  blocked: Type.Boolean(),
  accessLevel: Type.String(),
  restrictedFeatures: Type.Array(Type.String()),
  level: Type.String(),
  score: Type.Integer(),
  behaviorScore: Type.Number(),
});

async function activeEnforcements(db: Db, appId: string, userId: string, now: number) {
  const rows = await db.kysely
    .selectFrom('enforcements')
    .selectAll()
    .where('app_id', '=', appId)
    .where('user_id', '=', userId)
    .where('status', '=', 'active')
    .where('lifted_at', 'is', null)
    .where('starts_at', '<=', now)
    .where((eb) => eb.or([eb('ends_at', 'is', null), eb('ends_at', '>', now)]))
    .orderBy('starts_at', 'desc')
    .execute();
  return rows.map((r) => {
    const parsed: unknown = JSON.parse(r.features);
    const features = Array.isArray(parsed) ? parsed.filter((f): f is string => typeof f === 'string') : [];
    return {
      id: r.id,
      action: r.action,
      reason: r.reason,
      features,
      startsAt: r.starts_at,
      endsAt: r.ends_at,
    };
  });
}

async function profileOf(db: Db, appId: string, userId: string): Promise<UserProfile> {
  const p = await createUserStore(db).get(appId, userId);
  if (p === undefined) throw new DomainError('user_not_found', `no user '${userId}' in this app`);
  return p;
}

/**
 * `GET /v1/users/:id` (profile, recent decisions and signals, active enforcements) and
 * `GET /v1/users/:id/status` (what middleware needs). App keys see their own app; admin keys pass `?app=`.
 * @example await app.register(userRoutes({ db, clock }));
 */
export function userRoutes(deps: { readonly db: Db; readonly clock: Clock }): FastifyPluginAsyncTypebox {
  const { db } = deps;
  return async (app) => {
    app.get(
      '/v1/users/:id',
      {
        config: { auth: 'app-or-viewer' },
        schema: {
          tags: ['users'],
          summary: 'A user profile: scores, level, recent decisions and signals, active enforcements',
          params: Params,
          querystring: Query,
          response: responses({ 200: ProfileSchema }),
        },
      },
      async (req) => {
        const appId = requiredAppScope(req, req.query.app);
        const p = await profileOf(db, appId, req.params.id);
        const decisions = await db.kysely
          .selectFrom('decisions')
          .select(['event_seq', 'event_id', 'type', 'at', 'risk', 'score', 'level', 'outcome'])
          .where('app_id', '=', appId)
          .where('user_id', '=', p.userId)
          .orderBy('event_seq', 'desc')
          .limit(10)
          .execute();
        const seqs = decisions.map((d) => d.event_seq);
        const signals =
          seqs.length === 0
            ? []
            : await db.kysely
                .selectFrom('signals')
                .select(['code', 'score', 'category', 'severity', 'at'])
                .where('decision_seq', 'in', seqs)
                .orderBy('decision_seq', 'desc')
                .orderBy('idx')
                .limit(20)
                .execute();
        return {
          app: appId,
          user: p.userId,
          tier: p.tier,
          status: p.status,
          behaviorScore: p.behaviorScore,
          accessLevel: p.accessLevel,
          risk: p.lastRisk,
          score: p.lastScore,
          level: p.lastLevel,
          peakRisk: p.peakRisk,
          eventCount: p.eventCount,
          firstSeen: p.firstSeen,
          lastSeen: p.lastSeen,
          recentSignals: signals,
          recentDecisions: decisions.map((d) => ({
            eventId: d.event_id,
            type: d.type,
            at: d.at,
            risk: d.risk,
            score: d.score,
            level: d.level,
            outcome: d.outcome,
          })),
          enforcements: await activeEnforcements(db, appId, p.userId, deps.clock.now()),
        };
      },
    );

    app.get(
      '/v1/users/:id/status',
      {
        config: { auth: 'app-or-viewer' },
        schema: {
          tags: ['users'],
          summary: 'What middleware needs: blocked?, restricted features, access level',
          params: Params,
          querystring: Query,
          response: responses({ 200: StatusSchema }),
        },
      },
      async (req) => {
        const appId = requiredAppScope(req, req.query.app);
        const p = await profileOf(db, appId, req.params.id);
        const active = await activeEnforcements(db, appId, p.userId, deps.clock.now());
        const blocked = BLOCKED_STATUSES.has(p.status) || active.some((e) => BLOCKING_ACTIONS.has(e.action));
        return {
          app: appId,
          user: p.userId,
          status: p.status,
          blocked,
          accessLevel: p.accessLevel,
          restrictedFeatures: [...new Set(active.flatMap((e) => e.features))].sort(),
          level: p.lastLevel,
          score: p.lastScore,
          behaviorScore: p.behaviorScore,
        };
      },
    );
  };
}
