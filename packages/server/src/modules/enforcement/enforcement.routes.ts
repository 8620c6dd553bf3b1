import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { TIERS } from '@vigil/engine';
import type { FastifyRequest } from 'fastify';
import Type from 'typebox';
import { DomainError } from '../../errors.js';
import { appScope, principalOf, requiredAppScope } from '../../http/auth-hook.js';
import { EpochMs, literalUnion, responses } from '../../http/schemas.js';
import { HANDLER_VALIDATES } from '../../http/validator.js';
import { hasAdminRole } from '../auth/auth.service.js';
import {
  APPLIED_ACTIONS,
  ENFORCEMENT_KINDS,
  ENFORCEMENT_SOURCES,
  ENFORCEMENT_STATUSES,
  type Enforcement,
} from './enforcement.model.js';
import { APPLY_OUTCOMES, type EnforcementService } from './enforcement.service.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(s: T) => Type.Union([s, Type.Null()]);

/** An enforcement as the API shows it. */
export const EnforcementSchema = Type.Object(
  {
    id: Type.String(),
    app: Type.String(),
    user: Type.String(),
    action: literalUnion([...APPLIED_ACTIONS]),
    kind: literalUnion([...ENFORCEMENT_KINDS], {
      description: 'account (suspend/block/ban) or features (restrictions)',
    }),
    status: literalUnion([...ENFORCEMENT_STATUSES], {
      description:
        'Effective status: an active one whose end passed reads expired before the sweeper marks it',
    }),
    tier: Nullable(literalUnion([...TIERS])),
    source: literalUnion([...ENFORCEMENT_SOURCES]),
    reason: Type.String(),
    features: Type.Array(Type.String()),
    caseId: Nullable(Type.String()),
    startsAt: EpochMs,
    expiresAt: Nullable(EpochMs),
    liftedAt: Nullable(EpochMs),
    liftReason: Nullable(Type.String()),
    liftedBy: Nullable(Type.String()),
    requiresReview: Type.Boolean(),
    reviewDueAt: Nullable(EpochMs),
    overdue: Type.Boolean({ description: 'Needs review, unreviewed, past its deadline' }),
    reviewedAt: Nullable(EpochMs),
    reviewedBy: Nullable(Type.String()),
    createdBy: Type.String(),
    createdAt: EpochMs,
    updatedAt: EpochMs,
  },
  { $id: 'Enforcement' },
);

/** The API shape of an enforcement. @example shownEnforcement(e, Date.now()).expiresAt */
export function shownEnforcement(e: Enforcement, now: number) {
  return {
    id: e.id,
    app: e.appId,
    user: e.userId,
    action: e.action,
    kind: e.kind,
    status: e.status,
    tier: e.tier,
    source: e.source,
    reason: e.reason,
    features: [...e.features],
    caseId: e.caseId,
    startsAt: e.startsAt,
    expiresAt: e.endsAt,
    liftedAt: e.liftedAt,
    liftReason: e.liftReason,
    liftedBy: e.liftedBy,
    requiresReview: e.requiresReview,
    reviewDueAt: e.reviewDueAt,
    overdue:
      e.requiresReview &&
      e.reviewedAt === null &&
      e.reviewDueAt !== null &&
      e.reviewDueAt <= now &&
      (e.status === 'active' || e.status === 'pending_approval'),
    reviewedAt: e.reviewedAt,
    reviewedBy: e.reviewedBy,
    createdBy: e.createdBy,
    createdAt: e.createdAt,
    updatedAt: e.updatedAt,
  };
}

const AppQuery = Type.Object(
  {
    app: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: 'admin keys: restrict to one app' }),
    ),
  },
  { additionalProperties: false },
);

const ListQuery = Type.Object(
  {
    app: Type.Optional(
      Type.String({ minLength: 1, maxLength: 64, description: 'admin keys: one app (default all)' }),
    ),
    user: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    status: Type.Optional(literalUnion([...ENFORCEMENT_STATUSES])),
    tier: Type.Optional(literalUnion([...TIERS])),
    action: Type.Optional(literalUnion([...APPLIED_ACTIONS])),
    overdue: Type.Optional(
      Type.Boolean({ description: 'only those past their review deadline, unreviewed' }),
    ),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, description: 'default 50' })),
  },
  { additionalProperties: false },
);

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });

const FeatureName = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_.:-]+$' });

const CreateBody = Type.Object(
  {
    user: Type.String({ minLength: 1, maxLength: 200 }),
    action: literalUnion([...APPLIED_ACTIONS]),
    reason: Type.String({ minLength: 1, maxLength: 1000 }),
    durationMs: Type.Optional(
      Nullable(
        Type.Integer({
          minimum: 60_000,
          maximum: 10 * 365 * 86_400_000,
          description: 'null or absent: until lifted; required for temp_suspend',
        }),
      ),
    ),
    features: Type.Optional(
      Type.Array(FeatureName, { maxItems: 64, description: 'restrictions only; default the app list' }),
    ),
    tier: Type.Optional(
      literalUnion([...TIERS], { description: "the user's tier (default the stored one)" }),
    ),
    app: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: 'admin keys: which app' })),
  },
  { additionalProperties: false },
);

/**
 * An optional body `{ <field>?: string }` (documented; the handler validates, so a POST without a
 * body is fine).
 * @example optionalTextBody('reason')
 */
export function optionalTextBody(field: string, description: string) {
  return {
    ...Type.Object(
      { [field]: Type.Optional(Type.String({ minLength: 1, maxLength: 1000, description })) },
      { additionalProperties: false },
    ),
    [HANDLER_VALIDATES]: true,
  };
}

/**
 * Reads the optional text field of a body that may be absent; `validation_failed` for anything else.
 * @example const reason = readOptionalText(req.body, 'reason');
 */
export function readOptionalText(body: unknown, field: string): string | undefined {
  if (body === undefined || body === null) return undefined;
  const fail = (path: string, message: string): never => {
    throw new DomainError('validation_failed', 'invalid body', { details: [{ path, message }] });
  };
  if (typeof body !== 'object' || Array.isArray(body))
    return fail('/', `must be an object with an optional '${field}'`);
  for (const k of Object.keys(body)) if (k !== field) fail(`/${k}`, 'unknown field');
  const v: unknown = Reflect.get(body, field);
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v.length < 1 || v.length > 1000)
    return fail(`/${field}`, 'must be a string of 1 to 1000 characters');
  return v;
}

/** The actor string of a request (`key:<id>`). @example actorOf(req) */
export function actorOf(req: FastifyRequest): string {
  return `key:${principalOf(req).keyId}`;
}

/**
 * Fails with 403 unless the caller holds an app key or an admin key with at least the analyst role
 * (a viewer may read, never act).
 * @example assertCanAct(req, 'lifting an enforcement');
 */
export function assertCanAct(req: FastifyRequest, what: string): void {
  const p = principalOf(req);
  if (p.role !== 'app' && !hasAdminRole(p.role, 'analyst')) {
    throw new DomainError(
      'forbidden',
      `${what} needs an app key or an admin key with the analyst role or higher`,
    );
  }
}

/**
 * `GET /v1/enforcements`, `GET /v1/enforcements/:id`, `POST /v1/enforcements` (manual) and
 * `POST /v1/enforcements/:id/lift`. App keys see and act on their own app; admin keys read any app
 * (`?app=` narrows) and need the analyst role to act.
 * @example await app.register(enforcementRoutes({ enforcement }));
 */
export function enforcementRoutes(deps: {
  readonly enforcement: EnforcementService;
  readonly now: () => number;
}): FastifyPluginAsyncTypebox {
  const { enforcement } = deps;
  return async (app) => {
    const Ref = Type.Ref('Enforcement');

    app.get(
      '/v1/enforcements',
      {
        config: { auth: 'app-or-viewer' },
        schema: {
          tags: ['enforcement'],
          summary: 'Enforcements, newest first: filter by app, user, status, tier, action, overdue review',
          querystring: ListQuery,
          response: responses({
            200: Type.Object({ items: Type.Array(Ref), nextCursor: Nullable(Type.String()) }),
          }),
        },
      },
      async (req) => {
        const q = req.query;
        const page = await enforcement.list({
          appId: appScope(req, q.app),
          userId: q.user,
          status: q.status,
          tier: q.tier,
          action: q.action,
          overdue: q.overdue,
          cursor: q.cursor,
          limit: q.limit,
        });
        const now = deps.now();
        return { items: page.items.map((e) => shownEnforcement(e, now)), nextCursor: page.nextCursor };
      },
    );

    app.get(
      '/v1/enforcements/:id',
      {
        config: { auth: 'app-or-viewer' },
        schema: {
          tags: ['enforcement'],
          summary: 'One enforcement',
          params: IdParams,
          querystring: AppQuery,
          response: responses({ 200: Ref }),
        },
      },
      async (req) =>
        shownEnforcement(await enforcement.get(appScope(req, req.query.app), req.params.id), deps.now()),
    );

    app.post(
      '/v1/enforcements',
      {
        config: { auth: 'app-or-viewer' },
        schema: {
          tags: ['enforcement'],
          summary:
            'Enforce by hand: 201 when created, 200 when merged into the one in force (escalated, extended or unchanged)',
          description:
            "One enforcement is in force per user, app and kind: a stronger action escalates it, a weaker one can only extend it. A permanent ban of a VIP or platinum user waits for approval (status pending_approval) in the user's case.",
          body: CreateBody,
          response: responses({
            200: Type.Object({ outcome: literalUnion([...APPLY_OUTCOMES]), enforcement: Ref }),
            201: Type.Object({ outcome: literalUnion([...APPLY_OUTCOMES]), enforcement: Ref }),
            409: Type.Ref('Error'),
          }),
        },
      },
      async (req, reply) => {
        assertCanAct(req, 'creating an enforcement');
        const b = req.body;
        const appId = requiredAppScope(req, b.app);
        const r = await enforcement.create(
          {
            appId,
            userId: b.user,
            action: b.action,
            reason: b.reason,
            durationMs: b.durationMs,
            features: b.features,
            tier: b.tier,
          },
          actorOf(req),
        );
        const created = r.outcome === 'created' || r.outcome === 'pending';
        return reply
          .code(created ? 201 : 200)
          .send({ outcome: r.outcome, enforcement: shownEnforcement(r.enforcement, deps.now()) });
      },
    );

    app.post(
      '/v1/enforcements/:id/lift',
      {
        config: { auth: 'app-or-viewer' },
        schema: {
          tags: ['enforcement'],
          summary: 'Lift an enforcement (409 when it is already lifted, expired, rejected or superseded)',
          params: IdParams,
          querystring: AppQuery,
          body: optionalTextBody('reason', 'why (default: lifted by hand)'),
          response: responses({ 200: Ref, 409: Type.Ref('Error') }),
        },
      },
      async (req) => {
        assertCanAct(req, 'lifting an enforcement');
        const e = await enforcement.lift(
          appScope(req, req.query.app),
          req.params.id,
          readOptionalText(req.body, 'reason') ?? 'lifted by hand',
          actorOf(req),
        );
        return shownEnforcement(e, deps.now());
      },
    );
  };
}
