import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { TIERS } from '@vigil/engine';
import Type from 'typebox';
import { appScope } from '../../http/auth-hook.js';
import { EpochMs, literalUnion, responses } from '../../http/schemas.js';
import {
  actorOf,
  optionalTextBody,
  readOptionalText,
  shownEnforcement,
} from '../enforcement/enforcement.routes.js';
import {
  CASE_NOTE_KINDS,
  CASE_PRIORITIES,
  CASE_RESOLUTIONS,
  CASE_STATUSES,
  type Case,
} from './case.model.js';
import type { CaseService } from './case.service.js';
import { LINK_KINDS } from './linked-entities.js';

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(s: T) => Type.Union([s, Type.Null()]);

/** A case as listings show it. */
export const CaseSchema = Type.Object(
  {
    id: Type.String(),
    app: Type.String(),
    user: Nullable(Type.String()),
    status: literalUnion([...CASE_STATUSES]),
    priority: literalUnion([...CASE_PRIORITIES]),
    reason: Type.String(),
    tier: Nullable(literalUnion([...TIERS])),
    assignee: Nullable(Type.String()),
    slaDueAt: Nullable(EpochMs),
    overdue: Type.Boolean({ description: 'unresolved past its review deadline' }),
    resolution: Nullable(literalUnion([...CASE_RESOLUTIONS])),
    resolutionNote: Nullable(Type.String()),
    resolvedBy: Nullable(Type.String()),
    createdAt: EpochMs,
    updatedAt: EpochMs,
    resolvedAt: Nullable(EpochMs),
  },
  { $id: 'Case' },
);

function shownCase(c: Case) {
  return {
    id: c.id,
    app: c.appId,
    user: c.userId,
    status: c.status,
    priority: c.priority,
    reason: c.reason,
    tier: c.tier,
    assignee: c.assignee,
    slaDueAt: c.slaDueAt,
    overdue: c.overdue,
    resolution: c.resolution,
    resolutionNote: c.resolutionNote,
    resolvedBy: c.resolvedBy,
    createdAt: c.createdAt,
    updatedAt: c.updatedAt,
    resolvedAt: c.resolvedAt,
  };
}

const SignalView = Type.Object({
  code: Type.String(),
  score: Type.Number(),
  severity: Type.String(),
  category: Type.String(),
  reason: Type.String(),
});

const NoteSchema = Type.Object({
  id: Type.String(),
  kind: literalUnion([...CASE_NOTE_KINDS]),
  author: Type.String(),
  text: Type.String(),
  at: EpochMs,
});

const DetailSchema = Type.Object({
  case: Type.Ref('Case'),
  summary: Type.String({ description: 'Plain-words summary of the evidence' }),
  summarisedBy: Type.String(),
  subject: Nullable(
    Type.Object({
      id: Type.String(),
      tier: Nullable(Type.String()),
      status: Type.String(),
      behaviorScore: Type.Number(),
      accessLevel: Type.String(),
      peakRisk: Type.Number(),
      lastRisk: Type.Number(),
      eventCount: Type.Integer(),
      firstSeen: EpochMs,
      lastSeen: EpochMs,
    }),
  ),
  decisions: Type.Array(
    Type.Object({
      eventId: Type.String(),
      type: Type.String(),
      at: Type.Number(),
      risk: Type.Number(),
      score: Type.Integer(),
      level: Type.String(),
      outcome: Type.String(),
      confidence: Nullable(Type.Number()),
      explanation: Type.Array(Type.String()),
      signals: Type.Array(SignalView),
    }),
  ),
  signals: Type.Array(
    Type.Object({
      code: Type.String(),
      category: Type.String(),
      count: Type.Integer(),
      maxScore: Type.Number(),
      reason: Type.String(),
    }),
  ),
  enforcements: Type.Array(Type.Ref('Enforcement')),
  linkedEntities: Type.Array(
    Type.Object({
      kind: literalUnion([...LINK_KINDS]),
      value: Type.String(),
      users: Type.Array(Type.String()),
      more: Type.Boolean(),
    }),
  ),
  notes: Type.Array(NoteSchema),
});

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
    status: Type.Optional(literalUnion([...CASE_STATUSES])),
    assignee: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    overdue: Type.Optional(
      Type.Boolean({ description: 'true: unresolved past the deadline (the overdue-SLA view)' }),
    ),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, description: 'default 50' })),
  },
  { additionalProperties: false },
);

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
const EnfParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64 }),
  eid: Type.String({ minLength: 1, maxLength: 64 }),
});

/**
 * The review routes. Reading (`GET /v1/cases`, `/v1/cases/:id`, `/v1/cases/:id/report`) takes an
 * app key or any admin role; reviewing (assign, note, resolve, approve/reject an enforcement)
 * needs an admin key with the analyst role (a viewer gets 403).
 * @example await app.register(caseRoutes({ cases, now: () => clock.now() }));
 */
export function caseRoutes(deps: {
  readonly cases: CaseService;
  readonly now: () => number;
}): FastifyPluginAsyncTypebox {
  const { cases } = deps;
  return async (app) => {
    const Ref = Type.Ref('Case');

    app.get(
      '/v1/cases',
      {
        config: { auth: 'app-or-viewer' },
        schema: {
          tags: ['cases'],
          summary: 'Review cases, newest first (overdue=true: the overdue-SLA view)',
          querystring: ListQuery,
          response: responses({
            200: Type.Object({ items: Type.Array(Ref), nextCursor: Nullable(Type.String()) }),
          }),
        },
      },
      async (req) => {
        const q = req.query;
        const page = await cases.list({
          appId: appScope(req, q.app),
          userId: q.user,
          status: q.status,
          assignee: q.assignee,
          overdue: q.overdue,
          cursor: q.cursor,
          limit: q.limit,
        });
        return { items: page.items.map(shownCase), nextCursor: page.nextCursor };
      },
    );

    app.get(
      '/v1/cases/:id',
      {
        config: { auth: 'app-or-viewer' },
        schema: {
          tags: ['cases'],
          summary:
            "A case's evidence: decisions, signals, enforcements, linked accounts, notes and a plain-words summary",
          params: IdParams,
          querystring: AppQuery,
          response: responses({ 200: DetailSchema }),
        },
      },
      async (req) => {
        const d = await cases.get(appScope(req, req.query.app), req.params.id);
        const now = deps.now();
        return {
          case: shownCase(d.case),
          summary: d.summary,
          summarisedBy: d.summarisedBy,
          subject: d.subject,
          decisions: d.decisions.map((x) => ({
            ...x,
            explanation: [...x.explanation],
            signals: [...x.signals],
          })),
          signals: [...d.signals],
          enforcements: d.enforcements.map((e) => shownEnforcement(e, now)),
          linkedEntities: d.linkedEntities.map((l) => ({ ...l, users: [...l.users] })),
          notes: [...d.notes],
        };
      },
    );

    app.get(
      '/v1/cases/:id/report',
      {
        config: { auth: 'app-or-viewer' },
        schema: {
          tags: ['cases'],
          summary: 'The case as a self-contained HTML report (basis of a suspicious activity report)',
          params: IdParams,
          querystring: AppQuery,
          produces: ['text/html'],
        },
      },
      async (req, reply) => {
        const html = await cases.report(appScope(req, req.query.app), req.params.id);
        return reply
          .type('text/html; charset=utf-8')
          .header('content-disposition', `inline; filename="case-${req.params.id}.html"`)
          .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'")
          .send(html);
      },
    );

    app.post(
      '/v1/cases/:id/assign',
      {
        config: { auth: 'analyst' },
        schema: {
          tags: ['cases'],
          summary: 'Assign a reviewer (status in_review); the same reviewer again changes nothing',
          params: IdParams,
          body: Type.Object(
            { assignee: Type.String({ minLength: 1, maxLength: 200 }) },
            { additionalProperties: false },
          ),
          response: responses({
            200: Type.Object({ case: Ref, changed: Type.Boolean() }),
            409: Type.Ref('Error'),
          }),
        },
      },
      async (req) => {
        const r = await cases.assign(undefined, req.params.id, req.body.assignee, actorOf(req));
        return { case: shownCase(r.case), changed: r.changed };
      },
    );

    app.post(
      '/v1/cases/:id/note',
      {
        config: { auth: 'analyst' },
        schema: {
          tags: ['cases'],
          summary: 'Add a note (201); a repeated Idempotency-Key header returns the first note (200)',
          params: IdParams,
          headers: Type.Object({
            'idempotency-key': Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
          }),
          body: Type.Object(
            { text: Type.String({ minLength: 1, maxLength: 10_000 }) },
            { additionalProperties: false },
          ),
          response: responses({ 200: NoteSchema, 201: NoteSchema }),
        },
      },
      async (req, reply) => {
        const r = await cases.note(
          undefined,
          req.params.id,
          req.body.text,
          actorOf(req),
          req.headers['idempotency-key'],
        );
        return reply.code(r.duplicate ? 200 : 201).send(r.note);
      },
    );

    app.post(
      '/v1/cases/:id/resolve',
      {
        config: { auth: 'analyst' },
        schema: {
          tags: ['cases'],
          summary:
            'Resolve once (409 when already resolved): writes labels; false positive lifts and discounts, confirmed fraud shares identifiers',
          params: IdParams,
          body: Type.Object(
            {
              resolution: literalUnion([...CASE_RESOLUTIONS]),
              note: Type.Optional(Type.String({ minLength: 1, maxLength: 10_000 })),
            },
            { additionalProperties: false },
          ),
          response: responses({
            200: Type.Object({
              case: Ref,
              labels: Type.Integer(),
              enforcementsLifted: Type.Integer(),
              identifiersShared: Type.Integer(),
              graceUntil: Nullable(EpochMs),
            }),
            409: Type.Ref('Error'),
          }),
        },
      },
      async (req) => {
        const r = await cases.resolve(
          undefined,
          req.params.id,
          req.body.resolution,
          req.body.note,
          actorOf(req),
        );
        return { ...r, case: shownCase(r.case) };
      },
    );

    for (const verb of ['approve', 'reject'] as const) {
      app.post(
        `/v1/cases/:id/enforcements/:eid/${verb}`,
        {
          config: { auth: 'analyst' },
          schema: {
            tags: ['cases', 'enforcement'],
            summary: `${verb === 'approve' ? 'Approve' : 'Reject'} a pending enforcement of the case's user (409 unless pending)`,
            params: EnfParams,
            body: optionalTextBody('note', 'why'),
            response: responses({ 200: Type.Ref('Enforcement'), 409: Type.Ref('Error') }),
          },
        },
        async (req) => {
          const e = await cases.decideEnforcement(
            undefined,
            req.params.id,
            req.params.eid,
            verb === 'approve',
            actorOf(req),
            readOptionalText(req.body, 'note'),
          );
          return shownEnforcement(e, deps.now());
        },
      );
    }
  };
}
