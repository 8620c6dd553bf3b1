import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import Type from 'typebox';
import { DomainError } from '../../errors.js';
import { requiredAppScope } from '../../http/auth-hook.js';
import { EpochMs, responses } from '../../http/schemas.js';
import type { Clock } from '../../clock.js';
import type { Db } from '../../storage/database.js';
import { userStatusOf } from '../enforcement/enforcement.model.js';
import { createEnforcementStore } from '../enforcement/enforcement.store.js';
import { createUserStore, type UserProfile } from './user.store.js';

const Params = Type.Object({ id: Type.String({ minLength: 1, maxLength: 200 }) });
const Query = Type.Object(
  { app: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'admin keys: which app' })) },
  { additionalProperties: false },
);

const EnforcementSchema = Type.Object({
  id: Type.String(),
  action: Type.String(),
  status: Type.String(),
  reason: Type.String(),
  features: Type.Array(Type.String()),
  startsAt: EpochMs,
  endsAt: Type.Union([EpochMs, Type.Null()]),
  expiresAt: Type.Union([EpochMs, Type.Null()]),
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
  status: Type.String({
    description: 'active | restricted | suspended | banned, from the enforcements in force',
  }),
  blocked: Type.Boolean({ description: 'an auto-block or permanent ban is in force' }),
  suspended: Type.Boolean({ description: 'a temporary suspension is in force' }),
  suspendedUntil: Type.Union([EpochMs, Type.Null()], {
    description: 'when the suspension ends; null when not suspended or suspended until lifted',
  }),
  accessLevel: Type.String(),
  restrictedFeatures: Type.Array(Type.String()),
  level: Type.String(),
  score: Type.Integer(),
  risk: Type.Number({ description: 'risk 0..1 of the latest event' }),
  behaviorScore: Type.Number(),
  enforcements: Type.Array(
    Type.Object({
      id: Type.String(),
      action: Type.String(),
      status: Type.String(),
      expiresAt: Type.Union([EpochMs, Type.Null()]),
      features: Type.Array(Type.String()),
    }),
  ),
});

async function activeEnforcements(db: Db, appId: string, userId: string, now: number) {
  const rows = await createEnforcementStore(db).inForce(appId, userId, now);
  return rows.map((e) => ({
    id: e.id,
    action: e.action,
    status: e.status,
    reason: e.reason,
    features: [...e.features],
    startsAt: e.startsAt,
    endsAt: e.endsAt,
    expiresAt: e.endsAt,
  }));
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
        const enforcements = await activeEnforcements(db, appId, p.userId, deps.clock.now());
        // through the events (app_id, user_id, seq) index: decisions have no user index
        const decisions = await db.kysely
          .selectFrom('events as e')
          .innerJoin('decisions as d', 'd.event_seq', 'e.seq')
          .select([
            'd.event_seq',
            'd.event_id',
            'd.type',
            'd.at',
            'd.risk',
            'd.score',
            'd.level',
            'd.outcome',
          ])
          .where('e.app_id', '=', appId)
          .where('e.user_id', '=', p.userId)
          .orderBy('e.seq', 'desc')
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
          // from what is in force now, so an expiry shows before the sweeper rewrites users.status
          status: userStatusOf(enforcements),
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
          enforcements,
        };
      },
    );

    app.get(
      '/v1/users/:id/status',
      {
        config: { auth: 'app-or-viewer' },
        schema: {
          tags: ['users'],
          summary:
            'What middleware needs: blocked, suspended (until), restricted features, enforcements in force (404 for unknown users)',
          params: Params,
          querystring: Query,
          response: responses({ 200: StatusSchema }),
        },
      },
      async (req) => {
        const appId = requiredAppScope(req, req.query.app);
        const p = await profileOf(db, appId, req.params.id);
        const inForce = await createEnforcementStore(db).inForce(appId, p.userId, deps.clock.now());
        const suspensions = inForce.filter((e) => e.action === 'temp_suspend');
        const suspended = suspensions.length > 0;
        const suspendedUntil =
          !suspended || suspensions.some((e) => e.endsAt === null)
            ? null
            : Math.max(...suspensions.map((e) => e.endsAt ?? 0));
        const features = new Set<string>();
        for (const e of inForce) if (e.kind === 'features') for (const f of e.features) features.add(f);
        return {
          app: appId,
          user: p.userId,
          status: userStatusOf(inForce),
          blocked: inForce.some((e) => e.action === 'auto_block' || e.action === 'permanent_ban'),
          suspended,
          suspendedUntil,
          accessLevel: p.accessLevel,
          restrictedFeatures: [...features].sort(),
          level: p.lastLevel,
          score: p.lastScore,
          risk: p.lastRisk,
          behaviorScore: p.behaviorScore,
          enforcements: inForce.map((e) => ({
            id: e.id,
            action: e.action,
            status: e.status,
            expiresAt: e.endsAt,
            features: [...e.features],
          })),
        };
      },
    );
  };
}
